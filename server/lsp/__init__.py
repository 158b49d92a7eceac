"""``mlsense serve``: the language server (server.py) and its features, one module each:
diagnostics, code actions, hovers, notebooks (cells.py joins and splits cells), settings,
positions, and the translate / verify commands."""
