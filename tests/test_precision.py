"""Enough runs: `frontline sweep --precision` adds replicates in batches until every
interval is narrower than its sesoi or the cap is reached, keeps the runs it has, and
resumes like any sweep; the report says how the replicates were chosen. Also: the
report's HTML and the Compare page show the same verdicts."""

from __future__ import annotations

import json
import math
import re
import textwrap

import numpy as np
import pytest

from sim.cli import main
from sim.experiments.comparison import Arms, compare
from sim.experiments.experiment import load_experiment
from sim.experiments.precision import next_replicates, precise_enough, sweep_to_precision
from sim.experiments.results import ResultStore
from sim.formats.experiment import PrecisionSpec
from tests.conftest import ROOT

VALLEY = (ROOT / "scenarios" / "teaching" / "valley.toml").as_posix()

EXPERIMENT = f"""
name = "precise"
replicates = 4
seed = 3
days = 60
pairing = "common_seeds"

[variants.base]
scenario = "{VALLEY}"
baseline = true

[variants.no_air]
scenario = "{VALLEY}"
set = {{ "factions.blue.air.sorties_per_day" = 0, "events.air_surge.enabled" = false }}

[comparisons.red]
metric = "places.red"
variant = "no_air"
expect = "greater"
sesoi = {{sesoi}}

[precision]
batch = 4
max_replicates = 12
"""


def experiment_file(tmp_path, sesoi: float):
    path = tmp_path / "precise.toml"
    path.write_text(textwrap.dedent(EXPERIMENT.replace("{sesoi}", str(sesoi))), encoding="utf-8")
    return path


def result_with_interval(low: float, high: float, sesoi: float | None):
    spec = {"metric": "m", "variant": "v", "expect": "greater", "sesoi": sesoi}
    result = compare("c", spec, "b", Arms(np.arange(5.0), np.arange(5.0) + 1), binary=False)
    result.ci_low, result.ci_high = low, high
    return result


def test_an_interval_is_precise_enough_when_narrower_than_its_sesoi():
    assert precise_enough(result_with_interval(0.1, 0.9, 1.0))
    assert not precise_enough(result_with_interval(-0.2, 0.9, 1.0))
    assert precise_enough(result_with_interval(-5.0, 5.0, None))  # no target


def test_the_next_round_adds_the_batches_the_widest_interval_needs():
    settings = PrecisionSpec(batch=10, max_replicates=200)
    # width 2 for a sesoi of 1: four times the runs (width ~ 1 / sqrt(n)): 20 -> 80
    assert next_replicates(20, [result_with_interval(0.0, 2.0, 1.0)], settings) == 80
    # nearly there: one batch at least
    assert next_replicates(20, [result_with_interval(0.0, 1.01, 1.0)], settings) == 30
    # at most the cap
    assert next_replicates(20, [result_with_interval(0.0, 10.0, 1.0)], settings) == 200
    # a comparison without data yet: one batch
    assert next_replicates(20, [result_with_interval(math.nan, math.nan, 1.0)], settings) == 30


def test_a_precision_sweep_adds_rounds_up_to_the_cap_and_keeps_its_runs(tmp_path):
    """A sesoi far too small to reach: rounds of 4, then as many as the width asks, up to
    the cap of 12; every round's runs stay (the first 4 replicates are not redone)."""
    experiment = load_experiment(experiment_file(tmp_path, 0.01))
    out = tmp_path / "out"
    result = sweep_to_precision(experiment, out, workers=1, progress=False)
    rounds = ResultStore(out).manifest()["precision"]["rounds"]
    assert [r["replicates"] for r in rounds] == [4, 12]
    assert result.replicates == 12 and "the cap was reached" in result.stopped
    assert [r.done_before for r in result.rounds] == [0, 8]
    assert result.ran == 2 * 12
    runs = ResultStore(out).read("runs")
    assert len(runs) == 24 and runs["run_id"].is_unique
    # common seeds: replicate k has the same seed in both variants
    seeds = runs.pivot(index="replicate", columns="variant", values="seed")
    assert (seeds["base"] == seeds["no_air"]).all()


def test_a_reachable_sesoi_stops_at_the_first_round(tmp_path):
    experiment = load_experiment(experiment_file(tmp_path, 100.0))
    result = sweep_to_precision(experiment, tmp_path / "out", workers=1, progress=False)
    assert result.replicates == 4 and result.stopped == "every interval is narrower than its sesoi"


def test_a_stopped_precision_sweep_resumes_where_it_was(tmp_path, capsys):
    """The first round is done, and the sweep stopped (as if killed) before the next; the
    same command with --resume goes on to the cap, and the report tells the rounds."""
    path = experiment_file(tmp_path, 0.01)
    out = tmp_path / "out"
    experiment = load_experiment(path)
    first = sweep_to_precision(
        experiment, out, settings=PrecisionSpec(batch=4, max_replicates=4), workers=1,
        progress=False,
    )  # fmt: skip
    assert first.replicates == 4
    argv = ["sweep", str(path), "--out", str(out), "--resume", "--workers", "1"]
    assert main(argv) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["replicates"] == 12
    assert [r["replicates"] for r in manifest["precision"]["rounds"]] == [4, 12]
    assert len(ResultStore(out).read("runs")) == 24
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "Replicates chosen by precision: 4, 12 per variant" in markdown
    assert capsys.readouterr().out.startswith("16 runs in")  # only replicates 4-11 ran


def test_precision_needs_a_sesoi(tmp_path, capsys):
    path = tmp_path / "no_sesoi.toml"
    text = EXPERIMENT.replace("sesoi = {sesoi}\n", "")
    text = text.replace("[precision]\nbatch = 4\nmax_replicates = 12\n", "")
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    argv = ["sweep", str(path), "--out", str(tmp_path / "out"), "--precision"]
    assert main(argv) != 0
    assert "--precision needs a `sesoi`" in capsys.readouterr().err


# --- the report and the Compare page agree ----------------------------------------------


def html_verdicts(html: str) -> dict[str, str]:
    """Comparison -> verdict, from the report's HTML verdict table."""
    cells = r"<tr>\s*<td>(\w+)</td>\s*<td><(?:b|strong)>([a-z ]+)</(?:b|strong)>"
    return dict(re.findall(cells, html))


def page_verdicts(html: str) -> dict[str, str]:
    """Comparison -> verdict, from the Compare page's verdict table."""
    return dict(re.findall(r'<td><b>(\w+)</b>.*?<td class="fl-verdict"[^>]*><b>([a-z ]+)</b>',
                           html))  # fmt: skip


@pytest.mark.parametrize("sesoi", [0.01, 100.0])
def test_the_report_and_the_compare_page_show_the_same_verdicts(tmp_path, sesoi):
    from dashboards.compare import claims_html, verdict_table
    from dashboards.sweep_view import open_sweep

    out = tmp_path / "out"
    assert main(["sweep", str(experiment_file(tmp_path, sesoi)), "--out", str(out),
                 "--workers", "1"]) == 0  # fmt: skip
    report = html_verdicts((out / "report.html").read_text(encoding="utf-8"))
    view = open_sweep(out)
    page = page_verdicts(verdict_table(view))
    assert report == page and set(report) == {"red"}
    reading = view.analysis.claims[0].reading
    assert f'class="fl-claim-reading">{reading}<' in claims_html(view)
    assert f"**precise** — {reading}" in (out / "report.md").read_text(encoding="utf-8")
