"""PyTorch optimizers -> Keras, with torch's values where Keras' defaults differ.

torch's default learning rates (SGD 1e-3, RMSprop 1e-2) and epsilons (1e-8) are written out;
Adam's ``betas`` are ``beta_1``/``beta_2``; RMSprop's ``alpha`` is ``rho`` and its epsilon moves
inside the square root (squared); AdamW keeps torch's weight decay 0.01; ``weight_decay`` on
Adam/SGD/RMSprop (L2 on the gradient) becomes the ``<Name>WithL2`` subclass of
:mod:`.schedules`.
"""

from __future__ import annotations

import ast

# torch optimizer -> (Keras class, torch's default epsilon or None when Keras has none)
OPTIMIZERS = {"Adam": ("Adam", 1e-8), "AdamW": ("AdamW", 1e-8), "RMSprop": ("RMSprop", 1e-8),
              "SGD": ("SGD", None)}
# torch's default learning rates (Keras' differ for SGD, 0.01, and RMSprop, 0.001)
_TORCH_LR = {"Adam": "0.001", "AdamW": "0.001", "RMSprop": "0.01", "SGD": "0.001"}


def keras_optimizer(name: str, call: ast.Call) -> tuple[str, str, str | None]:
    """(the Keras optimizer with ``learning_rate=LR`` for the caller to fill, torch's learning
    rate, the L2 subclass name when weight_decay is torch's coupled one)."""
    keras_name, eps = OPTIMIZERS[name]
    l2_class: str | None = None
    lr = next((ast.unparse(k.value) for k in call.keywords if k.arg == "lr"),
              ast.unparse(call.args[1]) if len(call.args) > 1 else _TORCH_LR[name])
    opts = ["learning_rate=LR"]
    has_eps = False
    for kw in call.keywords:
        if kw.arg == "lr":
            continue
        if kw.arg == "weight_decay" and name != "AdamW":
            # torch adds weight_decay * w to the gradient (L2); Keras' is decoupled
            l2_class = f"{keras_name}WithL2"
            opts.insert(0, f"l2={ast.unparse(kw.value)}")
        elif kw.arg == "eps":
            value = ast.unparse(kw.value)
            # RMSprop: torch adds eps after the square root, Keras inside it (sqrt(v + eps)):
            # eps**2 inside gives the same denominator wherever it matters.
            opts.append(f"epsilon=({value}) ** 2" if name == "RMSprop" else f"epsilon={value}")
            has_eps = True
        elif kw.arg in ("momentum", "weight_decay", "nesterov", "amsgrad", "centered"):
            opts.append(f"{kw.arg}={ast.unparse(kw.value)}")
        elif kw.arg == "betas":  # torch's (beta1, beta2) are Keras' beta_1 / beta_2
            if isinstance(kw.value, ast.Tuple) and len(kw.value.elts) == 2:
                b1, b2 = (ast.unparse(e) for e in kw.value.elts)
            else:
                b1, b2 = (f"{ast.unparse(kw.value)}[{i}]" for i in (0, 1))
            opts += [f"beta_1={b1}", f"beta_2={b2}"]
        elif kw.arg == "alpha" and name == "RMSprop":
            opts.append(f"rho={ast.unparse(kw.value)}")
    if name == "RMSprop" and not any(kw.arg == "alpha" for kw in call.keywords):
        opts.append("rho=0.99")  # torch's smoothing constant; Keras' RMSprop uses 0.9
    if name == "AdamW" and not any(kw.arg == "weight_decay" for kw in call.keywords):
        opts.append("weight_decay=0.01")  # torch's default; Keras' AdamW uses 0.004
    if eps is not None and not has_eps:
        # Keras defaults to 1e-7, torch to 1e-8; RMSprop's goes inside the root in Keras.
        opts.append(f"epsilon={eps ** 2:g}" if name == "RMSprop" else f"epsilon={eps}")
    cls = l2_class or f"keras.optimizers.{keras_name}"
    return f"{cls}({', '.join(o for o in opts if o)})", lr, l2_class
