"""Client settings: validated field by field, defaults on bad values, merged over pyproject.

Settings arrive in ``initializationOptions``, ``workspace/didChangeConfiguration`` and, when the
client supports it, ``workspace/configuration`` (section ``mlsense``). Like
jedi-language-server, a bad value never rejects the whole object: that field keeps its default
and a warning names it. ``[tool.mlsense]`` of the file's pyproject.toml is the base; every
rule key the client sets replaces the pyproject value (``severity`` is merged code by code).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...analyzers import Config, ConfigError, Severity, load_config

NOTIFICATION_LEVELS = ("off", "onError", "onWarning", "always")
VERIFY_DEVICES = ("cpu", "cuda", "all")
_CODE = re.compile(r"^(ALL|[A-Z]+[0-9]*)$")
_MODULE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


@dataclass(frozen=True)
class VerificationSettings:
    """How ``mlsense.verifyTranslation`` (and ``translateFramework`` with ``verify``) runs;
    ``enabled`` is false when the client forbids running the user's code."""

    device: str = "cpu"
    timeout_s: float = 120.0
    enabled: bool = True


@dataclass(frozen=True)
class ServerSettings:
    """Validated client settings; ``None`` rule fields mean "not set: keep pyproject's"."""

    enable: bool = True
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] | None = None
    severity: Mapping[str, Severity] = field(default_factory=dict)
    debounce_ms: int = 50
    verification: VerificationSettings = field(default_factory=VerificationSettings)
    show_notifications: str = "off"
    plugins: tuple[str, ...] = ()
    # Clients without a notion of workspace trust (Neovim...) leave it unset: trusted.
    workspace_trusted: bool = True
    inlay_shapes: bool = True  # inlayHints.layerShapes
    inlay_params: bool = True  # inlayHints.parameterCounts


def plain(value: Any) -> Any:
    """JSON-like data as dicts and lists (pygls hands untyped payloads over as namedtuples)."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def unwrap_settings(raw: Any) -> Any:
    """The mlsense settings object inside what a client sent.

    Accepts a flat object, ``{"mlsense": {...}}`` (VS Code's didChangeConfiguration), and the
    vscode-python-tools template's ``{"settings": [...], "globalSettings": {...}}``.
    """
    raw = plain(raw)
    if not isinstance(raw, Mapping):
        return raw
    if isinstance(raw.get("mlsense"), Mapping):
        return raw["mlsense"]
    if "globalSettings" in raw or isinstance(raw.get("settings"), list):
        merged: dict[str, Any] = dict(raw.get("globalSettings") or {})
        workspace = raw.get("settings")
        if isinstance(workspace, list) and workspace and isinstance(workspace[0], Mapping):
            merged.update(workspace[0])
        return merged
    if isinstance(raw.get("settings"), Mapping):
        return raw["settings"]
    return raw


def _codes(value: Any, key: str, warnings: list[str]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        codes = tuple(v.strip().upper() for v in value)
        bad = [c for c in codes if not _CODE.match(c)]
        if not bad:
            return codes
        warnings.append(f"`{key}`: {', '.join(map(repr, bad))} are not rule codes or prefixes")
        return None
    warnings.append(f"`{key}` must be a list of rule codes, got {value!r}")
    return None


def _severity(value: Any, warnings: list[str]) -> dict[str, Severity]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        warnings.append(f"`severity` must map rule codes to levels, got {value!r}")
        return {}
    out: dict[str, Severity] = {}
    for code, level in value.items():
        try:
            out[str(code).strip().upper()] = Severity.parse(str(level))
        except KeyError:
            warnings.append(f"`severity.{code}` must be error|warning|information|hint, "
                            f"got {level!r}")
    return out


def _typed(raw: Mapping[str, Any], key: str, kind: type | tuple[type, ...], default: Any,
           warnings: list[str]) -> Any:
    value = raw.get(key, default)
    # bool is an int in Python: a numeric setting given true/false is a mistake.
    if isinstance(value, kind) and not (isinstance(value, bool) and bool not in (
            kind if isinstance(kind, tuple) else (kind,))):
        return value
    warnings.append(f"`{key}` has the wrong type ({value!r}); using {default!r}")
    return default


def _verification(raw: Any, warnings: list[str]) -> VerificationSettings:
    if raw is None:
        return VerificationSettings()
    if not isinstance(raw, Mapping):
        warnings.append(f"`verification` must be an object, got {raw!r}")
        return VerificationSettings()
    default = VerificationSettings()
    device = _typed(raw, "device", str, default.device, warnings)
    if device not in VERIFY_DEVICES:
        warnings.append(f"`verification.device` must be one of {', '.join(VERIFY_DEVICES)}, "
                        f"got {device!r}")
        device = default.device
    timeout = _typed(raw, "timeoutS", (int, float), default.timeout_s, warnings)
    if timeout <= 0:
        warnings.append(f"`verification.timeoutS` must be positive, got {timeout!r}")
        timeout = default.timeout_s
    enabled = _typed(raw, "enabled", bool, default.enabled, warnings)
    return VerificationSettings(device=device, timeout_s=float(timeout), enabled=enabled)


def parse_settings(raw: Any) -> tuple[ServerSettings, list[str]]:
    """Validated settings and one warning per value that was replaced by its default."""
    raw = unwrap_settings(raw)
    warnings: list[str] = []
    if raw is None:
        return ServerSettings(), warnings
    if not isinstance(raw, Mapping):
        return ServerSettings(), [f"settings must be an object, got {raw!r}"]
    d = ServerSettings()
    debounce = _typed(raw, "debounceMs", int, d.debounce_ms, warnings)
    if not 0 <= debounce <= 10_000:
        warnings.append(f"`debounceMs` must be between 0 and 10000, got {debounce}")
        debounce = d.debounce_ms
    notifications = _typed(raw, "showNotifications", str, d.show_notifications, warnings)
    if notifications not in NOTIFICATION_LEVELS:
        warnings.append(f"`showNotifications` must be one of {', '.join(NOTIFICATION_LEVELS)}, "
                        f"got {notifications!r}")
        notifications = d.show_notifications
    plugins = _codes_free(raw.get("plugins"), warnings)
    inlay = raw.get("inlayHints") or {}
    if not isinstance(inlay, Mapping):
        warnings.append(f"`inlayHints` must be an object, got {inlay!r}")
        inlay = {}
    return ServerSettings(
        enable=_typed(raw, "enable", bool, d.enable, warnings),
        select=_codes(raw.get("select"), "select", warnings),
        ignore=_codes(raw.get("ignore"), "ignore", warnings),
        extend_select=_codes(raw.get("extendSelect"), "extendSelect", warnings),
        severity=_severity(raw.get("severity"), warnings),
        debounce_ms=debounce,
        verification=_verification(raw.get("verification"), warnings),
        show_notifications=notifications,
        plugins=plugins,
        workspace_trusted=_typed(raw, "workspaceTrusted", bool, d.workspace_trusted, warnings),
        inlay_shapes=_typed(inlay, "layerShapes", bool, d.inlay_shapes, warnings),
        inlay_params=_typed(inlay, "parameterCounts", bool, d.inlay_params, warnings),
    ), warnings


def _codes_free(value: Any, warnings: list[str]) -> tuple[str, ...]:
    """Plugin module names (dotted Python module paths)."""
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(v, str) and _MODULE.match(v) for v in value):
        return tuple(value)
    warnings.append(f"`plugins` must be a list of dotted module names, got {value!r}")
    return ()


def config_for_document(path: str | None, settings: ServerSettings) -> tuple[Config, str | None]:
    """The analysis Config for ``path``: its pyproject ``[tool.mlsense]`` with the client's
    rule settings on top, and the pyproject error (defaults used then), if any."""
    base, error = Config(), None
    if path:
        try:
            base = load_config(Path(path))
        except ConfigError as exc:
            error = str(exc)
        except OSError as exc:  # unreadable folder or file: the defaults still work
            error = f"{path}: {exc}"
    severity = {**base.severity, **settings.severity}
    return base.merged(select=settings.select, ignore=settings.ignore,
                       extend_select=settings.extend_select, severity=severity), error
