"""Emitting the traced model as PyTorch source: ``nn.Sequential`` or an ``nn.Module`` class.

Also derives the contract data the verifier needs from the trace: model input/output specs (with
the NHWC -> NCHW permutation) and the weight map (torch module path <-> Keras layer).
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, field

from ..base import TensorSpec, WeightTransfer
from .classes import finalize, kept_statements
from .layers import Fn, Mod
from .model import Found, Traced
from .parse import Folder, LayerSpec
from .selection import with_defaults
from .shapes import Sym, to_cf_perm

_CF_NOTE = ("Channels-first: image/sequence-map inputs are N,C,H,W / N,C,L (Keras: N,H,W,C / "
            "N,L,C); every axis-dependent op is remapped (e.g. Keras axis=-1 on a feature map is "
            "dim=1).")
_FLAT_NOTE = ("Flatten keeps torch's C,H,W order; when Keras weights are loaded, the rows of the "
              "following Linear are permuted from Keras' H,W,C order (weight_map flatten_from).")


@dataclass
class Emitted:
    """The model's torch source and the verification data derived from the trace."""

    code: str
    class_name: str | None
    inputs: list[TensorSpec] = field(default_factory=list)
    outputs: list[TensorSpec] = field(default_factory=list)
    weight_map: list[WeightTransfer] = field(default_factory=list)


def camel(name: str) -> str:
    """``build_model`` -> ``Model``; ``my_cnn`` -> ``MyCnn``."""
    name = re.sub(r"^(build|make|create|get)_", "", name)
    return "".join(p[:1].upper() + p[1:] for p in name.split("_") if p) or "Net"


def _pure_chain(traced: Traced) -> bool:
    for spec, steps in traced.tracer.layer_steps:
        if "keras_owner" in spec.extra or "custom_class" in spec.extra:
            return False  # a custom layer's call: its own data flow
        for step in steps:
            if isinstance(step, Mod) and (step.stmt is not None or step.expr != "{m}({x})"):
                return False
            if isinstance(step, Fn) and not step.modules:
                return False
    return not any(s.layout == "flatcf" for s in traced.outputs)


def io_specs(traced: Traced) -> tuple[list[TensorSpec], list[TensorSpec]]:
    """Model inputs/outputs in Keras layout, with the permutation to the torch layout."""
    ins = []
    for sym in traced.inputs:
        name = sym.expr
        vocab = traced.tracer.int_inputs.get(name)
        dtype = "int64" if vocab is not None or sym.dtype == "int64" else "float32"
        perm = to_cf_perm(len(sym.shape)) if sym.layout == "cf" else None
        ins.append(TensorSpec(tuple(v or 1 for v in sym.shape), dtype, perm, vocab))
    outs = [TensorSpec(tuple(v or 1 for v in s.shape), "float32",
                       to_cf_perm(len(s.shape)) if s.layout == "cf" else None)
            for s in traced.outputs]
    return ins, outs


def _keras_path(found: Found, traced: Traced, spec: LayerSpec, attr: str | None) -> str:
    itself = spec.extra.get("keras_self")  # a custom layer's own weights (variables.py)
    if itself is not None:
        return f"attr:{itself.name}" if found.kind == "subclass" else \
            f"index:{traced.keras_index[id(itself)]}"
    owner = spec.extra.get("keras_owner")
    if owner is not None:  # a layer of a custom layer (custom.py): reached through it
        base = owner[0].name if found.kind == "subclass" else \
            f"layers.{traced.keras_index[id(owner[0])]}"
        return f"attr:{base}.{owner[1]}"
    if found.kind == "subclass":
        return f"attr:{attr}"
    if id(spec) not in traced.keras_index:
        raise spec.unsupported(spec.kind, "the layer's output never reaches the model's "
                               "outputs (a statement in between, such as a for loop, was not "
                               "translated)")
    return f"index:{traced.keras_index[id(spec)]}"


def _docstring(traced: Traced, indent: str, extra: str | None = None) -> list[str]:
    notes = ["Translated from Keras by mlsense."]
    if extra:
        notes.insert(0, extra)
    if any(s.layout == "cf" for s in traced.inputs) or any(
            m.ctor.startswith(("nn.Conv", "nn.MaxPool", "nn.AvgPool", "nn.BatchNorm2d"))
            for m in traced.tracer.modules):
        notes.append(_CF_NOTE)
    if any("flatten_from" in (m.weight or ("", {}))[1] for m in traced.tracer.modules):
        notes.append(_FLAT_NOTE)
    if len(notes) == 1:
        return [f'{indent}"""{notes[0]}"""']
    body = [f'{indent}"""{notes[0]}', ""]
    for note in notes[1:]:
        body += textwrap.wrap(note, 96, initial_indent=indent, subsequent_indent=indent)
    return body + [f'{indent}"""']


def _with_helpers(lines: list[str], helpers: list[str | None]) -> str:
    """The model's lines after the module classes they need (each defined once)."""
    unique = list(dict.fromkeys(h for h in helpers if h))
    return "\n\n\n".join([*unique, "\n".join(lines)])


def emit_sequential(found: Found, traced: Traced) -> Emitted | None:
    """``model = nn.Sequential(...)`` when every layer maps to modules in a plain chain."""
    if not _pure_chain(traced):
        return None
    lines = [f"{found.name} = nn.Sequential("]
    weights: list[WeightTransfer] = []
    index = 0
    for spec, steps in traced.tracer.layer_steps:
        for step in steps:
            ctors = [step.ctor] if isinstance(step, Mod) else list(step.modules)
            if isinstance(step, Mod) and step.weight is not None:
                kind, params = step.weight
                weights.append(WeightTransfer(kind, str(index), _keras_path(
                    found, traced, spec, None), params, spec.line))
            if isinstance(step, Mod) and step.todo:
                lines.append(f"    # {step.todo}")
            for ctor in ctors:
                lines.append(f"    {ctor},")
                index += 1
    lines.append(")")
    ins, outs = io_specs(traced)
    notes = ["Translated from Keras by mlsense."]
    if any(s.layout == "cf" for s in traced.inputs):
        notes.append(_CF_NOTE)
    if any("flatten_from" in w.params for w in weights):
        notes.append(_FLAT_NOTE)
    lines[:0] = ["# " + line for note in notes for line in textwrap.wrap(note, 96)]
    helpers = [s.helper for _, steps in traced.tracer.layer_steps for s in steps
               if isinstance(s, Mod)]
    return Emitted(_with_helpers(lines, helpers), None, ins, outs, weights)


def emit_class(found: Found, traced: Traced, folder: Folder, class_name: str,
               init_sig: str = "self") -> Emitted:
    """``class <Name>(nn.Module)`` with ``__init__`` modules and a traced ``forward``.

    ``init_sig`` is the ``__init__`` signature of a builder's class (its hyper-parameters).
    """
    tracer = traced.tracer
    finalize(tracer.classes)
    cls_node = found.node if found.kind == "subclass" else None
    kept, doc = list[str](), None
    if isinstance(cls_node, ast.ClassDef):
        init_sig, kept = _subclass_init(cls_node, folder, found)
        doc = ast.get_docstring(cls_node)
    lines = [f"class {class_name}(nn.Module):"]
    lines += _docstring(traced, "    ", doc)
    lines += ["", f"    def __init__({init_sig}):", "        super().__init__()"]
    lines += [f"        {k}" for k in kept]
    weights: list[WeightTransfer] = []
    modules = sorted(tracer.modules, key=lambda m: m.spec.line) if cls_node else tracer.modules
    for entry in modules:
        if entry.todo:
            lines.append(f"        # {entry.todo}")
        if not entry.nested:  # a module inside an emitted custom layer class
            lines.append(f"        self.{entry.attr} = {entry.ctor}")
        if entry.weight is not None:
            kind, params = entry.weight
            weights.append(WeightTransfer(kind, entry.attr, _keras_path(
                found, traced, entry.spec, entry.spec.attr), params, entry.spec.line))
    signature = ", ".join(s.expr for s in traced.inputs)
    lines += ["", f"    def forward(self, {signature}):"]
    lines += [f"        {line}" for line in tracer.lines]
    outs = []
    for sym in traced.outputs:
        if sym.layout == "flatcf":
            sym = _unflatten(sym)
        outs.append(sym.expr)
    lines.append(f"        return {', '.join(outs)}")
    ins, out_specs = io_specs(traced)
    return Emitted(_with_helpers(lines, [m.helper for m in tracer.modules]), class_name, ins,
                   out_specs, weights)


def _unflatten(sym: Sym) -> Sym:
    from .layers import in_layout

    return in_layout(sym, "keras")


def _subclass_init(cls: ast.ClassDef, folder: Folder, found: Found) -> tuple[str, list[str]]:
    """The torch ``__init__`` signature and the non-layer statements kept from Keras'; the
    values of a call the file does not make (``--class "MyModel(256, 16)"``) as defaults."""
    init = next((s for s in cls.body if isinstance(s, ast.FunctionDef)
                 and s.name == "__init__"), None)
    if init is None:
        return "self", []
    kept = kept_statements(init, folder)
    args = with_defaults(init.args, found.ctor) if found.ctor and not found.ctor_in_file \
        else init.args
    return signature(args, keep_vararg=True), kept


def signature(args: ast.arguments, keep_vararg: bool = False) -> str:
    """A parameter list as source, without ``**kwargs`` (Keras' base-layer options)."""
    copy = ast.arguments(posonlyargs=args.posonlyargs, args=args.args,
                         vararg=args.vararg if keep_vararg else None, kwonlyargs=args.kwonlyargs,
                         kw_defaults=args.kw_defaults, kwarg=None, defaults=args.defaults)
    return ast.unparse(copy)
