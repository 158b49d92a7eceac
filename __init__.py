"""mlsense: IntelliSense for machine-learning code.

The repository root is this package: ``server/``, ``analyzers/`` and ``translators/`` are its
sub-packages ``mlsense.server``, ``mlsense.analyzers`` and ``mlsense.translators``.
"""

__version__ = "0.1.0"
