"""Sweeps over a calibration's posterior: each run pinned to an accepted set drawn by weight,
the same set for every variant, a variant that sets a key itself keeping its value; and the
report's verdict over the posterior (holds, or depends on where one stands)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.experiment import check_experiment, load_experiment
from sim.experiments.posterior import (
    DEPENDS,
    HOLDS,
    SAME_EVERYWHERE,
    posterior_section,
    robustness,
)
from sim.experiments.priors import json_value
from sim.experiments.report import write_report
from sim.experiments.sweep import sweep
from sim.formats.scenario import load_scenario
from tests.conftest import ROOT

VALLEY = ROOT / "scenarios" / "teaching" / "valley.toml"
LETHALITY = "factions.green.lethality"
SETS = (0.010, 0.025)
WEIGHTS = (0.8, 0.2)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A scenario whose Green lethality is uncertain, variants of it, and a calibration
    folder of two accepted sets (weights 0.8 and 0.2), written as `frontline calibrate`
    writes them."""
    path = tmp_path_factory.mktemp("posterior")
    (path / "priors.toml").write_text(
        f'extends = "{VALLEY}"\n[factions.green]\n'
        'lethality = { dist = "uniform", low = 0.004, high = 0.03 }\n',
        encoding="utf-8",
    )
    (path / "own.toml").write_text(
        'extends = "priors.toml"\n[factions.green]\nlethality = 0.02\n', encoding="utf-8"
    )
    prior = load_scenario(path / "priors.toml").spec.factions["green"].lethality
    calibration = path / "calibration"
    calibration.mkdir()
    parameters = [{"key": LETHALITY, "prior": json_value(prior), "whole": False,
                   "parent_value": 0.014}]  # fmt: skip
    summary = {"parameters": parameters, "scenario": str(path / "priors.toml"),
               "history": "h.csv", "split": "2020-03-01"}  # fmt: skip
    (calibration / "calibration.json").write_text(json.dumps(summary), encoding="utf-8")
    pd.DataFrame({"set": [0, 1], "weight": WEIGHTS, "distance": [0.1, 0.2],
                  "holdout_distance": [0.2, 0.3], LETHALITY: SETS}).to_parquet(
        calibration / "accepted.parquet")  # fmt: skip
    return path


def experiment(folder, replicates: int = 4, posterior: str = "calibration") -> object:
    path = folder / "experiment.toml"
    path.write_text(
        f"""
name = "over the posterior"
replicates = {replicates}
seed = 7
days = 40
posterior = "{posterior}"

[variants.base]
scenario = "priors.toml"
baseline = true

[variants.no_air]
scenario = "priors.toml"
set = {{ "factions.blue.air.sorties_per_day" = 0 }}

[variants.valley]
scenario = "{VALLEY}"

[variants.own]
scenario = "own.toml"

[comparisons.red_holds_more]
metric = "places.red"
variant = "no_air"
expect = "greater"
""",
        encoding="utf-8",
    )
    return path


def test_each_run_is_pinned_to_an_accepted_set_drawn_by_weight(folder):
    loaded = load_experiment(experiment(folder, replicates=300))
    pinned = {}
    for task in loaded.plan():
        overrides = dict(task.overrides)
        if task.variant == "own":  # it sets the key itself: its own value stays
            assert LETHALITY not in overrides
            continue
        assert overrides[LETHALITY] in SETS  # the prior (priors.toml) or the parent's 0.014
        pinned.setdefault(task.replicate, set()).add(overrides[LETHALITY])
    assert all(len(values) == 1 for values in pinned.values())  # one set for every variant
    share = np.mean([SETS[0] in values for values in pinned.values()])
    assert abs(share - WEIGHTS[0]) < 3 * np.sqrt(WEIGHTS[0] * WEIGHTS[1] / 300)


def test_the_posterior_is_part_of_the_experiment_digest(folder):
    with_posterior = load_experiment(experiment(folder))
    text = (folder / "experiment.toml").read_text().replace('posterior = "calibration"\n', "")
    (folder / "plain.toml").write_text(text, encoding="utf-8")
    assert load_experiment(folder / "plain.toml").digest() != with_posterior.digest()


def test_a_missing_or_foreign_posterior_is_named(folder, tmp_path):
    _, problems = check_experiment(experiment(folder, posterior="nowhere"))
    assert any("posterior" in str(p) and "not a calibration folder" in str(p) for p in problems)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    summary = json.loads((folder / "calibration" / "calibration.json").read_text())
    summary["parameters"][0]["parent_value"] = 0.5  # not the baseline's value, nor its prior
    summary["parameters"][0]["prior"] = 0.5
    (foreign / "calibration.json").write_text(json.dumps(summary))
    (foreign / "accepted.parquet").write_bytes(
        (folder / "calibration" / "accepted.parquet").read_bytes()
    )
    _, problems = check_experiment(experiment(folder, posterior=str(foreign)))
    assert any("sets every calibrated key" in str(p) for p in problems), problems


def test_a_sweep_over_the_posterior_stores_the_sets_and_reports_on_them(folder, tmp_path):
    loaded = load_experiment(experiment(folder, replicates=4))
    sweep(loaded, tmp_path / "runs", workers=1, progress=False)
    runs = pd.read_parquet(tmp_path / "runs" / "runs")
    base = runs[runs["variant"] == "base"]
    assert set(base[f"param.{LETHALITY}"]) <= set(SETS)
    manifest = json.loads((tmp_path / "runs" / "manifest.json").read_text())
    assert manifest["posterior"]["pinned"]["own"] == []
    assert manifest["posterior"]["pinned"]["base"] == [LETHALITY]
    report = write_report(tmp_path / "runs").markdown.read_text()
    assert "## Over the calibrated uncertainty" in report
    assert "`own` sets its own `factions.green.lethality`" in report
    assert "### red_holds_more: not checked (fewer than 6 paired runs" in report


def test_sweep_command_takes_a_posterior(folder, tmp_path, capsys):
    text = (folder / "experiment.toml").read_text().replace('posterior = "calibration"\n', "")
    (folder / "cli.toml").write_text(text, encoding="utf-8")
    out = tmp_path / "cli"
    calibration = str(folder / "calibration")
    code = main(["sweep", str(folder / "cli.toml"), "--out", str(out), "--replicates", "2",
                 "--workers", "1", "--posterior", calibration, "--no-report"])  # fmt: skip
    assert code == 0
    runs = pd.read_parquet(out / "runs")
    assert set(runs.loc[runs["variant"] == "base", f"param.{LETHALITY}"]) <= set(SETS)
    assert "--set factions.green.lethality=" in runs["command"].iloc[0]  # repeats the run


def synthetic_runs(effect, n: int = 60, seed: int = 3) -> pd.DataFrame:
    """Paired runs of a baseline and a variant at n sets of one parameter x in [0, 1]:
    the variant's metric is the baseline's plus effect(x) plus noise."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, n)
    baseline = rng.normal(10, 1, n)
    variant = baseline + effect(x) + rng.normal(0, 0.5, n)
    rows = []
    for name, values in (("base", baseline), ("variant", variant)):
        for i in range(n):
            rows.append({"variant": name, "point": 0, "replicate": i, "status": "ok",
                         "metric.m": values[i], "param.x": x[i]})  # fmt: skip
    return pd.DataFrame(rows)


SPEC = {"metric": "m", "variant": "variant", "expect": "greater", "test": "mann-whitney"}


def test_an_effect_everywhere_in_the_posterior_holds():
    runs = synthetic_runs(lambda x: 3.0 + 0 * x)
    assert robustness("c", runs, SPEC, "base", ["x"], "supported").label == HOLDS


def test_an_effect_whose_sign_turns_with_a_parameter_depends_on_it():
    runs = synthetic_runs(lambda x: np.where(x < 0.5, 3.0, -3.0))
    found = robustness("c", runs, SPEC, "base", ["x"], "inconclusive")
    assert found.label == DEPENDS
    (trend,) = found.trends
    assert trend["rho"] < -0.5 and trend["p_holm"] < 0.05
    assert trend["halves"] == ["supported", "contradicted"]


def test_the_same_difference_at_every_set_holds():
    runs = synthetic_runs(lambda x: 0 * x)
    runs.loc[runs["variant"] == "variant", "metric.m"] = runs.loc[
        runs["variant"] == "base", "metric.m"
    ].to_numpy()
    assert robustness("c", runs, SPEC, "base", ["x"], "inconclusive").label == SAME_EVERYWHERE


def test_no_section_without_a_posterior():
    assert posterior_section({"baseline": "base"}, pd.DataFrame({"status": []}), []) == []
