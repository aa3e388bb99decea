"""`frontline score`: a history the model wrote itself scores near perfect, a wrong one does
not, and the numbers do not depend on how the runs are spread over processes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sim.cli import main
from sim.experiments.score import (
    month_starts,
    record_runs,
    score_runs,
    score_scenario,
    synthetic_history,
)
from sim.formats.history import load_history
from sim.formats.scenario import load_scenario, parse_overrides
from tests.conftest import ROOT

BASE = ROOT / "scenarios" / "syria" / "base_2015.toml"
SIDES = ("isis", "rebels", "regime", "sdf")
END = dt.date(2016, 3, 1)


@pytest.fixture(scope="module")
def deterministic():
    """base_2015 with every draw at its expected value: each run is the same run."""
    return load_scenario(BASE, parse_overrides(["run.deterministic=true"]))


@pytest.fixture(scope="module")
def records(deterministic):
    return record_runs(deterministic, [0, 1, 2], workers=1)


def synthetic(tmp_path, records, scenario, shift_days: int = 0):
    text = synthetic_history(records[0], scenario, SIDES, END)
    if shift_days:  # move every change by `shift_days` (a wrong history)
        lines = text.splitlines()
        for i, line in enumerate(lines):
            cells = line.split(",")
            if cells[0] == "control":
                day = dt.date.fromisoformat(cells[4]) + dt.timedelta(days=shift_days)
                cells[4] = cells[5] = str(min(day, END))
                lines[i] = ",".join(cells)
        text = "\n".join(lines) + "\n"
    path = tmp_path / f"synthetic{shift_days}.csv"
    path.write_text(text, encoding="utf-8")
    return load_history(path)


def test_a_history_written_by_the_model_scores_perfect(tmp_path, deterministic, records):
    history = synthetic(tmp_path, records, deterministic)
    assert len(history.of_kind("control")) >= 5  # the run changes hands: not a trivial history
    score = score_runs(records, history, deterministic)
    assert all(f.happened == 1.0 and f.median_error == 0 for f in score.facts)
    assert score.brier == 0 and score.end_accuracy == 1.0
    assert score.distance == 0
    assert score.skill_start_persists == 1.0  # the model beats the naive forecast fully


def test_a_shifted_history_scores_worse(tmp_path, deterministic, records):
    history = synthetic(tmp_path, records, deterministic, shift_days=40)
    score = score_runs(records, history, deterministic)
    errors = [f.median_error for f in score.facts if f.median_error is not None]
    assert errors and all(e < 0 for e in errors)  # the model is early against it
    assert score.distance > 0.1
    assert score.brier > 0


def test_same_seeds_same_numbers_serially_and_in_parallel():
    serial = score_scenario(BASE, ROOT / "scenarios/syria/history/history-2015.csv", 3, workers=1)
    parallel = score_scenario(BASE, ROOT / "scenarios/syria/history/history-2015.csv", 3, workers=2)
    assert serial.to_json() == parallel.to_json()


def test_month_starts():
    assert month_starts(dt.date(2015, 10, 1), END) == [
        dt.date(2015, 11, 1), dt.date(2015, 12, 1), dt.date(2016, 1, 1),
        dt.date(2016, 2, 1), dt.date(2016, 3, 1),
    ]  # fmt: skip


def test_score_command_writes_table_json_and_plot(tmp_path, capsys):
    history = ROOT / "scenarios/syria/history/history-2015.csv"
    out = tmp_path / "score"
    code = main(["score", str(BASE), str(history), "--replicates", "2", "--workers", "1",
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "Brier score" in printed and "period-end map (2016-03-01)" in printed
    data = json.loads((out / "score.json").read_text())
    assert data["seeds"] == [0, 1] and len(data["facts"]) == 17
    assert (out / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_score_refuses_a_history_that_does_not_fit_the_scenario(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(
        "kind,place,from,to,date_first,date_last,note,source\n"
        "control,Atlantis,rebels,isis,2015-10-09,2015-10-09,,\n",
        encoding="utf-8",
    )
    assert main(["score", str(BASE), str(path), "--replicates", "1"]) == 1
    assert "line 2: unknown place 'Atlantis'" in capsys.readouterr().err
