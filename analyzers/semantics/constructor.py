"""An ``nn.Module`` / ``keras.Model`` subclass's constructor as the walks read it: its
parameters (``init_params``), their values where the file's calls state them (``init_env``,
``bind_arguments``) or as symbols where no call does (``symbolic_env``), and its methods
(``method_of``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import libcst as cst

from .args import UNKNOWN, Symbol, literal


def init_params(cls: cst.ClassDef) -> list[cst.Param]:
    init = method_of(cls, "__init__")
    if init is None:
        return []
    p = init.params
    return [*p.posonly_params, *p.params][1:] + list(p.kwonly_params)


def init_env(cls: cst.ClassDef, bound: Mapping[str, Any] | None) -> dict[str, Any]:
    """``__init__``'s parameters: the value the file's calls give (the same at every call),
    else the default, else UNKNOWN."""
    env: dict[str, Any] = {}
    for param in init_params(cls):
        name = param.name.value
        if bound is not None and name in bound:
            env[name] = bound[name]
        else:
            env[name] = literal(param.default) if param.default is not None else UNKNOWN
    return env


_INPUT_SYMBOLS = frozenset(("N", "C", "D", "H", "W", "L", "T"))


def symbolic_env(cls: cst.ClassDef) -> dict[str, Any]:
    """``__init__``'s parameters as :class:`Symbol` s (``in_chans``), for a class no call of
    the file builds: a default is what one caller gets, not what the class computes."""
    return {name: Symbol(name) if name not in _INPUT_SYMBOLS else UNKNOWN
            for name in (p.name.value for p in init_params(cls))}


def bind_arguments(cls: cst.ClassDef, call: cst.Call, env: Mapping[str, Any] | None = None
          ) -> dict[str, Any]:
    """``call``'s arguments by ``__init__`` parameter, evaluated in ``env`` (the caller's)."""
    params = [p.name.value for p in init_params(cls)]
    bound: dict[str, Any] = {}
    position = 0
    for arg in call.args:
        if arg.star:
            return dict.fromkeys(params, UNKNOWN)  # *args / **kwargs: nothing is certain
        if arg.keyword is not None:
            bound[arg.keyword.value] = literal(arg.value, env)
        elif position < len(params):
            bound[params[position]] = literal(arg.value, env)
            position += 1
    return bound


def method_of(cls: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    return next((s for s in body if isinstance(s, cst.FunctionDef) and s.name.value == name),
                None)
