"""Built-in rule families. Importing this package registers them all.

Code families: MLS0xx engine, MLS1xx PyTorch, MLS2xx device placement, MLS3xx Keras/TF,
MLS4xx scikit-learn, MLS5xx JAX, MLS6xx retired frameworks.
"""

from . import (  # noqa: F401  (importing registers the families)
    device,
    jax_api,
    keras_api,
    losses,
    retired,
    sklearn_api,
    torch_api,
)
