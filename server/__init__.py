"""Front ends over the analyzers and translators: the ``mlsense`` CLI and the language server.

No analysis logic lives here: findings come from :mod:`mlsense.analyzers` and are only rendered
(text, JSON, SARIF, LSP) or applied (fixes).
"""
