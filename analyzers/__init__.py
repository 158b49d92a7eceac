"""Static analysis of ML code: text + config in, findings out. Never imports a framework.

Config and finding types load eagerly; the engine and the rule registry (which import libcst,
~0.2 s) load on first use, so the language server can answer ``initialize`` before paying
for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .config import Config, ConfigError, config_from_mapping, load_config
from .findings import Finding, Fix, Position, Range, Severity, TextEdit

if TYPE_CHECKING:
    from .engine import (
        AnalysisResult,
        DocumentAnalyzer,
        analyze_bytes,
        analyze_text,
        decode_source,
    )
    from .registry import ChunkRule, ModuleRule, RuleInfo, all_rules, register, rule_info

_LAZY = {
    "AnalysisResult": "engine", "DocumentAnalyzer": "engine", "analyze_bytes": "engine",
    "analyze_text": "engine", "decode_source": "engine", "ChunkRule": "registry",
    "ModuleRule": "registry", "RuleInfo": "registry", "all_rules": "registry",
    "register": "registry", "rule_info": "registry",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "AnalysisResult", "ChunkRule", "Config", "ConfigError", "DocumentAnalyzer", "Finding", "Fix",
    "ModuleRule", "Position", "Range", "RuleInfo", "Severity", "TextEdit", "all_rules",
    "analyze_bytes", "analyze_text", "config_from_mapping", "decode_source", "load_config",
    "register", "rule_info",
]
