"""Comparing inside the worker: outputs, each mapped layer's output, and the ONNX export."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from .models import Models, describe_exception, flatten_outputs, pack, resolve_keras_path


def compare(ref: np.ndarray, got: np.ndarray, atol: float, rtol: float) -> dict[str, Any]:
    """Max abs / rel error (rel: |got-ref| / max(|ref|, atol)) and allclose for one output."""
    if ref.shape != got.shape:
        return {"shape": list(ref.shape), "target_shape": list(got.shape), "allclose": False,
                "max_abs_error": None, "max_rel_error": None}
    ref64, got64 = ref.astype(np.float64), got.astype(np.float64)
    diff = np.abs(got64 - ref64)
    finite = bool(np.all(np.isfinite(got64)) and np.all(np.isfinite(ref64)))
    return {"shape": list(ref.shape), "allclose": finite and bool(np.allclose(got64, ref64,
                                                                              atol=atol,
                                                                              rtol=rtol)),
            "max_abs_error": float(diff.max()) if diff.size else 0.0,
            "max_rel_error": float((diff / np.maximum(np.abs(ref64), atol)).max())
            if diff.size else 0.0}


def _to_keras_layout(torch_out: np.ndarray, keras_out: np.ndarray) -> np.ndarray | None:
    """The torch layer output arranged like the Keras one, or None when they cannot be matched."""
    if keras_out.shape == torch_out.shape:
        last = np.moveaxis(torch_out, 1, -1) if torch_out.ndim >= 3 else torch_out
        if last.shape == keras_out.shape and last is not torch_out:
            # (N, 8, 8, 8): channels-first and -last look alike; the closer one is the layout
            return min((torch_out, last), key=lambda t: float(np.abs(t - keras_out).max()))
        return torch_out
    if keras_out.ndim == torch_out.ndim >= 3:
        last = np.moveaxis(torch_out, 1, -1)  # channels-first -> channels-last
        if last.shape == keras_out.shape:
            return last
    if torch_out.ndim == keras_out.ndim + 1 == 3 and torch_out[:, -1].shape == keras_out.shape:
        return torch_out[:, -1]  # a recurrent layer returning only its last step in Keras
    return None


def per_layer_errors(models: Models) -> list[dict[str, Any]]:
    """Each mapped layer's output on both sides (torch forward hooks, wrapped Keras ``call``)."""
    modules = dict(models.torch_model.named_modules())
    activations: dict[str, Any] = {}
    t_seen: dict[str, np.ndarray] = {}
    k_seen: dict[str, np.ndarray] = {}
    handles: list[Any] = []
    wrapped: list[Any] = []

    def grab(out: Any) -> np.ndarray:
        first = flatten_outputs(out)[0]
        # A copy: the array may share the tensor's memory, and a later in-place op (a
        # ReLU(inplace=True) after a BatchNorm) would rewrite what was grabbed.
        return (first.detach().cpu().numpy().copy() if hasattr(first, "detach")
                else np.array(models.keras.ops.convert_to_numpy(first), copy=True))

    mapped = Counter(wt["torch_path"] for wt in models.tr["weight_map"])
    for wt in models.tr["weight_map"]:
        key = wt["torch_path"]
        if wt["kind"] == "buffer":
            continue  # a variable, not a layer: nothing runs
        if mapped[key] > 1:
            continue  # one torch module as several Keras layers (a stacked LSTM): no one output
        if key in modules:
            def hook(_m: Any, _i: Any, out: Any, key: str = key) -> None:
                t_seen.setdefault(key, grab(out))  # returning a value would replace the output

            handles.append(modules[key].register_forward_hook(hook))
        try:
            layer = resolve_keras_path(models.keras_model, wt["keras_path"])
        except (AttributeError, IndexError, KeyError, ValueError):
            continue
        if getattr(getattr(layer, "activation", None), "__name__", "linear") != "linear":
            activations[key] = layer.activation  # Keras fuses it; the torch module does not
        original = layer.call

        def call(*args: Any, _orig: Any = original, _key: str = key, **kwargs: Any) -> Any:
            out = _orig(*args, **kwargs)
            k_seen.setdefault(_key, grab(out))
            return out

        object.__setattr__(layer, "call", call)  # bypass Keras attribute tracking
        wrapped.append(layer)
    try:
        models.run_torch()
        models.run_keras()
    finally:
        for handle in handles:
            handle.remove()
        for layer in wrapped:
            object.__delattr__(layer, "call")
    return [_layer_row(models, wt, t_seen.get(wt["torch_path"]), k_seen.get(wt["torch_path"]),
                       activations.get(wt["torch_path"]), mapped[wt["torch_path"]] > 1)
            for wt in models.tr["weight_map"]]


def _layer_row(models: Models, wt: dict[str, Any], t_out: np.ndarray | None,
               k_out: np.ndarray | None, activation: Any, split: bool = False) -> dict[str, Any]:
    row = {"kind": wt["kind"], "torch_path": wt["torch_path"], "keras_path": wt["keras_path"],
           "line": wt["line"], "max_abs_error": None, "scale": None}
    if split:
        row["note"] = "one torch module as several Keras layers: compared as a whole only"
        return row

    aligned = _to_keras_layout(t_out, k_out) if t_out is not None and k_out is not None else None
    if aligned is not None and k_out is not None:
        if activation is not None:
            ops = models.keras.ops
            aligned = np.asarray(ops.convert_to_numpy(activation(ops.convert_to_tensor(aligned))))
        row["max_abs_error"] = float(np.abs(k_out.astype(np.float64) - aligned).max())
        row["scale"] = float(np.abs(aligned).max()) if aligned.size else 0.0
    else:
        row["note"] = ("layer not reached" if t_out is None or k_out is None
                       else f"shapes differ: torch {list(t_out.shape)}, keras {list(k_out.shape)}")
    return row


# ---- ONNX leg ------------------------------------------------------------------------------
def onnx_check(models: Models, atol: float, rtol: float) -> dict[str, Any]:
    """Export the PyTorch model (TorchScript exporter) and compare onnxruntime with torch."""
    import io
    import warnings

    torch = models.torch
    result: dict[str, Any] = {"exporter": "torchscript", "exported": False, "agrees": False}
    try:
        model = models.torch_model.to("cpu")
        flat = models.torch_inputs("cpu")
        args = tuple(pack(flat, models.tr["inputs"]))  # an LSTM state (h, c): one argument
        buffer = io.BytesIO()
        # grad stays on: under no_grad, eval-mode attention takes a fused fast path
        # (aten::_native_multi_head_attention) that the exporter cannot translate
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, args, buffer, dynamo=False, opset_version=17)
        result["exported"] = True
        import onnxruntime

        session = onnxruntime.InferenceSession(buffer.getvalue(),
                                               providers=["CPUExecutionProvider"])
        feed = {i.name: a.numpy() for i, a in zip(session.get_inputs(), flat, strict=False)}
        got = session.run(None, feed)
        with torch.no_grad():
            ref = [t.numpy() for t in flatten_outputs(model(*args))]
        rows = [compare(r, np.asarray(g), atol, rtol) for r, g in zip(ref, got, strict=False)]
        result["agrees"] = len(rows) == len(ref) and all(r["allclose"] for r in rows)
        errors = [r["max_abs_error"] for r in rows if r["max_abs_error"] is not None]
        result["max_abs_error"] = max(errors) if errors else None
        result["message"] = ("onnxruntime agrees with PyTorch" if result["agrees"]
                             else "onnxruntime output differs from PyTorch")
    except Exception as exc:  # noqa: BLE001 - export failures are reported, never fatal
        result["message"] = f"{'onnxruntime' if result['exported'] else 'export'} failed: " \
                            f"{describe_exception(exc)}"[:500]
    finally:
        models.torch_model.to(models.device)
    return result
