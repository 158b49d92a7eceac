"""ConvNet model zoo: residual convolutional networks with configurable stems, attention and
grouped bottlenecks, plus a registry of named variants and their pretrained configurations.

The variants differ by depth (10 to 200 layers), stem (single 7x7, deep 3x3, deep with
average-pool downsampling, wide deep), attention (squeeze-excite, efficient channel attention)
and width (wide, grouped 32x4d / 64x4d). Every variant is created through ``_create_convnet``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

__all__ = ["ConvNet", "BasicBlock", "Bottleneck", "list_models", "create_model"]

_MODEL_REGISTRY: dict[str, Callable[..., nn.Module]] = {}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def register_model(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """Add a model factory to the registry under its function name."""
    if fn.__name__ in _MODEL_REGISTRY:
        raise ValueError(f"model {fn.__name__!r} registered twice")
    _MODEL_REGISTRY[fn.__name__] = fn
    return fn


def list_models(pattern: str = "") -> list[str]:
    """Registered model names containing ``pattern``, sorted."""
    return sorted(name for name in _MODEL_REGISTRY if pattern in name)


def create_model(name: str, pretrained: bool = False, **kwargs: Any) -> nn.Module:
    """Instantiate a registered model by name."""
    try:
        factory = _MODEL_REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; try list_models()") from None
    return factory(pretrained=pretrained, **kwargs)


def generate_default_cfgs(cfgs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Group ``arch.tag`` configurations by architecture; the first tag is the default."""
    out: dict[str, dict[str, Any]] = OrderedDict()
    for key, cfg in cfgs.items():
        arch, _, tag = key.partition(".")
        entry = out.setdefault(arch, {"tags": [], "default": None})
        entry["tags"].append(tag)
        if entry["default"] is None:
            entry["default"] = dict(cfg, tag=tag)
    return out


def _cfg(hub_id: str = "", **kwargs: Any) -> dict[str, Any]:
    return {
        "hub_id": hub_id,
        "num_classes": 1000,
        "input_size": (3, 224, 224),
        "pool_size": (7, 7),
        "crop_pct": 0.875,
        "interpolation": "bilinear",
        "mean": IMAGENET_MEAN,
        "std": IMAGENET_STD,
        "first_conv": "stem.conv1",
        "classifier": "fc",
        **kwargs,
    }


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``value`` to a multiple of ``divisor`` without dropping more than 10%."""
    min_value = min_value or divisor
    new_value = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new_value < 0.9 * value:
        new_value += divisor
    return new_value


def get_padding(kernel_size: int, stride: int = 1, dilation: int = 1) -> int:
    return ((stride - 1) + dilation * (kernel_size - 1)) // 2


class DropPath(nn.Module):
    """Stochastic depth: drop the residual branch per sample with probability ``drop_prob``."""

    def __init__(self, drop_prob: float = 0.0, scale_by_keep: bool = True) -> None:
        super().__init__()
        self.drop_prob = drop_prob
        self.scale_by_keep = scale_by_keep

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.drop_prob == 0.0 or not self.training:
            return x
        keep_prob = 1 - self.drop_prob
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)
        random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
        if keep_prob > 0.0 and self.scale_by_keep:
            random_tensor.div_(keep_prob)
        return x * random_tensor

    def extra_repr(self) -> str:
        return f"drop_prob={round(self.drop_prob, 3):0.3f}"


class SqueezeExcite(nn.Module):
    """Channel attention from globally pooled features (squeeze, excite, rescale)."""

    def __init__(self, channels: int, rd_ratio: float = 1 / 16, act_layer: type = nn.ReLU) -> None:
        super().__init__()
        rd_channels = make_divisible(channels * rd_ratio, 8)
        self.fc1 = nn.Conv2d(channels, rd_channels, kernel_size=1, bias=True)
        self.bn = nn.BatchNorm2d(rd_channels)
        self.act = act_layer(inplace=True)
        self.fc2 = nn.Conv2d(rd_channels, channels, kernel_size=1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_se = x.mean((2, 3), keepdim=True)
        x_se = self.act(self.bn(self.fc1(x_se)))
        x_se = self.fc2(x_se)
        return x * torch.sigmoid(x_se)


class EfficientChannelAttention(nn.Module):
    """Channel attention with a 1D convolution across channels instead of two dense layers."""

    def __init__(self, channels: int, gamma: int = 2, beta: int = 1) -> None:
        super().__init__()
        t = int(abs(math.log(channels, 2) + beta) / gamma)
        kernel_size = max(t if t % 2 else t + 1, 3)
        self.conv = nn.Conv1d(1, 1, kernel_size=kernel_size, padding=(kernel_size - 1) // 2,
                              bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x.mean((2, 3)).view(x.shape[0], 1, -1)
        y = self.conv(y)
        y = y.view(x.shape[0], -1, 1, 1).sigmoid()
        return x * y.expand_as(x)


_ATTN_LAYERS: dict[str, type[nn.Module]] = {
    "squeeze_excite": SqueezeExcite,
    "efficient_channel": EfficientChannelAttention,
}


def create_attn(attn_layer: str | None, channels: int) -> nn.Module | None:
    if attn_layer is None:
        return None
    try:
        return _ATTN_LAYERS[attn_layer](channels)
    except KeyError:
        raise ValueError(f"unknown attention layer {attn_layer!r}") from None


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (networks of 10 to 34 layers)."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, cardinality: int = 1, base_width: int = 64,
                 dilation: int = 1, attn_layer: str | None = None, drop_path: float = 0.0,
                 act_layer: type = nn.ReLU, norm_layer: type = nn.BatchNorm2d) -> None:
        super().__init__()
        if cardinality != 1 or base_width != 64:
            raise ValueError("BasicBlock supports only cardinality=1 and base_width=64")
        outplanes = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=3, stride=stride, padding=dilation,
                               dilation=dilation, bias=False)
        self.bn1 = norm_layer(planes)
        self.act1 = act_layer(inplace=True)
        self.conv2 = nn.Conv2d(planes, outplanes, kernel_size=3, padding=dilation,
                               dilation=dilation, bias=False)
        self.bn2 = norm_layer(outplanes)
        self.attn = create_attn(attn_layer, outplanes)
        self.act2 = act_layer(inplace=True)
        self.downsample = downsample
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def zero_init_last(self) -> None:
        nn.init.zeros_(self.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.bn2(self.conv2(x))
        if self.attn is not None:
            x = self.attn(x)
        x = self.drop_path(x)
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        return self.act2(x + shortcut)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (optionally grouped), 1x1 expand, with a residual connection."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, cardinality: int = 1, base_width: int = 64,
                 dilation: int = 1, attn_layer: str | None = None, drop_path: float = 0.0,
                 act_layer: type = nn.ReLU, norm_layer: type = nn.BatchNorm2d) -> None:
        super().__init__()
        width = int(math.floor(planes * (base_width / 64)) * cardinality)
        outplanes = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, width, kernel_size=1, bias=False)
        self.bn1 = norm_layer(width)
        self.act1 = act_layer(inplace=True)
        self.conv2 = nn.Conv2d(width, width, kernel_size=3, stride=stride, padding=dilation,
                               dilation=dilation, groups=cardinality, bias=False)
        self.bn2 = norm_layer(width)
        self.act2 = act_layer(inplace=True)
        self.conv3 = nn.Conv2d(width, outplanes, kernel_size=1, bias=False)
        self.bn3 = norm_layer(outplanes)
        self.attn = create_attn(attn_layer, outplanes)
        self.act3 = act_layer(inplace=True)
        self.downsample = downsample
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def zero_init_last(self) -> None:
        nn.init.zeros_(self.bn3.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.act2(self.bn2(self.conv2(x)))
        x = self.bn3(self.conv3(x))
        if self.attn is not None:
            x = self.attn(x)
        x = self.drop_path(x)
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        return self.act3(x + shortcut)


def downsample_conv(in_channels: int, out_channels: int, stride: int = 1,
                    norm_layer: type = nn.BatchNorm2d) -> nn.Module:
    """Strided 1x1 convolution on the shortcut."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
        norm_layer(out_channels),
    )


def downsample_avg(in_channels: int, out_channels: int, stride: int = 1,
                   norm_layer: type = nn.BatchNorm2d) -> nn.Module:
    """Average-pool then 1x1 convolution on the shortcut: no input pixel is skipped."""
    pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False) if stride > 1 \
        else nn.Identity()
    return nn.Sequential(
        pool,
        nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=1, bias=False),
        norm_layer(out_channels),
    )


class Stem(nn.Module):
    """The network's first layers: 4x spatial reduction before the residual stages."""

    def __init__(self, in_chans: int, stem_type: str = "plain", stem_width: int = 64,
                 act_layer: type = nn.ReLU, norm_layer: type = nn.BatchNorm2d) -> None:
        super().__init__()
        deep = stem_type in ("deep", "deep_avg", "wide_deep")
        if deep:
            widths = (stem_width, stem_width) if stem_type != "wide_deep" \
                else (3 * (stem_width // 4), stem_width)
            self.conv1 = nn.Sequential(
                nn.Conv2d(in_chans, widths[0], 3, stride=2, padding=1, bias=False),
                norm_layer(widths[0]),
                act_layer(inplace=True),
                nn.Conv2d(widths[0], widths[1], 3, stride=1, padding=1, bias=False),
                norm_layer(widths[1]),
                act_layer(inplace=True),
                nn.Conv2d(widths[1], 2 * stem_width, 3, stride=1, padding=1, bias=False),
            )
            self.out_channels = 2 * stem_width
        elif stem_type == "plain":
            self.conv1 = nn.Conv2d(in_chans, stem_width, kernel_size=7, stride=2, padding=3,
                                   bias=False)
            self.out_channels = stem_width
        else:
            raise ValueError(f"unknown stem type {stem_type!r}")
        self.bn1 = norm_layer(self.out_channels)
        self.act1 = act_layer(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.maxpool(self.act1(self.bn1(self.conv1(x))))


def make_stages(block: type[nn.Module], channels: tuple[int, ...], layers: tuple[int, ...],
                inplanes: int, output_stride: int = 32, avg_down: bool = False,
                drop_path_rate: float = 0.0, **block_kwargs: Any
                ) -> tuple[list[tuple[str, nn.Module]], list[dict[str, Any]]]:
    """Build the residual stages and the feature-map info for each."""
    stages: list[tuple[str, nn.Module]] = []
    feature_info: list[dict[str, Any]] = []
    net_num_blocks = sum(layers)
    net_block_idx = 0
    net_stride = 4
    dilation = prev_dilation = 1
    for stage_idx, (planes, num_blocks) in enumerate(zip(channels, layers, strict=True)):
        stage_name = f"layer{stage_idx + 1}"
        stride = 1 if stage_idx == 0 else 2
        if net_stride >= output_stride:
            dilation *= stride
            stride = 1
        else:
            net_stride *= stride
        downsample = None
        if stride != 1 or inplanes != planes * block.expansion:  # type: ignore[attr-defined]
            make_down = downsample_avg if avg_down else downsample_conv
            downsample = make_down(inplanes, planes * block.expansion, stride)  # type: ignore
        blocks = []
        for block_idx in range(num_blocks):
            block_dpr = drop_path_rate * net_block_idx / max(net_num_blocks - 1, 1)
            blocks.append(block(
                inplanes, planes, stride if block_idx == 0 else 1,
                downsample=downsample if block_idx == 0 else None,
                dilation=prev_dilation if block_idx == 0 else dilation,
                drop_path=block_dpr, **block_kwargs,
            ))
            prev_dilation = dilation
            inplanes = planes * block.expansion  # type: ignore[attr-defined]
            net_block_idx += 1
        stages.append((stage_name, nn.Sequential(*blocks)))
        feature_info.append(dict(num_chs=inplanes, reduction=net_stride, module=stage_name))
    return stages, feature_info


class ConvNet(nn.Module):
    """A residual network: stem, four stages of blocks, global pooling and a classifier."""

    def __init__(self, block: type[nn.Module], layers: tuple[int, ...], num_classes: int = 1000,
                 in_chans: int = 3, output_stride: int = 32, cardinality: int = 1,
                 base_width: int = 64, stem_width: int = 64, stem_type: str = "plain",
                 drop_rate: float = 0.0, drop_path_rate: float = 0.0, zero_init_last: bool = True,
                 block_args: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.drop_rate = drop_rate
        self.grad_checkpointing = False
        self.stem = Stem(in_chans, stem_type, stem_width)
        channels = (64, 128, 256, 512)
        stages, self.feature_info = make_stages(
            block, channels, layers, self.stem.out_channels, output_stride=output_stride,
            avg_down=stem_type == "deep_avg", drop_path_rate=drop_path_rate,
            cardinality=cardinality, base_width=base_width, **(block_args or {}),
        )
        for name, stage in stages:
            self.add_module(name, stage)
        self.num_features = channels[-1] * block.expansion  # type: ignore[attr-defined]
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.num_features, num_classes) if num_classes else nn.Identity()
        self.init_weights(zero_init_last=zero_init_last)

    @torch.jit.ignore
    def init_weights(self, zero_init_last: bool = True) -> None:
        for name, module in self.named_modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=0.01)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d) and "attn" not in name:
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        if zero_init_last:
            for module in self.modules():
                if hasattr(module, "zero_init_last"):
                    module.zero_init_last()

    @torch.jit.ignore
    def set_grad_checkpointing(self, enable: bool = True) -> None:
        self.grad_checkpointing = enable

    @torch.jit.ignore
    def get_classifier(self) -> nn.Module:
        return self.fc

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.fc = nn.Linear(self.num_features, num_classes) if num_classes else nn.Identity()

    def stages(self) -> list[nn.Module]:
        return [self.layer1, self.layer2, self.layer3, self.layer4]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for stage in self.stages():
            if self.grad_checkpointing and not torch.jit.is_scripting():
                x = checkpoint(stage, x, use_reentrant=False)
            else:
                x = stage(x)
        return x

    def forward_intermediates(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Feature maps after the stem and after each stage (for detection necks)."""
        out = [self.stem(x)]
        for stage in self.stages():
            out.append(stage(out[-1]))
        return out

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.global_pool(x).flatten(1)
        if self.drop_rate:
            x = F.dropout(x, p=float(self.drop_rate), training=self.training)
        return x if pre_logits else self.fc(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


def checkpoint_filter_fn(state_dict: dict[str, torch.Tensor], model: ConvNet
                         ) -> dict[str, torch.Tensor]:
    """Adapt checkpoints saved by older versions (renamed stem keys, other class counts)."""
    out = {}
    for key, value in state_dict.items():
        if key.startswith("conv1.") or key.startswith("bn1."):
            key = "stem." + key
        if key.startswith("fc.") and value.shape[0] != model.num_classes:
            continue
        out[key] = value
    return out


def load_pretrained(model: ConvNet, cfg: dict[str, Any], checkpoint_path: str | None = None,
                    strict: bool = True) -> None:
    """Load weights from ``checkpoint_path`` (or the hub cache) into ``model``."""
    path = checkpoint_path or f"~/.cache/convnets/{cfg['hub_id'].replace('/', '--')}.pth"
    state_dict = torch.load(path, map_location="cpu")
    if "state_dict" in state_dict:
        state_dict = state_dict["state_dict"]
    state_dict = checkpoint_filter_fn(state_dict, model)
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    if strict and (unexpected or [k for k in missing if not k.startswith("fc.")]):
        raise RuntimeError(f"checkpoint mismatch: missing={missing} unexpected={unexpected}")


def _create_convnet(variant: str, pretrained: bool = False, **kwargs: Any) -> ConvNet:
    model = ConvNet(**kwargs)
    if pretrained:
        cfg = default_cfgs[variant]["default"]
        load_pretrained(model, cfg, strict=kwargs.get("num_classes", 1000) == 1000)
    return model


def convnet_feature_extractor(name: str, out_indices: tuple[int, ...] = (1, 2, 3, 4),
                              **kwargs: Any) -> Callable[[torch.Tensor], list[torch.Tensor]]:
    """A function returning the selected intermediate feature maps of a registered model."""
    model = create_model(name, num_classes=0, **kwargs)
    model.eval()

    @torch.no_grad()
    def extract(x: torch.Tensor) -> list[torch.Tensor]:
        feats = model.forward_intermediates(x)
        return [feats[i] for i in out_indices]

    return extract


def benchmark_forward(name: str, batch_size: int = 32, image_size: int = 224,
                      steps: int = 10) -> float:
    """Images per second of a forward pass on the default device (a quick smoke benchmark)."""
    import time

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = create_model(name).to(device).eval()
    x = torch.randn(batch_size, 3, image_size, image_size)
    with torch.inference_mode():
        model(x.to(device))
        start = time.perf_counter()
        for _ in range(steps):
            model(x.to(device))
        if device == "cuda":
            torch.cuda.synchronize()
    return batch_size * steps / (time.perf_counter() - start)


_partial_bottleneck = partial(Bottleneck, act_layer=nn.ReLU)


# ---- generated below by bench/engine_corpus.py: do not edit by hand ----
default_cfgs = generate_default_cfgs({
    "convnet10.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnet10.a1_in1k",
        input_size=(3, 256, 256), crop_pct=0.875,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "seconvnet10.in1k": _cfg(
        hub_id="mlsense-bench/seconvnet10.in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "ecaconvnet10.in1k": _cfg(
        hub_id="mlsense-bench/ecaconvnet10.in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet10c.in1k": _cfg(
        hub_id="mlsense-bench/convnet10c.in1k",
        input_size=(3, 256, 256), crop_pct=0.875,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnet10d.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnet10d.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnet10d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnet10d.in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "ecaconvnet10d.in1k": _cfg(
        hub_id="mlsense-bench/ecaconvnet10d.in1k",
        input_size=(3, 256, 256), crop_pct=0.875,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnet10s.in1k": _cfg(
        hub_id="mlsense-bench/convnet10s.in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet18.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnet18.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnet18.in1k": _cfg(
        hub_id="mlsense-bench/seconvnet18.in1k",
        input_size=(3, 256, 256), crop_pct=0.875,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "ecaconvnet18.in1k": _cfg(
        hub_id="mlsense-bench/ecaconvnet18.in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet18c.in1k": _cfg(
        hub_id="mlsense-bench/convnet18c.in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet18d.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnet18d.a1_in1k",
        input_size=(3, 256, 256), crop_pct=0.875,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "seconvnet18d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnet18d.in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "ecaconvnet18d.in1k": _cfg(
        hub_id="mlsense-bench/ecaconvnet18d.in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet18s.in1k": _cfg(
        hub_id="mlsense-bench/convnet18s.in1k",
        input_size=(3, 256, 256), crop_pct=0.875,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnet34.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnet34.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnet34.in1k": _cfg(
        hub_id="mlsense-bench/seconvnet34.in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "ecaconvnet34.in1k": _cfg(
        hub_id="mlsense-bench/ecaconvnet34.in1k",
        input_size=(3, 256, 256), crop_pct=0.875,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnet34c.in1k": _cfg(
        hub_id="mlsense-bench/convnet34c.in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet34d.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnet34d.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnet34d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnet34d.in1k",
        input_size=(3, 256, 256), crop_pct=0.875,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "ecaconvnet34d.in1k": _cfg(
        hub_id="mlsense-bench/ecaconvnet34d.in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet34s.in1k": _cfg(
        hub_id="mlsense-bench/convnet34s.in1k",
        input_size=(3, 224, 224), crop_pct=0.875,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet50.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnet50.a1_in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "wide_convnet50.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet50.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext50_x32x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext50_x32x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext50_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext50_x64x4d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "seconvnet50.a1_in1k": _cfg(
        hub_id="mlsense-bench/seconvnet50.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_seconvnet50.in1k": _cfg(
        hub_id="mlsense-bench/wide_seconvnet50.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnext50_x32x4d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnext50_x32x4d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "seconvnext50_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnext50_x64x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "ecaconvnet50.a1_in1k": _cfg(
        hub_id="mlsense-bench/ecaconvnet50.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_ecaconvnet50.in1k": _cfg(
        hub_id="mlsense-bench/wide_ecaconvnet50.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnet50c.in1k": _cfg(
        hub_id="mlsense-bench/convnet50c.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_convnet50c.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet50c.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext50c_x32x4d.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnext50c_x32x4d.a1_in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnext50c_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext50c_x64x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet50d.in1k": _cfg(
        hub_id="mlsense-bench/convnet50d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_convnet50d.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet50d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnext50d_x32x4d.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnext50d_x32x4d.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext50d_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext50d_x64x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnet50d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnet50d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "wide_seconvnet50d.in1k": _cfg(
        hub_id="mlsense-bench/wide_seconvnet50d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnext50d_x32x4d.a1_in1k": _cfg(
        hub_id="mlsense-bench/seconvnext50d_x32x4d.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnext50d_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnext50d_x64x4d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "ecaconvnet50d.in1k": _cfg(
        hub_id="mlsense-bench/ecaconvnet50d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_ecaconvnet50d.in1k": _cfg(
        hub_id="mlsense-bench/wide_ecaconvnet50d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet50s.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnet50s.a1_in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "wide_convnet50s.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet50s.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext50s_x32x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext50s_x32x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext50s_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext50s_x64x4d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnet101.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnet101.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_convnet101.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet101.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext101_x32x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext101_x32x4d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnext101_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext101_x64x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnet101.a1_in1k": _cfg(
        hub_id="mlsense-bench/seconvnet101.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_seconvnet101.in1k": _cfg(
        hub_id="mlsense-bench/wide_seconvnet101.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "seconvnext101_x32x4d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnext101_x32x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnext101_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnext101_x64x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "ecaconvnet101.a1_in1k": _cfg(
        hub_id="mlsense-bench/ecaconvnet101.a1_in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "wide_ecaconvnet101.in1k": _cfg(
        hub_id="mlsense-bench/wide_ecaconvnet101.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet101c.in1k": _cfg(
        hub_id="mlsense-bench/convnet101c.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_convnet101c.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet101c.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnext101c_x32x4d.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnext101c_x32x4d.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext101c_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext101c_x64x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet101d.in1k": _cfg(
        hub_id="mlsense-bench/convnet101d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "wide_convnet101d.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet101d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext101d_x32x4d.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnext101d_x32x4d.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext101d_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext101d_x64x4d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "seconvnet101d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnet101d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_seconvnet101d.in1k": _cfg(
        hub_id="mlsense-bench/wide_seconvnet101d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnext101d_x32x4d.a1_in1k": _cfg(
        hub_id="mlsense-bench/seconvnext101d_x32x4d.a1_in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "seconvnext101d_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnext101d_x64x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "ecaconvnet101d.in1k": _cfg(
        hub_id="mlsense-bench/ecaconvnet101d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_ecaconvnet101d.in1k": _cfg(
        hub_id="mlsense-bench/wide_ecaconvnet101d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnet101s.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnet101s.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_convnet101s.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet101s.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext101s_x32x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext101s_x32x4d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnext101s_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext101s_x64x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet152.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnet152.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_convnet152.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet152.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnext152_x32x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext152_x32x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext152_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext152_x64x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnet152.a1_in1k": _cfg(
        hub_id="mlsense-bench/seconvnet152.a1_in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "wide_seconvnet152.in1k": _cfg(
        hub_id="mlsense-bench/wide_seconvnet152.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnext152_x32x4d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnext152_x32x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnext152_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnext152_x64x4d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "ecaconvnet152.a1_in1k": _cfg(
        hub_id="mlsense-bench/ecaconvnet152.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_ecaconvnet152.in1k": _cfg(
        hub_id="mlsense-bench/wide_ecaconvnet152.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet152c.in1k": _cfg(
        hub_id="mlsense-bench/convnet152c.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "wide_convnet152c.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet152c.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext152c_x32x4d.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnext152c_x32x4d.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext152c_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext152c_x64x4d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnet152d.in1k": _cfg(
        hub_id="mlsense-bench/convnet152d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_convnet152d.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet152d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext152d_x32x4d.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnext152d_x32x4d.a1_in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnext152d_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext152d_x64x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnet152d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnet152d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_seconvnet152d.in1k": _cfg(
        hub_id="mlsense-bench/wide_seconvnet152d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "seconvnext152d_x32x4d.a1_in1k": _cfg(
        hub_id="mlsense-bench/seconvnext152d_x32x4d.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnext152d_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnext152d_x64x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "ecaconvnet152d.in1k": _cfg(
        hub_id="mlsense-bench/ecaconvnet152d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "wide_ecaconvnet152d.in1k": _cfg(
        hub_id="mlsense-bench/wide_ecaconvnet152d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet152s.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnet152s.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_convnet152s.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet152s.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "convnext152s_x32x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext152s_x32x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnext152s_x64x4d.in1k": _cfg(
        hub_id="mlsense-bench/convnext152s_x64x4d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet200.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnet200.a1_in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "wide_convnet200.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet200.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "seconvnet200.in1k": _cfg(
        hub_id="mlsense-bench/seconvnet200.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_seconvnet200.in1k": _cfg(
        hub_id="mlsense-bench/wide_seconvnet200.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "ecaconvnet200.a1_in1k": _cfg(
        hub_id="mlsense-bench/ecaconvnet200.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_ecaconvnet200.in1k": _cfg(
        hub_id="mlsense-bench/wide_ecaconvnet200.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet200c.in1k": _cfg(
        hub_id="mlsense-bench/convnet200c.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "wide_convnet200c.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet200c.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet200d.a1_in1k": _cfg(
        hub_id="mlsense-bench/convnet200d.a1_in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_convnet200d.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet200d.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "seconvnet200d.in1k": _cfg(
        hub_id="mlsense-bench/seconvnet200d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_seconvnet200d.in1k": _cfg(
        hub_id="mlsense-bench/wide_seconvnet200d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "ecaconvnet200d.a1_in1k": _cfg(
        hub_id="mlsense-bench/ecaconvnet200d.a1_in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
    "wide_ecaconvnet200d.in1k": _cfg(
        hub_id="mlsense-bench/wide_ecaconvnet200d.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "convnet200s.in1k": _cfg(
        hub_id="mlsense-bench/convnet200s.in1k",
        input_size=(3, 224, 224), crop_pct=0.95,
        test_input_size=(3, 256, 256), test_crop_pct=1.0,
    ),
    "wide_convnet200s.in1k": _cfg(
        hub_id="mlsense-bench/wide_convnet200s.in1k",
        input_size=(3, 256, 256), crop_pct=0.95,
        test_input_size=(3, 288, 288), test_crop_pct=1.0,
    ),
})


@register_model
def convnet10(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-10 with a single 7x7 stem."""
    model_args = dict(block=BasicBlock, layers=(1, 1, 1, 1))
    return _create_convnet("convnet10", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnet10(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-10 with a single 7x7 stem, squeeze excite attention."""
    model_args = dict(
        block=BasicBlock,
        layers=(1, 1, 1, 1),
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnet10", pretrained, **dict(model_args, **kwargs))


@register_model
def ecaconvnet10(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-10 with a single 7x7 stem, efficient channel attention."""
    model_args = dict(
        block=BasicBlock,
        layers=(1, 1, 1, 1),
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("ecaconvnet10", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet10c(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-10 with a deep 3x3 stem."""
    model_args = dict(block=BasicBlock, layers=(1, 1, 1, 1), stem_type="deep")
    return _create_convnet("convnet10c", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet10d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-10 with a deep stem and average-pool downsampling."""
    model_args = dict(block=BasicBlock, layers=(1, 1, 1, 1), stem_type="deep_avg")
    return _create_convnet("convnet10d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnet10d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-10 with a deep stem and average-pool downsampling, squeeze excite attention."""
    model_args = dict(
        block=BasicBlock,
        layers=(1, 1, 1, 1),
        stem_type="deep_avg",
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnet10d", pretrained, **dict(model_args, **kwargs))


@register_model
def ecaconvnet10d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-10 with a deep stem and average-pool downsampling, efficient channel attention."""
    model_args = dict(
        block=BasicBlock,
        layers=(1, 1, 1, 1),
        stem_type="deep_avg",
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("ecaconvnet10d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet10s(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-10 with a wide deep stem."""
    model_args = dict(block=BasicBlock, layers=(1, 1, 1, 1), stem_type="wide_deep")
    return _create_convnet("convnet10s", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet18(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-18 with a single 7x7 stem."""
    model_args = dict(block=BasicBlock, layers=(2, 2, 2, 2))
    return _create_convnet("convnet18", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnet18(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-18 with a single 7x7 stem, squeeze excite attention."""
    model_args = dict(
        block=BasicBlock,
        layers=(2, 2, 2, 2),
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnet18", pretrained, **dict(model_args, **kwargs))


@register_model
def ecaconvnet18(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-18 with a single 7x7 stem, efficient channel attention."""
    model_args = dict(
        block=BasicBlock,
        layers=(2, 2, 2, 2),
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("ecaconvnet18", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet18c(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-18 with a deep 3x3 stem."""
    model_args = dict(block=BasicBlock, layers=(2, 2, 2, 2), stem_type="deep")
    return _create_convnet("convnet18c", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet18d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-18 with a deep stem and average-pool downsampling."""
    model_args = dict(block=BasicBlock, layers=(2, 2, 2, 2), stem_type="deep_avg")
    return _create_convnet("convnet18d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnet18d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-18 with a deep stem and average-pool downsampling, squeeze excite attention."""
    model_args = dict(
        block=BasicBlock,
        layers=(2, 2, 2, 2),
        stem_type="deep_avg",
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnet18d", pretrained, **dict(model_args, **kwargs))


@register_model
def ecaconvnet18d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-18 with a deep stem and average-pool downsampling, efficient channel attention."""
    model_args = dict(
        block=BasicBlock,
        layers=(2, 2, 2, 2),
        stem_type="deep_avg",
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("ecaconvnet18d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet18s(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-18 with a wide deep stem."""
    model_args = dict(block=BasicBlock, layers=(2, 2, 2, 2), stem_type="wide_deep")
    return _create_convnet("convnet18s", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet34(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-34 with a single 7x7 stem."""
    model_args = dict(block=BasicBlock, layers=(3, 4, 6, 3))
    return _create_convnet("convnet34", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnet34(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-34 with a single 7x7 stem, squeeze excite attention."""
    model_args = dict(
        block=BasicBlock,
        layers=(3, 4, 6, 3),
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnet34", pretrained, **dict(model_args, **kwargs))


@register_model
def ecaconvnet34(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-34 with a single 7x7 stem, efficient channel attention."""
    model_args = dict(
        block=BasicBlock,
        layers=(3, 4, 6, 3),
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("ecaconvnet34", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet34c(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-34 with a deep 3x3 stem."""
    model_args = dict(block=BasicBlock, layers=(3, 4, 6, 3), stem_type="deep")
    return _create_convnet("convnet34c", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet34d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-34 with a deep stem and average-pool downsampling."""
    model_args = dict(block=BasicBlock, layers=(3, 4, 6, 3), stem_type="deep_avg")
    return _create_convnet("convnet34d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnet34d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-34 with a deep stem and average-pool downsampling, squeeze excite attention."""
    model_args = dict(
        block=BasicBlock,
        layers=(3, 4, 6, 3),
        stem_type="deep_avg",
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnet34d", pretrained, **dict(model_args, **kwargs))


@register_model
def ecaconvnet34d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-34 with a deep stem and average-pool downsampling, efficient channel attention."""
    model_args = dict(
        block=BasicBlock,
        layers=(3, 4, 6, 3),
        stem_type="deep_avg",
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("ecaconvnet34d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet34s(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-34 with a wide deep stem."""
    model_args = dict(block=BasicBlock, layers=(3, 4, 6, 3), stem_type="wide_deep")
    return _create_convnet("convnet34s", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet50(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a single 7x7 stem."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 6, 3))
    return _create_convnet("convnet50", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet50(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a single 7x7 stem, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 6, 3), base_width=128)
    return _create_convnet("wide_convnet50", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext50_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a single 7x7 stem, 32x4d grouped convolutions."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 6, 3), cardinality=32, base_width=4)
    return _create_convnet("convnext50_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext50_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a single 7x7 stem, 64x4d grouped convolutions."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 6, 3), cardinality=64, base_width=4)
    return _create_convnet("convnext50_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnet50(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a single 7x7 stem, squeeze excite attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnet50", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_seconvnet50(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a single 7x7 stem, squeeze excite attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        base_width=128,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("wide_seconvnet50", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnext50_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a single 7x7 stem, squeeze excite attention, 32x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        cardinality=32,
        base_width=4,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnext50_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnext50_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a single 7x7 stem, squeeze excite attention, 64x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        cardinality=64,
        base_width=4,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnext50_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def ecaconvnet50(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a single 7x7 stem, efficient channel attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("ecaconvnet50", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_ecaconvnet50(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a single 7x7 stem, efficient channel attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        base_width=128,
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("wide_ecaconvnet50", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet50c(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a deep 3x3 stem."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 6, 3), stem_type="deep")
    return _create_convnet("convnet50c", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet50c(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a deep 3x3 stem, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 6, 3), stem_type="deep", base_width=128)
    return _create_convnet("wide_convnet50c", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext50c_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a deep 3x3 stem, 32x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        stem_type="deep",
        cardinality=32,
        base_width=4,
    )
    return _create_convnet("convnext50c_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext50c_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a deep 3x3 stem, 64x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        stem_type="deep",
        cardinality=64,
        base_width=4,
    )
    return _create_convnet("convnext50c_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet50d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a deep stem and average-pool downsampling."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 6, 3), stem_type="deep_avg")
    return _create_convnet("convnet50d", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet50d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a deep stem and average-pool downsampling, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 6, 3), stem_type="deep_avg", base_width=128)
    return _create_convnet("wide_convnet50d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext50d_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a deep stem and average-pool downsampling, 32x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        stem_type="deep_avg",
        cardinality=32,
        base_width=4,
    )
    return _create_convnet("convnext50d_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext50d_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a deep stem and average-pool downsampling, 64x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        stem_type="deep_avg",
        cardinality=64,
        base_width=4,
    )
    return _create_convnet("convnext50d_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnet50d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a deep stem and average-pool downsampling, squeeze excite attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        stem_type="deep_avg",
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnet50d", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_seconvnet50d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a deep stem and average-pool downsampling, squeeze excite attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        stem_type="deep_avg",
        base_width=128,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("wide_seconvnet50d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnext50d_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a deep stem and average-pool downsampling, squeeze excite attention, 32x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        stem_type="deep_avg",
        cardinality=32,
        base_width=4,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnext50d_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnext50d_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a deep stem and average-pool downsampling, squeeze excite attention, 64x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        stem_type="deep_avg",
        cardinality=64,
        base_width=4,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnext50d_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def ecaconvnet50d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a deep stem and average-pool downsampling, efficient channel attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        stem_type="deep_avg",
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("ecaconvnet50d", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_ecaconvnet50d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a deep stem and average-pool downsampling, efficient channel attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        stem_type="deep_avg",
        base_width=128,
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("wide_ecaconvnet50d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet50s(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a wide deep stem."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 6, 3), stem_type="wide_deep")
    return _create_convnet("convnet50s", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet50s(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a wide deep stem, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 6, 3), stem_type="wide_deep", base_width=128)
    return _create_convnet("wide_convnet50s", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext50s_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a wide deep stem, 32x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        stem_type="wide_deep",
        cardinality=32,
        base_width=4,
    )
    return _create_convnet("convnext50s_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext50s_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-50 with a wide deep stem, 64x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 6, 3),
        stem_type="wide_deep",
        cardinality=64,
        base_width=4,
    )
    return _create_convnet("convnext50s_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet101(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a single 7x7 stem."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 23, 3))
    return _create_convnet("convnet101", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet101(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a single 7x7 stem, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 23, 3), base_width=128)
    return _create_convnet("wide_convnet101", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext101_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a single 7x7 stem, 32x4d grouped convolutions."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 23, 3), cardinality=32, base_width=4)
    return _create_convnet("convnext101_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext101_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a single 7x7 stem, 64x4d grouped convolutions."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 23, 3), cardinality=64, base_width=4)
    return _create_convnet("convnext101_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnet101(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a single 7x7 stem, squeeze excite attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnet101", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_seconvnet101(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a single 7x7 stem, squeeze excite attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        base_width=128,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("wide_seconvnet101", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnext101_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a single 7x7 stem, squeeze excite attention, 32x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        cardinality=32,
        base_width=4,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnext101_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnext101_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a single 7x7 stem, squeeze excite attention, 64x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        cardinality=64,
        base_width=4,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnext101_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def ecaconvnet101(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a single 7x7 stem, efficient channel attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("ecaconvnet101", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_ecaconvnet101(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a single 7x7 stem, efficient channel attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        base_width=128,
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("wide_ecaconvnet101", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet101c(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a deep 3x3 stem."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 23, 3), stem_type="deep")
    return _create_convnet("convnet101c", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet101c(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a deep 3x3 stem, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 23, 3), stem_type="deep", base_width=128)
    return _create_convnet("wide_convnet101c", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext101c_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a deep 3x3 stem, 32x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        stem_type="deep",
        cardinality=32,
        base_width=4,
    )
    return _create_convnet("convnext101c_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext101c_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a deep 3x3 stem, 64x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        stem_type="deep",
        cardinality=64,
        base_width=4,
    )
    return _create_convnet("convnext101c_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet101d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a deep stem and average-pool downsampling."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 23, 3), stem_type="deep_avg")
    return _create_convnet("convnet101d", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet101d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a deep stem and average-pool downsampling, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 23, 3), stem_type="deep_avg", base_width=128)
    return _create_convnet("wide_convnet101d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext101d_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a deep stem and average-pool downsampling, 32x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        stem_type="deep_avg",
        cardinality=32,
        base_width=4,
    )
    return _create_convnet("convnext101d_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext101d_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a deep stem and average-pool downsampling, 64x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        stem_type="deep_avg",
        cardinality=64,
        base_width=4,
    )
    return _create_convnet("convnext101d_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnet101d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a deep stem and average-pool downsampling, squeeze excite attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        stem_type="deep_avg",
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnet101d", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_seconvnet101d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a deep stem and average-pool downsampling, squeeze excite attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        stem_type="deep_avg",
        base_width=128,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("wide_seconvnet101d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnext101d_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a deep stem and average-pool downsampling, squeeze excite attention, 32x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        stem_type="deep_avg",
        cardinality=32,
        base_width=4,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnext101d_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnext101d_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a deep stem and average-pool downsampling, squeeze excite attention, 64x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        stem_type="deep_avg",
        cardinality=64,
        base_width=4,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnext101d_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def ecaconvnet101d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a deep stem and average-pool downsampling, efficient channel attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        stem_type="deep_avg",
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("ecaconvnet101d", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_ecaconvnet101d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a deep stem and average-pool downsampling, efficient channel attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        stem_type="deep_avg",
        base_width=128,
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("wide_ecaconvnet101d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet101s(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a wide deep stem."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 23, 3), stem_type="wide_deep")
    return _create_convnet("convnet101s", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet101s(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a wide deep stem, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 4, 23, 3), stem_type="wide_deep", base_width=128)
    return _create_convnet("wide_convnet101s", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext101s_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a wide deep stem, 32x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        stem_type="wide_deep",
        cardinality=32,
        base_width=4,
    )
    return _create_convnet("convnext101s_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext101s_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-101 with a wide deep stem, 64x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 4, 23, 3),
        stem_type="wide_deep",
        cardinality=64,
        base_width=4,
    )
    return _create_convnet("convnext101s_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet152(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a single 7x7 stem."""
    model_args = dict(block=Bottleneck, layers=(3, 8, 36, 3))
    return _create_convnet("convnet152", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet152(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a single 7x7 stem, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 8, 36, 3), base_width=128)
    return _create_convnet("wide_convnet152", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext152_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a single 7x7 stem, 32x4d grouped convolutions."""
    model_args = dict(block=Bottleneck, layers=(3, 8, 36, 3), cardinality=32, base_width=4)
    return _create_convnet("convnext152_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext152_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a single 7x7 stem, 64x4d grouped convolutions."""
    model_args = dict(block=Bottleneck, layers=(3, 8, 36, 3), cardinality=64, base_width=4)
    return _create_convnet("convnext152_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnet152(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a single 7x7 stem, squeeze excite attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnet152", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_seconvnet152(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a single 7x7 stem, squeeze excite attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        base_width=128,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("wide_seconvnet152", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnext152_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a single 7x7 stem, squeeze excite attention, 32x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        cardinality=32,
        base_width=4,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnext152_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnext152_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a single 7x7 stem, squeeze excite attention, 64x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        cardinality=64,
        base_width=4,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnext152_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def ecaconvnet152(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a single 7x7 stem, efficient channel attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("ecaconvnet152", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_ecaconvnet152(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a single 7x7 stem, efficient channel attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        base_width=128,
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("wide_ecaconvnet152", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet152c(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a deep 3x3 stem."""
    model_args = dict(block=Bottleneck, layers=(3, 8, 36, 3), stem_type="deep")
    return _create_convnet("convnet152c", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet152c(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a deep 3x3 stem, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 8, 36, 3), stem_type="deep", base_width=128)
    return _create_convnet("wide_convnet152c", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext152c_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a deep 3x3 stem, 32x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        stem_type="deep",
        cardinality=32,
        base_width=4,
    )
    return _create_convnet("convnext152c_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext152c_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a deep 3x3 stem, 64x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        stem_type="deep",
        cardinality=64,
        base_width=4,
    )
    return _create_convnet("convnext152c_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet152d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a deep stem and average-pool downsampling."""
    model_args = dict(block=Bottleneck, layers=(3, 8, 36, 3), stem_type="deep_avg")
    return _create_convnet("convnet152d", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet152d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a deep stem and average-pool downsampling, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 8, 36, 3), stem_type="deep_avg", base_width=128)
    return _create_convnet("wide_convnet152d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext152d_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a deep stem and average-pool downsampling, 32x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        stem_type="deep_avg",
        cardinality=32,
        base_width=4,
    )
    return _create_convnet("convnext152d_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext152d_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a deep stem and average-pool downsampling, 64x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        stem_type="deep_avg",
        cardinality=64,
        base_width=4,
    )
    return _create_convnet("convnext152d_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnet152d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a deep stem and average-pool downsampling, squeeze excite attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        stem_type="deep_avg",
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnet152d", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_seconvnet152d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a deep stem and average-pool downsampling, squeeze excite attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        stem_type="deep_avg",
        base_width=128,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("wide_seconvnet152d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnext152d_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a deep stem and average-pool downsampling, squeeze excite attention, 32x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        stem_type="deep_avg",
        cardinality=32,
        base_width=4,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnext152d_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnext152d_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a deep stem and average-pool downsampling, squeeze excite attention, 64x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        stem_type="deep_avg",
        cardinality=64,
        base_width=4,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnext152d_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def ecaconvnet152d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a deep stem and average-pool downsampling, efficient channel attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        stem_type="deep_avg",
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("ecaconvnet152d", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_ecaconvnet152d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a deep stem and average-pool downsampling, efficient channel attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        stem_type="deep_avg",
        base_width=128,
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("wide_ecaconvnet152d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet152s(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a wide deep stem."""
    model_args = dict(block=Bottleneck, layers=(3, 8, 36, 3), stem_type="wide_deep")
    return _create_convnet("convnet152s", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet152s(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a wide deep stem, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 8, 36, 3), stem_type="wide_deep", base_width=128)
    return _create_convnet("wide_convnet152s", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext152s_x32x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a wide deep stem, 32x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        stem_type="wide_deep",
        cardinality=32,
        base_width=4,
    )
    return _create_convnet("convnext152s_x32x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnext152s_x64x4d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-152 with a wide deep stem, 64x4d grouped convolutions."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 8, 36, 3),
        stem_type="wide_deep",
        cardinality=64,
        base_width=4,
    )
    return _create_convnet("convnext152s_x64x4d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet200(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a single 7x7 stem."""
    model_args = dict(block=Bottleneck, layers=(3, 24, 36, 3))
    return _create_convnet("convnet200", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet200(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a single 7x7 stem, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 24, 36, 3), base_width=128)
    return _create_convnet("wide_convnet200", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnet200(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a single 7x7 stem, squeeze excite attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 24, 36, 3),
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnet200", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_seconvnet200(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a single 7x7 stem, squeeze excite attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 24, 36, 3),
        base_width=128,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("wide_seconvnet200", pretrained, **dict(model_args, **kwargs))


@register_model
def ecaconvnet200(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a single 7x7 stem, efficient channel attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 24, 36, 3),
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("ecaconvnet200", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_ecaconvnet200(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a single 7x7 stem, efficient channel attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 24, 36, 3),
        base_width=128,
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("wide_ecaconvnet200", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet200c(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a deep 3x3 stem."""
    model_args = dict(block=Bottleneck, layers=(3, 24, 36, 3), stem_type="deep")
    return _create_convnet("convnet200c", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet200c(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a deep 3x3 stem, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 24, 36, 3), stem_type="deep", base_width=128)
    return _create_convnet("wide_convnet200c", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet200d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a deep stem and average-pool downsampling."""
    model_args = dict(block=Bottleneck, layers=(3, 24, 36, 3), stem_type="deep_avg")
    return _create_convnet("convnet200d", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet200d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a deep stem and average-pool downsampling, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 24, 36, 3), stem_type="deep_avg", base_width=128)
    return _create_convnet("wide_convnet200d", pretrained, **dict(model_args, **kwargs))


@register_model
def seconvnet200d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a deep stem and average-pool downsampling, squeeze excite attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 24, 36, 3),
        stem_type="deep_avg",
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("seconvnet200d", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_seconvnet200d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a deep stem and average-pool downsampling, squeeze excite attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 24, 36, 3),
        stem_type="deep_avg",
        base_width=128,
        block_args=dict(attn_layer="squeeze_excite"),
    )
    return _create_convnet("wide_seconvnet200d", pretrained, **dict(model_args, **kwargs))


@register_model
def ecaconvnet200d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a deep stem and average-pool downsampling, efficient channel attention."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 24, 36, 3),
        stem_type="deep_avg",
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("ecaconvnet200d", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_ecaconvnet200d(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a deep stem and average-pool downsampling, efficient channel attention, double-width bottlenecks."""
    model_args = dict(
        block=Bottleneck,
        layers=(3, 24, 36, 3),
        stem_type="deep_avg",
        base_width=128,
        block_args=dict(attn_layer="efficient_channel"),
    )
    return _create_convnet("wide_ecaconvnet200d", pretrained, **dict(model_args, **kwargs))


@register_model
def convnet200s(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a wide deep stem."""
    model_args = dict(block=Bottleneck, layers=(3, 24, 36, 3), stem_type="wide_deep")
    return _create_convnet("convnet200s", pretrained, **dict(model_args, **kwargs))


@register_model
def wide_convnet200s(pretrained: bool = False, **kwargs: Any) -> ConvNet:
    """ConvNet-200 with a wide deep stem, double-width bottlenecks."""
    model_args = dict(block=Bottleneck, layers=(3, 24, 36, 3), stem_type="wide_deep", base_width=128)
    return _create_convnet("wide_convnet200s", pretrained, **dict(model_args, **kwargs))
