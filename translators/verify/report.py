"""What verification reports: per device, per layer, and the summary message built from them."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class DeviceResult:
    """The comparison on one device / Keras backend (``skipped`` when it could not run)."""

    device: str
    backend: str
    verified: bool = False
    skipped: bool = False
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class LayerError:
    """One mapped layer's output error; the first one over tolerance is where things diverge."""

    kind: str
    torch_path: str
    keras_path: str
    line: int
    max_abs_error: float | None
    diverges: bool = False
    note: str = ""


@dataclass
class TrainingResult:
    """The training check: the same batches through each side's loss and optimizer.

    ``torch_loss`` / ``keras_loss``: each step's loss (computed before that step's update, as
    both frameworks report it); ``steps``: after which steps the weights were compared, with the
    largest difference of a mapped trainable weight and where it was.
    """

    ran: bool
    verified: bool = False
    steps: list[dict[str, Any]] = field(default_factory=list)
    torch_loss: list[float] = field(default_factory=list)
    keras_loss: list[float] = field(default_factory=list)
    max_weight_error: float | None = None
    atol: float = 1e-4
    rtol: float = 1e-3
    message: str = ""
    notes: list[str] = field(default_factory=list)
    duration_s: float | None = None


def training_result(data: dict[str, Any] | None) -> TrainingResult | None:
    """The worker's training dict as a :class:`TrainingResult` with its one-line message."""
    if data is None:
        return None
    known = {k: data[k] for k in TrainingResult.__dataclass_fields__ if k in data}
    result = TrainingResult(**known)
    if result.ran and not result.message:
        worst = max(result.steps, key=lambda s: s["max_weight_error"]) if result.steps else {}
        losses = ", ".join(f"{a:.6g}/{b:.6g}" for a, b in zip(result.torch_loss,
                                                              result.keras_loss, strict=False))
        result.message = (f"{'verified' if result.verified else 'FAILED'} over "
                          f"{len(result.torch_loss)} steps (atol {result.atol:g}, rtol "
                          f"{result.rtol:g}): losses torch/keras {losses}; max weight error "
                          f"{_fmt(result.max_weight_error)}"
                          + (f" at {worst.get('worst')}" if not result.verified and worst
                             else ""))
        if result.notes:
            result.message += f" ({'; '.join(result.notes)})"
    return result


@dataclass
class VerificationReport:
    """What verification found; ``verified`` is True only if every device that ran agreed."""

    verified: bool
    max_abs_error: float | None
    max_rel_error: float | None
    devices: list[str]
    per_device: list[DeviceResult]
    per_layer: list[LayerError]
    onnx: dict[str, Any] | None
    message: str
    duration_s: float
    notes: list[str] = field(default_factory=list)
    atol: float = 1e-4
    rtol: float = 1e-4
    training: TrainingResult | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def device_result(device: str, backend: str, reply: dict[str, Any]) -> DeviceResult:
    """One leg's row from the worker's reply (a result or an error)."""
    if "error" in reply:
        return DeviceResult(device, backend, message=f"{reply.get('stage', 'verify')} failed: "
                                                     f"{reply['error']}")
    res = reply["result"]
    outputs = res.get("outputs", [])
    abs_errs = [o["max_abs_error"] for o in outputs if o.get("max_abs_error") is not None]
    rel_errs = [o["max_rel_error"] for o in outputs if o.get("max_rel_error") is not None]
    row = DeviceResult(device, res.get("backend", backend), verified=bool(res["verified"]),
                       max_abs_error=max(abs_errs) if abs_errs else None,
                       max_rel_error=max(rel_errs) if rel_errs else None, outputs=outputs,
                       timings=res.get("timings", {}))
    n_src, n_tgt = res.get("output_count", [len(outputs)] * 2)
    bad_shapes = [o for o in outputs if o.get("max_abs_error") is None]
    if n_src != n_tgt:
        row.message = f"the source model returns {n_src} outputs, the translation {n_tgt}"
    elif bad_shapes:
        o = bad_shapes[0]
        row.message = f"output shape differs: source {o['shape']}, translation " \
                      f"{o['target_shape']} (in the source layout)"
    else:
        row.message = f"max abs error {_fmt(row.max_abs_error)}, max rel error " \
                      f"{_fmt(row.max_rel_error)}"
    return row


def layer_errors(rows: list[dict[str, Any]], atol: float, rtol: float) -> list[LayerError]:
    """The worker's per-layer rows, the first one over tolerance flagged as diverging."""
    errors, flagged = [], False
    for r in rows:
        err, scale = r.get("max_abs_error"), r.get("scale") or 0.0
        diverges = not flagged and err is not None and err > atol + rtol * scale
        flagged = flagged or diverges
        errors.append(LayerError(r["kind"], r["torch_path"], r["keras_path"], r["line"], err,
                                 diverges, r.get("note", "")))
    return errors


def _summary(rows: list[DeviceResult], layers: list[LayerError], atol: float) -> str:
    ran = [r for r in rows if not r.skipped]
    parts = []
    for r in rows:
        state = "skipped" if r.skipped else ("verified" if r.verified else "FAILED")
        parts.append(f"{r.device}/{r.backend}: {state}, {r.message}")
    head = ("verified" if ran and all(r.verified for r in ran)
            else "NOT verified") + f" (atol {atol:g})"
    first = next((e for e in layers if e.diverges), None)
    compared = [e for e in layers if e.max_abs_error is not None]
    verified = bool(ran) and all(r.verified for r in ran)
    if not verified and first is None and compared and len(compared) == len(layers):
        parts.append(f"every mapped layer agrees ({len(layers)} compared): the difference "
                     f"comes from an operation without weights (activation, pooling, reshape, "
                     f"axis) after the last mapped layer {layers[-1].torch_path}")
    if first is not None:
        parts.append(f"first diverging layer: {first.torch_path} <-> {first.keras_path} "
                     f"({first.kind}, source line {first.line}), max abs error "
                     f"{_fmt(first.max_abs_error)}")
    return head + "; " + "; ".join(parts)


def build_report(rows: list[DeviceResult], layers: list[LayerError], onnx: dict[str, Any] | None,
                 notes: list[str], atol: float, start: float, device: str,
                 rtol: float = 1e-4, training: TrainingResult | None = None) -> VerificationReport:
    """The report over every leg: verified only if each leg that ran agreed, and the training
    check (when the source trains) too."""
    ran = [r for r in rows if not r.skipped]
    abs_errs = [r.max_abs_error for r in ran if r.max_abs_error is not None]
    rel_errs = [r.max_rel_error for r in ran if r.max_rel_error is not None]
    verified = bool(ran) and all(r.verified for r in ran)
    if device == "cuda" and not ran:
        verified = False
    message = _summary(rows, layers, atol)
    if onnx is not None:
        message += f"; onnx: {onnx.get('message', '')}"
    if training is not None and training.ran:
        verified = verified and training.verified
        message += f"; training: {training.message}"
        if not training.verified and message.startswith("verified"):
            message = "NOT verified" + message[len("verified"):]
    return VerificationReport(verified=verified, max_abs_error=max(abs_errs) if abs_errs else None,
                              max_rel_error=max(rel_errs) if rel_errs else None,
                              devices=sorted({r.device for r in ran}), per_device=rows,
                              per_layer=layers, onnx=onnx, message=message,
                              duration_s=round(time.monotonic() - start, 3), notes=notes,
                              atol=atol, rtol=rtol, training=training)
