"""PyTorch -> Keras, source to source: translate.py reads the module classes and drives the
walk of ``forward`` (walk.py, forward.py) over the layer table (layers.py)."""
