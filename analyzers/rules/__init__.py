"""Built-in rule families, one module per area; the registry discovers and imports every module
of this package (registry._load_builtin_rules), and each registers its families as it loads.

Code families: MLS0xx engine, MLS1xx PyTorch, MLS2xx device placement, MLS3xx Keras/TF,
MLS4xx scikit-learn, MLS5xx JAX, MLS6xx retired frameworks.
"""
