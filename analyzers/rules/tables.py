"""Data tables of the rules (deprecated symbols, removed modules), kept as JSON in
``analyzers/data`` so they can be updated without touching code."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load_table(name: str) -> dict[str, Any]:
    """The JSON table ``analyzers/data/<name>.json`` without its ``_doc`` entry."""
    text = resources.files("mlsense.analyzers").joinpath("data", f"{name}.json").read_text("utf-8")
    table = json.loads(text)
    table.pop("_doc", None)
    return table
