"""The server never imports torch, TensorFlow, Keras or JAX, even for files that use them."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from .lsp_helpers import (
    EXAMPLES,
    code_actions,
    debug_info,
    init,
    open_doc,
    uri_for,
    wait_published,
)

JAX = "import jax\nimport jax.numpy as jnp\n\nx = jnp.ones((3,))\nprint(jax.grad(lambda v: v.sum())(x))\n"


async def test_no_framework_is_imported(client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    files = {p.name: p.read_text(encoding="utf-8") for p in EXAMPLES.glob("*.py")}
    files["jax_example.py"] = JAX
    for name, text in files.items():
        uri = uri_for(tmp_path, name)
        open_doc(client, uri, text)
        await wait_published(client, uri, 1)
        everything = types.Range(types.Position(0, 0), types.Position(len(text.splitlines()), 0))
        await code_actions(client, uri, everything)
    info = await debug_info(client)
    assert info["heavyModules"] == []
    assert info["openDocuments"] == len(files)
    assert info["rssBytes"] < 400 * 2**20  # torch alone would add several hundred MB
    assert info["versions"]["pygls"].startswith("2.")
