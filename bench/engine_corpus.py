"""Generate the benchmark corpus's large model file, ``bench/corpus/models/convnets.py``.

The file plays the part of timm's ``resnet.py`` (2,266 lines) in the benchmark: one module of
about 2,300 lines with building blocks, a configurable network class, a pretrained-config table
and a long tail of registered factory functions -- the shape real model zoos have, written for
this project (nothing here is copied from a public repository). The hand-written part (blocks,
network class, helpers) is the top of the file itself; this script rewrites only what follows
the marker line. The output is deterministic and committed; re-run only to change it:

    .venv/bin/python bench/engine_corpus.py
"""

from __future__ import annotations

import itertools
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus" / "models" / "convnets.py"
MARKER = "# ---- generated below by bench/engine_corpus.py: do not edit by hand ----"

# (family, block, layers per stage, stem, width multiplier, groups, base width, attention)
_DEPTHS = {
    "10": (1, 1, 1, 1), "18": (2, 2, 2, 2),
    "34": (3, 4, 6, 3), "50": (3, 4, 6, 3), "101": (3, 4, 23, 3), "152": (3, 8, 36, 3),
    "200": (3, 24, 36, 3),
}
_STEMS = {"": "plain", "c": "deep", "d": "deep_avg", "s": "wide_deep"}
_ATTN = {"": None, "se": "squeeze_excite", "eca": "efficient_channel"}
_WIDTHS = {"": (1, 64), "wide": (1, 128), "x32x4d": (32, 4), "x64x4d": (64, 4)}


def _variants() -> list[dict]:
    out = []
    for depth, stem, attn, width in itertools.product(_DEPTHS, _STEMS, _ATTN, _WIDTHS):
        bottleneck = int(depth) >= 50
        if width and not bottleneck:
            continue  # grouped / wide variants only exist for bottleneck networks
        if attn and stem in ("s", "c"):
            continue  # attention variants come with the plain and average-pool stems only
        if width.startswith("x") and (depth == "200" or attn == "eca"):
            continue
        prefix = "convnext_" if width.startswith("x") else "convnet"
        name = f"{attn}{prefix}{depth}{stem}" if not width.startswith("x") else \
            f"{attn}convnext{depth}{stem}_{width}"
        if width == "wide":
            name = f"wide_{attn}convnet{depth}{stem}"
        groups, base = _WIDTHS[width]
        out.append(dict(name=name, depth=depth, layers=_DEPTHS[depth], stem=_STEMS[stem],
                        attn=_ATTN[attn], groups=groups, base=base, bottleneck=bottleneck))
    return out


def _config_entry(v: dict, i: int) -> str:
    crop = 0.95 if v["bottleneck"] else 0.875
    size = 224 if i % 3 else 256
    tags = "in1k" if i % 4 else "a1_in1k"
    return (
        f"    \"{v['name']}.{tags}\": _cfg(\n"
        f"        hub_id=\"mlsense-bench/{v['name']}.{tags}\",\n"
        f"        input_size=(3, {size}, {size}), crop_pct={crop},\n"
        f"        test_input_size=(3, {size + 32}, {size + 32}), test_crop_pct=1.0,\n"
        f"    ),\n"
    )


def _factory(v: dict) -> str:
    block = "Bottleneck" if v["bottleneck"] else "BasicBlock"
    args = [f"block={block}", f"layers={v['layers']}"]
    if v["stem"] != "plain":
        args.append(f"stem_type=\"{v['stem']}\"")
    if v["groups"] != 1:
        args.append(f"cardinality={v['groups']}")
    if v["base"] != 64:
        args.append(f"base_width={v['base']}")
    if v["attn"]:
        args.append(f"block_args=dict(attn_layer=\"{v['attn']}\")")
    desc = {"plain": "a single 7x7 stem", "deep": "a deep 3x3 stem",
            "deep_avg": "a deep stem and average-pool downsampling",
            "wide_deep": "a wide deep stem"}[v["stem"]]
    extra = f", {v['attn'].replace('_', ' ')} attention" if v["attn"] else ""
    grouped = f", {v['groups']}x{v['base']}d grouped convolutions" if v["groups"] != 1 else ""
    if v["base"] == 128:
        grouped = ", double-width bottlenecks"
    joined = ", ".join(args)
    lines = [
        "@register_model",
        f"def {v['name']}(pretrained: bool = False, **kwargs: Any) -> ConvNet:",
        f"    \"\"\"ConvNet-{v['depth']} with {desc}{extra}{grouped}.\"\"\"",
    ]
    if len(joined) > 80:
        lines.append("    model_args = dict(")
        lines.extend(f"        {a}," for a in args)
        lines.append("    )")
    else:
        lines.append(f"    model_args = dict({joined})")
    lines.append(f"    return _create_convnet(\"{v['name']}\", pretrained, **dict(model_args, **kwargs))")
    return "\n".join(lines) + "\n\n\n"


def generate(current: str) -> str:
    """The whole module's text: the hand-written head of ``current`` + the generated tail."""
    variants = _variants()
    head = current.split(MARKER)[0].rstrip()
    parts = [head + "\n\n\n" + MARKER + "\n"]
    parts.append("default_cfgs = generate_default_cfgs({\n")
    parts.extend(_config_entry(v, i) for i, v in enumerate(variants))
    parts.append("})\n\n\n")
    parts.extend(_factory(v) for v in variants)
    return "".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    text = generate(OUT.read_text(encoding="utf-8"))
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({text.count(chr(10))} lines, {len(_variants())} variants)")
