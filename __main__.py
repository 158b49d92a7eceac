"""``python -m mlsense``: the command-line entry point."""

from mlsense.server.cli import main

raise SystemExit(main())
