"""``textDocument/hover``: rule documentation where the cursor names or shows a rule.

Like ruff's server: a rule code inside a ``# noqa: MLS201, MLS301`` comment shows that rule's
page (``docs/rules/<CODE>.md``); a position inside one of our diagnostics shows the rule's code,
name and the page's first section (the "why"). Hovers never wait for an analysis: they read the
last analysed version and answer None when the text changed since.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from lsprotocol import types

from ...analyzers.noqa import noqa_codes
from .cells import to_cell_range
from .diagnostics import AnalyzedVersion, DiagnosticsEngine, OpenDocument
from .notebooks import NotebookSync
from .positions import PositionEncoder, from_lsp_position, line_content


class HoverHost(Protocol):
    """What hovers use of the language server (server.py implements it)."""

    engine: DiagnosticsEngine
    notebooks: NotebookSync

# The same comment syntax the engine honours (analyzers/engine.py), with each code's span.
_CODE = re.compile(r"[A-Z]+[0-9]+", re.I)
_SECTION = re.compile(r"^##\s", re.M)


def noqa_code_at(line: str, column: int) -> tuple[str, int, int] | None:
    """The rule code of a ``# noqa:`` comment under code-point ``column``: (code, start, end)."""
    content = line_content(line)
    for comment in noqa_codes(content):
        offset = comment.start("codes")
        for code in _CODE.finditer(comment.group("codes")):
            start, end = offset + code.start(), offset + code.end()
            if start <= column <= end:
                return code.group().upper(), start, end
    return None


def rule_page(code: str) -> str | None:
    """The markdown page of rule ``code``, else its name and message; None for unknown codes."""
    from ...analyzers.registry import DOCS_DIR, rule_info  # loaded after `initialize`

    try:
        return (DOCS_DIR / f"{code}.md").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    try:
        info = rule_info(code)
    except KeyError:
        return None
    return f"**{info.code}** {info.name}\n\n{info.message}"


def rule_summary(code: str, name: str | None) -> str:
    """``**CODE** name`` and the first section of the rule's page (why the rule exists)."""
    page = rule_page(code)
    if name is None:
        from ...analyzers.registry import rule_info

        try:
            name = rule_info(code).name
        except KeyError:
            name = ""
    header = f"**{code}** {name}".rstrip()
    if page is None:
        return header
    sections = _SECTION.split(page)
    if len(sections) < 2:  # no "## " section (a fallback summary): show what there is
        return page if page.startswith(header) else f"{header}\n\n{page}"
    why = sections[1].strip()
    title, _, body = why.partition("\n")
    return f"{header}\n\n**{title.strip()}**\n\n{body.strip()}"


def _contains(rng: types.Range, pos: types.Position) -> bool:
    start, end = (rng.start.line, rng.start.character), (rng.end.line, rng.end.character)
    return start <= (pos.line, pos.character) <= end


def _markdown(value: str, rng: types.Range) -> types.Hover:
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=value),
                       range=rng)


def _noqa_hover(lines: Sequence[str], encoder: PositionEncoder,
                position: types.Position) -> types.Hover | None:
    if not 0 <= position.line < len(lines):
        return None
    line = lines[position.line]
    _, column = from_lsp_position(lines, encoder, position)
    found = noqa_code_at(line, column)
    if found is None:
        return None
    code, start, end = found
    page = rule_page(code)
    if page is None:
        return None
    rng = types.Range(start=types.Position(position.line, encoder.to_client(line, start)),
                      end=types.Position(position.line, encoder.to_client(line, end)))
    return _markdown(page, rng)


def _diagnostic_hover(analyzed: AnalyzedVersion, position: types.Position) -> types.Hover | None:
    under = [d for d in analyzed.diagnostics if _contains(d.range, position)]
    if not under:
        return None
    parts = []
    for diag in under:
        data = diag.data if isinstance(diag.data, dict) else {}
        name = data.get("name") if isinstance(data.get("name"), str) else None
        parts.append(rule_summary(str(diag.code), name))
    return _markdown("\n\n---\n\n".join(parts), under[0].range)


def _analysed(state: OpenDocument, generation: int) -> AnalyzedVersion | None:
    """The last analysis of ``state`` if it was computed on the current text, else None."""
    latest = state.latest
    if latest is None or latest.lines is not state.doc.lines or latest.generation != generation:
        return None
    return latest


def hover_at(server: HoverHost, uri: str,
             position: types.Position) -> types.Hover | None:
    """The hover for ``position`` of document (or notebook cell) ``uri``; never waits."""
    engine = server.engine
    if server.notebooks.notebook_of(uri) is not None:
        return _cell_hover(server, uri, position)
    state = engine.documents.get(uri)
    if state is None or server.notebooks.owns(uri):
        return None
    hover = _noqa_hover(state.doc.lines, engine.encoder, position)  # needs no analysis
    if hover is not None:
        return hover
    analyzed = _analysed(state, engine.generation)
    if analyzed is None:
        return None
    return _diagnostic_hover(analyzed, position) \
        or _variable_hover(analyzed, engine.encoder, position) \
        or _layer_hover(state, analyzed, engine.encoder, position)


def _variable_hover(analyzed: AnalyzedVersion, encoder: PositionEncoder,
                    position: types.Position) -> types.Hover | None:
    """A variable's shape, dtype, device and kind where the code states them
    (analyzers/semantics/variables.py): ``x: Tensor (N, 32, 13, 13) float32 · cpu``."""
    parse = analyzed.parse
    if parse is None or not 0 <= position.line < len(analyzed.lines):
        return None
    from ...analyzers.semantics.variables import variable_at

    column = encoder.from_client(analyzed.lines[position.line], position.character)
    fact = variable_at(parse, position.line, column)
    if fact is None:
        return None
    l0, c0, l1, c1 = fact.range
    rng = types.Range(types.Position(l0, encoder.to_client(analyzed.lines[l0], c0)),
                      types.Position(l1, encoder.to_client(analyzed.lines[l1], c1)))
    return _markdown(f"```python\n{fact.label()}\n```", rng)


def _layer_hover(state: OpenDocument, analyzed: AnalyzedVersion, encoder: PositionEncoder,
                 position: types.Position) -> types.Hover | None:
    """What the layer call under ``position`` does, its shapes and parameters here, and its
    Keras equivalent (analyzers/semantics/describe.py)."""
    parse = analyzed.parse
    if parse is None or not 0 <= position.line < len(analyzed.lines):
        return None
    import libcst as cst  # loaded with the engine, after initialize

    from ...analyzers.semantics import keras, pytorch
    from ...analyzers.semantics.describe import describe_layer, hover_markdown
    from ...analyzers.semantics.sequential import chunk_models
    from ...analyzers.walk import iter_nodes
    from .inlay import file_facts

    line = analyzed.lines[position.line]
    column = encoder.from_client(line, position.character)
    for chunk, offset in parse.chunks:
        if chunk.module is None or not offset <= position.line <= offset + chunk.text.count("\n"):
            continue
        at = (position.line - offset, column)
        best = None
        for node in iter_nodes([chunk.module]):
            if not isinstance(node, cst.Call):
                continue
            name = parse.imports.resolve(node.func)
            if name not in pytorch.LAYERS and name not in keras.LAYERS:
                continue
            l0, c0, l1, c1 = chunk.range_of(node)
            if (l0, c0) <= at <= (l1, c1) and (best is None or (l0, c0) >= best[1][:2]):
                best = (node, (l0, c0, l1, c1), name)
        if best is None:
            return None
        node, (l0, c0, l1, c1), name = best
        _, inputs, _ = file_facts(parse)
        info = describe_layer(node, name, chunk_models(chunk, parse.imports, inputs))
        if info is None:
            return None
        source = " ".join(cst.Module([]).code_for_node(node).split())
        rng = types.Range(
            types.Position(offset + l0, encoder.to_client(analyzed.lines[offset + l0], c0)),
            types.Position(offset + l1, encoder.to_client(analyzed.lines[offset + l1], c1)))
        return _markdown(hover_markdown(source, info), rng)
    return None


def _cell_hover(server: HoverHost, cell_uri: str,
                position: types.Position) -> types.Hover | None:
    """A cell's hover, computed on the notebook's joined (analysed) text and moved back."""
    notebook_uri = server.notebooks.notebook_of(cell_uri)
    state = server.engine.documents.get(notebook_uri) if notebook_uri else None
    analyzed = _analysed(state, server.engine.generation) if state is not None else None
    if state is None or analyzed is None:
        return None
    layout = server.notebooks.current_layout(state, analyzed)
    span = layout.cell(cell_uri) if layout is not None else None
    if span is None or not 0 <= position.line < span.count:
        return None
    joined = types.Position(position.line + span.start, position.character)
    hover = _noqa_hover(analyzed.lines, server.engine.encoder, joined) \
        or _diagnostic_hover(analyzed, joined)
    if hover is None or hover.range is None:
        return hover
    hover.range = to_cell_range(hover.range, span, analyzed.lines, server.engine.encoder)
    return hover
