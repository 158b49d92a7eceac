"""Print the Keras file of a traced model: one ``keras.Model`` subclass, named after the source
class, with its layers in ``__init__`` (named after their module paths) and a straight-line
``call``. Pure Python: the description comes from traced/capture.py in a worker process."""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from typing import Any

from ..base import TensorSpec, Translation, TranslationError, Unsupported
from ..torch_to_keras.emit import layout_sentence
from ..torch_to_keras.layers import LayerError, plan_layer
from ..torch_to_keras.layout import Val, channels_last
from .graph import GraphWalk, layer_args

_PASS_THROUGH = frozenset({"relu", "sigmoid", "tanh", "gelu", "silu", "leaky_relu", "elu",
                           "dropout", "contiguous", "relu6"})


def input_perm(desc: dict[str, Any]) -> tuple[int, ...] | None:
    """Channels-last when the first layout-sensitive consumer of the input wants it."""
    nodes = desc["nodes"]
    users: dict[str, list[dict[str, Any]]] = {}
    for node in nodes:
        for arg in node["args"][:1]:
            if isinstance(arg, dict) and "node" in arg:
                users.setdefault(arg["node"], []).append(node)
    first = next(n for n in nodes if n["op"] == "placeholder")
    rank = len(first["value"]["shape"])
    queue = [first]
    while queue:
        for user in users.get(queue.pop(0)["name"], []):
            if user["op"] == "call_module":
                module = desc["modules"][user["target"]]
                call = ast.Call(ast.Name(module["type"], ast.Load()), [],
                                layer_args(module["args"]))
                call.lineno = user["line"]
                try:
                    layout = plan_layer(module["type"], call, {}).layout
                except LayerError:
                    return None
                if layout == "cl":
                    return channels_last(rank)
                if layout == "same":
                    return None
                queue.append(user)
            elif user["target"].rsplit(".", 1)[-1] in _PASS_THROUGH:
                queue.append(user)
            else:
                return None
    return None


def _header(desc: dict[str, Any], static_error: str | None) -> list[str]:
    shape = ", ".join(str(d) for d in [2, *desc["input"]["shape"]])
    text = (f"Traced by mlsense from the built model `{desc['source_model']}` on an input of "
            f"shape ({shape}): loops, helper methods and builder code ran and are unrolled "
            "below; each layer is named after its module path in the PyTorch model.")
    lines = textwrap.wrap(text, width=96, initial_indent="# ", subsequent_indent="# ")
    if static_error:
        lines += textwrap.wrap(f"Read statically, the source stopped at {static_error}",
                               width=96, initial_indent="# ", subsequent_indent="#   ")
    return lines


def _class_source(name: str, walk: GraphWalk, sentence: str) -> list[str]:
    lines = [f"class {name}(keras.Model):", f'    """{sentence}"""', "",
             "    def __init__(self):", "        super().__init__()"]
    for kname, code, pre in walk.layers.values():
        if pre:
            lines.append(f"        self.{kname}_pad = {pre}")
        lines.append(f"        self.{kname} = {code}")
    lines += ["", f"    def call(self{''.join(', ' + i for i in walk.inputs)}):"]
    lines += [f"        {line}" for line in walk.lines]
    return lines


@dataclass
class WholeSpec(TensorSpec):
    """An input given whole, batch axis included where the model puts it (an RNN state is
    ``(layers, N, H)``); consecutive specs of one ``group`` are one tuple argument."""

    group: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "whole": True, "group": self.group}


def _state_specs(desc: dict[str, Any]) -> list[TensorSpec]:
    specs: list[TensorSpec] = []
    for group, state in enumerate(desc.get("state_inputs", []), start=1):
        value = state["value"]
        for item in value.get("items", [value]):
            specs.append(WholeSpec(tuple(item["shape"]), item["dtype"], group=group))
    return specs


def _output_specs(out: Val) -> list[TensorSpec]:
    if out.kind == "tuple":
        return [spec for item in out.items for spec in _output_specs(item)]
    return [TensorSpec(tuple(-1 if d is None else d for d in (out.shape or (None,))[1:]),
                       to_target=out.perm)]


def _with_dtype(code: str, dtype: str) -> str:
    """A Keras layer constructor with ``dtype=`` added (other code unchanged)."""
    if not code.startswith(("layers.", "TransformerEncoderLayer(")) or not code.endswith(")"):
        return code
    return f"{code[:-1]}{'' if code.endswith('()') else ', '}dtype={dtype!r})"


def traced_translation(desc: dict[str, Any], filename: str,
                       static_error: str | None = None) -> Translation:
    """The Translation of a traced model; TranslationError listing every unsupported node."""
    perm = input_perm(desc)
    walk = GraphWalk(desc, perm)
    walk.run()
    if walk.unsupported or walk.output is None:
        found = walk.unsupported or [Unsupported(desc.get("forward_line", 1), "forward",
                                                 "the traced graph returns nothing")]
        found = sorted({(u.line, u.construct, u.reason): u for u in found}.values(),
                       key=lambda u: u.line)
        first = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise TranslationError(f"{filename}:{first.line}: cannot translate {first.construct}: "
                               f"{first.reason}{more}", found)
    spec_in = desc["input"]
    if spec_in["dtype"] == "float64":  # a model run as .double(): every layer in float64
        walk.layers = {k: (kname, _with_dtype(code, "float64"), pre and _with_dtype(pre, "float64"))
                       for k, (kname, code, pre) in walk.layers.items()}
    spec = TensorSpec(tuple(spec_in["shape"]), spec_in["dtype"], perm, spec_in.get("vocab"))
    name = desc["class_name"] if desc["class_name"].isidentifier() else "TracedModel"
    if name in ("Sequential", "Model", "Module"):
        name = "TracedModel"
    body = _class_source(name, walk, layout_sentence([spec]))
    imports = [walk.helpers.pop("<numpy>")] if "<numpy>" in walk.helpers else []
    head = _header(desc, static_error) + ["", *imports, "import keras"]
    if walk.helpers or any(code.startswith("layers.") or (pre or "").startswith("layers.")
                           for _, code, pre in walk.layers.values()):
        head.append("from keras import layers")
    helpers = [line for helper in walk.helpers.values() for line in [*helper.splitlines(), "",
                                                                     ""]]
    text = "\n".join([*head, "", "", *helpers, *body]) + "\n"
    notes = [f"traced: built `{desc['source_model']}` and traced its forward with torch.fx on "
             f"an input of shape {[2, *spec_in['shape']]}; the Keras class is flat, its layers "
             "named after their module paths"]
    assert walk.output is not None
    return Translation("pytorch", "keras", text, desc["source_model"], f"{name}()",
                       [spec, *_state_specs(desc)],
                       _output_specs(walk.output), walk.weights, [], notes)
