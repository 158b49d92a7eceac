"""Code lenses above each model the translators can start from, and the last verification's
result for it.

Every model definition (``analyzers.models``: ``nn.Module`` / ``keras.Model`` subclasses,
``Sequential`` assignments, functional models, Keras builder functions) gets
``Translate to Keras`` (or ``to PyTorch``) and, where verification may run, ``Verify``. Both are
the server's own commands with ``{uri, target, className}``, so any client that runs LSP
commands can use them (the VS Code extension shows their results in the editor). After a
verification the model's lens line also says how it went (``verified on cpu · max error
2.1e-07``), or that the text changed since; ``mlsense.verificationReport`` returns the stored
report for a client to show.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from .actions import TRANSLATE_COMMAND
from .positions import to_lsp_position
from .verify import VERIFY_COMMAND

REPORT_COMMAND = "mlsense.verificationReport"
_LABEL = {"keras": "Keras", "pytorch": "PyTorch"}


def text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@dataclass(frozen=True)
class StoredVerification:
    """The report of the last verification of one model of one document."""

    digest: str  # of the document text that was verified
    report: dict[str, Any]


class VerificationResults:
    """Last verification per (uri, model name, target); ``None`` model: the file's only model."""

    def __init__(self) -> None:
        self._results: dict[tuple[str, str | None, str], StoredVerification] = {}

    def record(self, uri: str, class_name: str | None, target: str, text: str,
               report: dict[str, Any]) -> None:
        self._results[(uri, class_name, target)] = StoredVerification(text_digest(text), report)

    def get(self, uri: str, class_name: str | None, target: str, *, only_model: bool = False
            ) -> StoredVerification | None:
        found = self._results.get((uri, class_name, target))
        if found is None and only_model:
            found = self._results.get((uri, None, target))
        return found

    def forget(self, uri: str) -> None:
        for key in [k for k in self._results if k[0] == uri]:
            del self._results[key]


def _short_error(value: Any) -> str:
    return f"{value:.1e}" if isinstance(value, (int, float)) else "n/a"


def result_title(stored: StoredVerification, current_text: str) -> str:
    """The lens text for a stored verification of the text now in the editor."""
    report = stored.report
    if report.get("cancelled"):
        head = "verification cancelled"
    elif report.get("verified"):
        devices = ", ".join(report.get("devices") or []) or "no device"
        head = f"$(pass) verified on {devices} · max error {_short_error(report.get('max_abs_error'))}"
    else:
        first = next((layer for layer in report.get("per_layer") or [] if layer.get("diverges")),
                     None)
        where = f" · diverges at {first['torch_path']} (line {first['line']})" if first else ""
        head = f"$(error) NOT verified{where}"
    if stored.digest != text_digest(current_text):
        head += " · edited since"
    return head


def code_lenses(uri: str, text: str, analyzer: Any, results: VerificationResults,
                verification_enabled: bool, encoder: Any, lines: list[str]
                ) -> list[types.CodeLens]:
    """The lenses of one document (``analyzer``'s parse of ``text`` is reused)."""
    from ...analyzers.models import find_model_definitions  # imports libcst: load on use

    models = find_model_definitions(text, analyzer)
    lenses: list[types.CodeLens] = []
    for model in models:
        target = "keras" if model.framework == "pytorch" else "pytorch"
        line = model.start_line
        end = len(lines[line].rstrip("\r\n")) if line < len(lines) else 0
        rng = types.Range(types.Position(line, 0), to_lsp_position(lines, encoder, line, end))
        args = [{"uri": uri, "target": target, "className": model.name}]
        lenses.append(types.CodeLens(range=rng, command=types.Command(
            title=f"Translate to {_LABEL[target]}", command=TRANSLATE_COMMAND, arguments=args)))
        if verification_enabled:
            lenses.append(types.CodeLens(range=rng, command=types.Command(
                title="Verify", command=VERIFY_COMMAND, arguments=args)))
        stored = results.get(uri, model.name, target, only_model=len(models) == 1)
        if stored is not None:
            lenses.append(types.CodeLens(range=rng, command=types.Command(
                title=result_title(stored, text), command=REPORT_COMMAND, arguments=args)))
    return lenses


def stored_report(results: VerificationResults, args: tuple[Any, ...], models: int
                  ) -> dict[str, Any]:
    """``mlsense.verificationReport {uri, target, className?}``: the stored report, or an error."""
    from .translate import parse_translate_arguments

    uri, target, class_name, _ = parse_translate_arguments(args, REPORT_COMMAND)
    stored = results.get(uri, class_name, target, only_model=models <= 1)
    if stored is None:
        raise JsonRpcInvalidParams(f"{REPORT_COMMAND}: {class_name or 'this model'} of {uri} "
                                   f"has not been verified in this session")
    return {**stored.report, "uri": uri, "target": target, "className": class_name}
