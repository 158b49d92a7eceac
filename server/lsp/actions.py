"""Code actions: a quick fix per fixable finding, ``# noqa`` per code, fix-all, translate.

Quick fixes are looked up from the server's own analysis of the exact text the client sees (not
from the ``data`` the client echoes back), so an action never applies to stale text.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from ...analyzers import Finding
from ...analyzers.noqa import noqa_codes
from .diagnostics import AnalyzedVersion, OpenDocument, to_lsp_range
from .positions import PositionEncoder, line_content

FIX_ALL_KIND = "source.fixAll.mlsense"
TRANSLATE_COMMAND = "mlsense.translateFramework"


def kind_requested(kind: str, only: Sequence[str] | None) -> bool:
    """Whether an action of ``kind`` answers a request limited to ``only`` (prefix match)."""
    if not only:
        return True
    kind = str(getattr(kind, "value", kind))  # enums format as "CodeActionKind.QuickFix"
    wanted = [str(getattr(k, "value", k)) for k in only]
    return any(kind == k or kind.startswith(f"{k}.") for k in wanted)


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)
    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _same(diag: types.Diagnostic, other: types.Diagnostic) -> bool:
    return diag.code == other.code and diag.range == other.range


class ActionBuilder:
    """Builds the code actions for one request on one analysed version of a document."""

    def __init__(self, state: OpenDocument, analyzed: AnalyzedVersion, encoder: PositionEncoder,
                 versioned_edits: bool) -> None:
        self.state = state
        self.analyzed = analyzed
        self.encoder = encoder
        self.versioned = versioned_edits

    def edit(self, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
        """A workspace edit on this document (versioned when the client supports it)."""
        if self.versioned:
            doc = types.OptionalVersionedTextDocumentIdentifier(
                uri=self.state.uri, version=self.analyzed.version)
            return types.WorkspaceEdit(document_changes=[
                types.TextDocumentEdit(text_document=doc, edits=list(edits))])
        return types.WorkspaceEdit(changes={self.state.uri: list(edits)})

    def build(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        only = params.context.only
        actions: list[types.CodeAction] = []
        pairs = list(zip(self.analyzed.result.findings, self.analyzed.diagnostics, strict=True))
        in_range = [(f, d) for f, d in pairs if _overlaps(d.range, params.range)]
        client_diags = params.context.diagnostics
        if kind_requested(types.CodeActionKind.QuickFix, only):
            for finding, diag in in_range:
                attached = [c for c in client_diags if _same(c, diag)] or [diag]
                if finding.fix is not None:
                    actions.append(self.quick_fix(finding, diag, attached))
            actions.extend(self.noqa_actions(in_range, client_diags))
        if kind_requested(FIX_ALL_KIND, only):
            fix_all = self.fix_all(pairs)
            if fix_all is not None:
                actions.append(fix_all)
        if kind_requested(types.CodeActionKind.RefactorRewrite, only):
            actions.extend(self.translate_actions(params.range))
        return actions

    def quick_fix(self, finding: Finding, diag: types.Diagnostic,
                  attached: list[types.Diagnostic]) -> types.CodeAction:
        assert finding.fix is not None
        edits = [types.TextEdit(range=to_lsp_range(self.analyzed.lines, self.encoder, e.range),
                                new_text=e.new_text) for e in finding.fix.edits]
        return types.CodeAction(
            title=f"{finding.fix.title} ({finding.code})",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=attached,
            is_preferred=finding.fix.safe,
            edit=self.edit(edits),
        )

    def noqa_actions(self, in_range: list[tuple[Finding, types.Diagnostic]],
                     client_diags: Sequence[types.Diagnostic]) -> list[types.CodeAction]:
        """"Disable MLSxxx for this line": one per (line, code), adds or extends ``# noqa``."""
        actions, seen = [], set()
        for finding, diag in in_range:
            line_no = finding.range.start.line
            if finding.code == "MLS001" or (line_no, finding.code) in seen \
                    or line_no >= len(self.analyzed.lines):
                continue
            seen.add((line_no, finding.code))
            edit = self.noqa_edit(line_no, finding.code)
            attached = [c for c in client_diags if _same(c, diag)] or [diag]
            actions.append(types.CodeAction(
                title=f"Disable {finding.code} for this line",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=attached,
                edit=self.edit([edit]),
            ))
        return actions

    def noqa_edit(self, line_no: int, code: str) -> types.TextEdit:
        content = line_content(self.analyzed.lines[line_no])
        match = next(iter(noqa_codes(content)), None)
        if match is not None:  # extend the existing list of codes
            at = match.end("codes")
            pos = types.Position(line_no, self.encoder.units(content[:at]))
            return types.TextEdit(range=types.Range(pos, pos), new_text=f", {code}")
        end = types.Position(line_no, self.encoder.units(content))
        sep = "" if not content.strip() else "  "
        return types.TextEdit(range=types.Range(end, end), new_text=f"{sep}# noqa: {code}")

    def fix_all(self, pairs: list[tuple[Finding, types.Diagnostic]]) -> types.CodeAction | None:
        """Every safe fix, skipping any whose edits overlap an earlier one's."""
        edits: list[types.TextEdit] = []
        taken: list[types.Range] = []
        for finding, _diag in pairs:
            if finding.fix is None or not finding.fix.safe:
                continue
            fix_edits = [types.TextEdit(range=to_lsp_range(self.analyzed.lines, self.encoder,
                                                           e.range), new_text=e.new_text)
                         for e in finding.fix.edits]
            if any(_overlaps(e.range, t) for e in fix_edits for t in taken):
                continue
            edits.extend(fix_edits)
            taken.extend(e.range for e in fix_edits)
        if not edits:
            return None
        return types.CodeAction(title="mlsense: apply all safe fixes", kind=FIX_ALL_KIND,
                                edit=self.edit(edits))

    def translate_actions(self, rng: types.Range) -> list[types.CodeAction]:
        """Offer translation where a model definition starts (its class, def or assignment line)."""
        from ...analyzers.models import find_model_definitions  # imports libcst: load on use

        actions = []
        doc = self.state.doc  # the analysed version's text, as the other actions use
        text = doc.text if doc.lines is self.analyzed.lines else "".join(self.analyzed.lines)
        for model in find_model_definitions(text, self.state.analyzer):
            if not rng.start.line <= model.start_line <= rng.end.line:
                continue
            target = "keras" if model.framework == "pytorch" else "pytorch"
            label = "Keras" if target == "keras" else "PyTorch"
            args = {"uri": self.state.uri, "target": target, "className": model.name}
            actions.append(types.CodeAction(
                title=f"Translate {model.name} to {label} (mlsense)",
                kind=types.CodeActionKind.RefactorRewrite,
                command=types.Command(title=f"Translate to {label}", command=TRANSLATE_COMMAND,
                                      arguments=[args]),
            ))
        return actions
