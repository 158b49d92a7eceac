"""Static analysis of ML code: text + config in, findings out. Never imports a framework."""

from .config import Config, ConfigError, config_from_mapping, load_config
from .engine import AnalysisResult, DocumentAnalyzer, analyze_bytes, analyze_text, decode_source
from .findings import Finding, Fix, Position, Range, Severity, TextEdit
from .registry import ChunkRule, ModuleRule, RuleInfo, all_rules, register, rule_info

__all__ = [
    "AnalysisResult", "ChunkRule", "Config", "ConfigError", "DocumentAnalyzer", "Finding", "Fix",
    "ModuleRule", "Position", "Range", "RuleInfo", "Severity", "TextEdit", "all_rules",
    "analyze_bytes", "analyze_text", "config_from_mapping", "decode_source", "load_config",
    "register", "rule_info",
]
