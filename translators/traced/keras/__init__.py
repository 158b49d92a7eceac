"""Keras -> PyTorch through the runtime (issue 9): ``capture.py`` builds the selected Keras
model in the verification worker and prints its layer graph as Functional source;
``runtime.py`` translates that source with the static translator and points the result back at
the user's file and model."""
