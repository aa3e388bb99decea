"""Golden runs: a fresh run of each case must match its checked-in record exactly.

A failure here means results changed. If that was meant, regenerate the records with
`python tests/golden_runs.py --write` and review the diff; otherwise find the change.
"""

from __future__ import annotations

import json

import pytest
from golden_runs import CASES, as_json, golden_record, record_path


@pytest.mark.parametrize("case", sorted(CASES))
def test_run_matches_its_golden_record(case):
    expected = json.loads(record_path(case).read_text(encoding="utf-8"))
    actual = json.loads(as_json(golden_record(case)))
    assert actual["summary"]["final_control"] == expected["summary"]["final_control"]
    assert actual["summary"]["captures"] == expected["summary"]["captures"]
    assert actual["summary"]["manpower"] == expected["summary"]["manpower"]
    assert actual["summary"]["metrics"] == expected["summary"]["metrics"]
    assert actual == expected
