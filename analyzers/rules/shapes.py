"""Layer sizes against what flows in (MLS107), on the tensor facts of analyzers/semantics:
the elements of an ``nn.Sequential`` and the layers a module's ``forward`` applies.

Only certain mismatches are reported: the size that flows in must be a number the code states
(the file's calls of the model, a ``# mlsense: input (...)`` comment, the model's first layer
and the layers between), never a symbol or a guess (``semantics/queries.py``).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import libcst as cst

from ..aliases import canonical
from ..context import EditSpec, FixSpec, ModuleContext
from ..engine import ParsedVersion
from ..findings import Severity
from ..registry import ModuleRule, RuleInfo, register
from ..semantics.args import literal
from ..semantics.dims import fmt_shape
from ..semantics.hints import reused
from ..semantics.queries import Feed, file_version, layer_feeds

# (layer names, the argument that states the size, its position, the axis it must match)
_CHECKED = (
    (("Linear",), "in_features", 0, -1),
    (("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"),
     "in_channels", 0, 1),
    (("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
      "InstanceNorm3d"), "num_features", 0, 1),
    (("GroupNorm",), "num_channels", 1, 1),
)
# A file that spells none of these has no layer to check.
_LAYER_WORDS = ("Linear", "Conv", "Norm")


@register
class LayerSizeRules(ModuleRule):
    """A layer whose input size differs from the size that reaches it: in an nn.Sequential or
    where a module's ``forward`` applies it."""

    family = "torch-shapes"
    rules = (
        RuleInfo("MLS107", "layer-input-size-mismatch",
                 "{layer} expects {what} {expected}, but {got} reaches it ({shape} from "
                 "{source}); this fails at the first forward pass", Severity.ERROR,
                 fixable=True),
    )

    def check(self) -> None:
        mctx = self.ctx
        if not mctx.imports.imports_any("torch") or not mctx.mentions_any(*_LAYER_WORDS) \
                or not mctx.mentions_any("Sequential", "forward"):
            return
        if not _may_report(mctx):
            return  # no layer states a size: the file's facts are not computed
        contexts = {id(c.chunk): c for c in mctx.chunks}
        for feed, arg, arg_name, expected, got in _mismatches(file_version(mctx)):
            ctx = contexts.get(id(feed.chunk))
            if ctx is None:
                continue
            call = feed.call
            fix = FixSpec(f"Use {arg_name}={got}", (EditSpec(arg.value, str(got)),), safe=False)
            ctx.report(call, "MLS107", fix, layer=f"`{_short(ctx.code_for(call))}`",
                       what=arg_name, expected=expected, got=got, shape=fmt_shape(feed.shape),
                       source=feed.source or f"`{_short(ctx.code_for(feed.before))}`"
                       if feed.before is not None else feed.source)


Mismatch = tuple[Feed, cst.Arg, str, int, int]  # the feed, the argument, its name, its value, got


def _mismatches(parse: ParsedVersion) -> list[Mismatch]:
    """The first mismatching feed of each layer call, computed with the file's layer feeds
    (``queries.reused``: kept while the statements they read are unchanged)."""
    found = reused(parse).get("shapes:mismatches")
    if found is None:
        found, done = [], set()
        for feed in layer_feeds(parse):
            if id(feed.call) not in done:
                mismatch = _compare(feed, parse.imports.resolve(feed.call.func) or "")
                if mismatch is not None:
                    found.append(mismatch)
                    done.add(id(feed.call))
        reused(parse)["shapes:mismatches"] = found
    return found  # type: ignore[no-any-return]


def _compare(feed: Feed, name: str) -> Mismatch | None:
    call = feed.call
    short = name.rpartition(".")[2]
    if not name.startswith("torch.nn.") or len(feed.shape) < 2:
        return None
    for names, arg_name, index, axis in _CHECKED:
        if short not in names:
            continue
        arg = _argument(call, arg_name, index)
        expected = literal(arg.value) if arg is not None else None
        if arg is None or not isinstance(expected, int) or isinstance(expected, bool):
            return None
        got = feed.size(axis)
        if got is None or got == expected:
            return None
        return feed, arg, arg_name, expected, got
    return None


def _may_report(mctx: ModuleContext) -> bool:
    """Whether some statement calls a checked layer with a digit in the argument that states
    its size (a size the rule compares is an integer literal there), read from the texts
    (memoized per statement): the file's model facts are computed only then."""
    spellings = tuple(sorted({(n, n) for n in _POSITIONS} | {
        (local, short) for local, full in mctx.imports.names.items()
        if (short := canonical(full).rpartition(".")[2]) in _POSITIONS}))
    key = f"shapes:may-report:{spellings!r}"
    for ctx in mctx.chunks:
        chunk = ctx.chunk
        found = chunk.memo.get(key)
        if found is None:
            found = chunk.memo[key] = _sized_call(chunk.text, spellings)
        if found:
            return True
    return False


_POSITIONS = {n: (arg, index) for names, arg, index, _ in _CHECKED for n in names}


@functools.lru_cache(maxsize=16)
def _call_pattern(spellings: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(s) for s, _ in spellings) + r")\s*\(")


def _sized_call(text: str, spellings: tuple[tuple[str, str], ...]) -> bool:
    """Whether ``text`` may call a checked layer (``spellings``: (how it is spelled, the
    layer)) with a digit in its size argument; a call whose arguments hold a string or a
    comment counts (not split)."""
    layer = dict(spellings)
    for match in _call_pattern(spellings).finditer(text):
        keyword, index = _POSITIONS[layer[match.group(1)]]
        args, depth, start, position = [], 1, match.end(), match.end()
        while depth and position < len(text):
            char = text[position]
            if char in "'\"#":
                return True
            if char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
            elif char == "," and depth == 1:
                args.append(text[start:position])
                start = position + 1
            position += 1
        args.append(text[start:position - 1])
        positional = 0
        for arg in args:
            named = _KEYWORD.match(arg)
            if named is not None:
                if named.group(1) == keyword and _may_be_integer(arg[named.end():]):
                    return True
            elif not arg.lstrip().startswith("*"):
                if positional == index and _may_be_integer(arg):
                    return True
                positional += 1
    return False


def _may_be_integer(arg: str) -> bool:
    """Whether an argument's text may be what ``args.literal`` reads as an integer: integer
    literals and operators only (``64``, ``32 * 13 * 13``, ``-(1)``), no name, no float."""
    rest, numbers = _INTEGER.subn("", arg)
    return numbers > 0 and _OPERATORS.fullmatch(rest) is not None


_KEYWORD = re.compile(r"\s*(\w+)\s*=(?!=)")
_INTEGER = re.compile(r"\b(?:0[xXoObB][0-9a-fA-F_]+|[0-9][0-9_]*)\b")
_OPERATORS = re.compile(r"[\s+\-*/%()<>&|^~]*")


def _argument(call: cst.Call, keyword: str, index: int) -> cst.Arg | None:
    """The argument ``keyword`` of ``call``, given by name or at position ``index``."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[index] if index < len(positional) else None


def _short(code: str, limit: int = 40) -> Any:
    code = " ".join(code.split())
    return code if len(code) <= limit else code[: limit - 1] + "…"
