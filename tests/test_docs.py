"""The documentation stays true to the code."""

from __future__ import annotations

import re

from sim.format_docs import reference
from sim.schema import ScenarioSpec
from sim.typed_tables import fields_by_key
from tests.conftest import ROOT


def test_scenario_format_reference_is_current():
    committed = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    assert committed == reference(), "run: python -m sim.format_docs > docs/scenario-format.md"


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
