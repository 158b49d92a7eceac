"""The README's Neovim configuration is the one the real-editor test runs (from docs/editors.md)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_neovim_block_is_the_tested_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    editors = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Neovim"):readme.index("### Any LSP client")]
    [block] = re.findall(r"```lua\n(.*?)```", section, re.S)
    assert 'vim.lsp.enable("mlsense")' in block
    assert block in editors
