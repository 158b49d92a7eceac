"""Keras -> PyTorch, source to source: translate.py parses the model (parse.py), traces its
graph with symbolic shapes (graph.py, shapes.py) over the layer table (layers.py)."""
