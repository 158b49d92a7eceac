"""docs/rules/README.md is generated from the registry (`mlsense rules --output-format
markdown`): the committed page must list every rule as the registry describes it now."""

from __future__ import annotations

from pathlib import Path

from mlsense.analyzers import all_rules
from mlsense.analyzers.registry import families
from mlsense.server.cli import rules_markdown

INDEX = Path(__file__).resolve().parents[2] / "docs" / "rules" / "README.md"


def test_committed_index_is_generated_from_the_registry() -> None:
    # Other test modules may register throwaway families in the same process: list ours only.
    ours = {r.code for f in families() if f.__module__.startswith("mlsense.analyzers.rules")
            for r in f.rules}
    rules = [r for r in all_rules() if r.code in ours or r.family == "engine"]
    assert INDEX.read_text(encoding="utf-8") == rules_markdown(rules), \
        "regenerate: mlsense rules --output-format markdown > docs/rules/README.md"


def test_index_links_every_page() -> None:
    text = INDEX.read_text(encoding="utf-8")
    for page in sorted(INDEX.parent.glob("MLS*.md")):
        assert f"]({page.name})" in text, f"{page.name} is not in the index"
