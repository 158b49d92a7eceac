"""A custom Keras layer's own weights: ``self.w = self.add_weight(...)`` in its ``build``.

``build(self, input_shape)`` runs with the instance's input shape (Keras' shape, batch first)
and its constructor's values, so ``shape=(input_shape[-1], self.units)`` is known. The weights
become parameters of one small module per instance, ``self.dense1 = KerasWeights(w=..., b=...)``
(the layer's ``call`` is inlined in ``forward``: ``x @ self.dense1.w + self.dense1.b``), created
like Keras initializes them where torch has the same initializer. The weight map copies each
variable by its Keras name (kind ``variables``).
"""

from __future__ import annotations

import ast
from typing import Any

from ..base import TranslationError, Unsupported
from .params import plain
from .parse import Folder, LayerSpec, UserLayer
from .shapes import Node, Sym

HELPER = '''class KerasWeights(nn.Module):
    """The weights a custom Keras layer creates with add_weight() in build(); its call() is
    translated in the model's forward."""

    def __init__(self, **weights):
        super().__init__()
        for name, value in weights.items():
            self.register_parameter(name, nn.Parameter(value))'''

# Keras initializer -> torch expression of a fresh tensor ({shape}: its sizes)
_INIT = {"zeros": "torch.zeros({shape})", "ones": "torch.ones({shape})",
         "glorot_normal": "nn.init.xavier_normal_(torch.empty({shape}))",
         "glorot_uniform": "nn.init.xavier_uniform_(torch.empty({shape}))",
         "random_normal": "nn.init.normal_(torch.empty({shape}), std=0.05)",
         "random_uniform": "nn.init.uniform_(torch.empty({shape}), -0.05, 0.05)"}
_ADD_WEIGHT = ("shape", "initializer", "dtype", "trainable")


def _fail(node: ast.AST, construct: str, reason: str) -> TranslationError:
    line = getattr(node, "lineno", 0)
    return TranslationError(f"line {line}: {construct}: {reason}",
                            [Unsupported(line, construct, reason, getattr(node, "col_offset", 0))])


def _value(folder: Folder, node: ast.expr, env: dict[str, Any], attrs: dict[str, Any]) -> Any:
    """A Python value in ``build``: names, ``self.units``, ``input_shape[-1]``, tuples."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
            node.value.id == "self" and node.attr in attrs:
        return attrs[node.attr]
    if isinstance(node, ast.Tuple | ast.List):
        return tuple(_value(folder, e, env, attrs) for e in node.elts)
    if isinstance(node, ast.Subscript):
        base, index = _value(folder, node.value, env, attrs), _value(folder, node.slice, env,
                                                                     attrs)
        if isinstance(base, tuple) and isinstance(index, int) and -len(base) <= index < len(
                base):
            return base[index]
    return folder.fold(node, env)


def _initializer(folder: Folder, value: Any, node: ast.AST | None) -> str | None:
    """``glorot_normal`` for ``"glorot_normal"`` / ``initializers.GlorotNormal()``."""
    if value is None:
        return "glorot_uniform"  # add_weight's default for a float weight
    if isinstance(value, str):
        return value.lower()
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        name = (folder.imports.resolve(node.func) or "").rsplit(".", 1)[-1]
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
        return snake
    return None


Module = tuple[str, str, LayerSpec, tuple[str, dict[str, Any]], str]


def run_build(folder: Folder, obj: UserLayer, x: Sym) -> Module | None:
    """Read the instance's ``build``: its weights go to ``obj.attrs`` as tensors of the model
    (``self.<instance>.<attribute>``); returns the ``KerasWeights`` module holding them
    (attribute, constructor, layer spec, weight-map entry, helper class source)."""
    assert obj.name is not None
    made = read_weights(folder, obj, x, f"{obj.name}.")
    if not made:
        return None
    args = ", ".join(f"{attr}={expr}" for attr, expr, _ in made)
    if len(args) + len(obj.name) > 70:  # one weight a line past the width of the file
        args = "".join(f"\n            {attr}={expr}," for attr, expr, _ in made) + "\n        "
    spec = LayerSpec("KerasWeights", [], {}, obj.line, attr=obj.name)
    spec.extra["keras_self"] = obj  # the weight map reaches the custom layer itself
    return (obj.name, f"KerasWeights({args})", spec, weight_entry(made), HELPER)


def weight_entry(made: list[tuple[str, str, str]]) -> tuple[str, dict[str, Any]]:
    """The weight map's entry of a custom layer's own weights: copied by their Keras names."""
    return "variables", {"pairs": [[attr, key] for attr, _, key in made]}


def read_weights(folder: Folder, obj: UserLayer, x: Sym,
                 owner: str) -> list[tuple[str, str, str]]:
    """The weights ``build`` creates: (attribute, torch tensor expression, Keras name) each;
    in ``obj.attrs`` they become tensors ``self.<owner><attribute>``."""
    build = next((s for s in obj.cls.body if isinstance(s, ast.FunctionDef)
                  and s.name == "build"), None)
    if build is None or obj.attrs is None:
        return []
    params = [a.arg for a in build.args.args[1:]]
    env: dict[str, Any] = {params[0]: (None, *x.shape)} if params else {}
    made: list[tuple[str, str, str]] = []  # (torch attribute, tensor expression, Keras name)
    for stmt in build.body:
        if isinstance(stmt, ast.Expr | ast.Return) and isinstance(
                stmt.value, ast.Constant | ast.Call) and (isinstance(stmt.value, ast.Constant)
                                                          or "super(" in folder.text(stmt)):
            continue  # a docstring, [return] super().build(input_shape)
        if isinstance(stmt, ast.Return) and stmt.value is None and stmt is build.body[-1]:
            continue
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
            raise _fail(stmt, folder.text(stmt).splitlines()[0], "statement in build() not "
                        "translated (assignments and self.x = self.add_weight(...))")
        target, value = stmt.targets[0], stmt.value
        if isinstance(target, ast.Name):
            env[target.id] = _value(folder, value, env, obj.attrs)
            continue
        if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                and target.value.id == "self"):
            raise _fail(stmt, folder.text(target), "assignment in build() not translated")
        if target.attr == "built":
            continue
        if not (isinstance(value, ast.Call) and folder.text(value.func) == "self.add_weight"):
            raise _fail(stmt, f"self.{target.attr}", "only weights (self.add_weight(...)) are "
                        "translated in build()")
        made.append(_weight(folder, obj, target.attr, value, env, owner))
    return made


def _weight(folder: Folder, obj: UserLayer, attr: str, call: ast.Call,
            env: dict[str, Any], owner: str) -> tuple[str, str, str]:
    """One ``self.<attr> = self.add_weight(...)``: (attribute, torch tensor, Keras name)."""
    assert obj.attrs is not None
    given = dict(zip(_ADD_WEIGHT, call.args, strict=False))
    given.update({k.arg: k.value for k in call.keywords if k.arg})
    values = {k: _value(folder, v, env, obj.attrs) for k, v in given.items()}
    shape = values.get("shape")
    where = f"self.{attr} = self.add_weight(...)"
    if not isinstance(shape, tuple) or not all(isinstance(d, int) for d in shape):
        raise _fail(call, where, "the weight's shape is not known statically (sizes from "
                    "input_shape, constructor arguments and constants are)")
    if values.get("trainable", True) is not True or "float" not in str(values.get(
            "dtype", "float32")):
        raise _fail(call, where, "only trainable float weights are translated")
    name = values.get("name")
    if name is None and "name" not in given:  # Keras names it "variable_<n>": found by attribute
        name = f"attr:{attr}"
    if not isinstance(name, str):
        raise _fail(call, where, "the weight's name= is not a literal (the weight map copies "
                    "it by name)")
    init = _initializer(folder, values.get("initializer"), given.get("initializer"))
    dims = ", ".join(str(d) for d in shape)  # tagged sizes print as parameter markers
    # an initializer torch lacks: torch.empty (the weights come from Keras when verified)
    tensor = _INIT.get(init or "", "torch.empty({shape})").format(shape=dims)
    obj.attrs[attr] = Sym(shape=tuple(plain(shape)), expr=f"self.{owner}{attr}",
                          node=Node(("weight", f"{obj.name}.{attr}")), batchless=True)
    return attr, tensor, name
