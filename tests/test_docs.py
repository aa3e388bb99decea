"""The documentation stays true to the code."""

from __future__ import annotations

import re

import pytest

from sim.formats.format_docs import reference
from sim.formats.schema import ScenarioSpec
from sim.formats.typed_tables import fields_by_key
from tests.conftest import ROOT


@pytest.mark.parametrize("kind", ["scenario", "experiment"])
def test_format_references_are_current(kind):
    committed = (ROOT / "docs" / f"{kind}-format.md").read_text(encoding="utf-8")
    assert committed == reference(kind), (
        f"run: python -m sim.formats.format_docs {kind} > docs/{kind}-format.md"
    )


def test_reference_documents_every_key():
    text = reference()
    for name in fields_by_key(ScenarioSpec):
        assert f"| `{name}` |" in text


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|bash)?\n(.*?)```", readme, flags=re.S)
    assert len(blocks) >= 2
    assert "frontline" in blocks[0] and "pip install" in blocks[0]
    assert "pytest" in blocks[1] and "pip install" in blocks[1]
