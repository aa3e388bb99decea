"""Calibration of the whole verdict machinery on A/A experiments (variants that are the
same): a "supported" verdict there is false, and with Holm's correction the chance of
any false one in an experiment must stay at or below alpha.

Simulated: 400 A/A experiments of four comparisons each, with metric values shaped like
the model's (small counts with many ties, pairs sharing most of their noise, 0/1
outcomes, a skewed number), through the same functions a report uses
(`compare`, then `decide` over the experiment). Real: one small A/A sweep of the
teaching valley with common seeds (every pair identical: "no response") and with
independent seeds (no "supported")."""

from __future__ import annotations

import gc
import re
import textwrap

import numpy as np
import pytest

from sim.cli import main
from sim.experiments.comparison import Arms, compare
from sim.experiments.proportions import wilson
from sim.experiments.verdicts import ALPHA, decide
from tests.conftest import ROOT

REPETITIONS = 400
RUNS = 30


def aa_experiment(rng: np.random.Generator) -> list:
    """One simulated A/A experiment: four comparisons whose arms share a distribution."""
    counts = (rng.poisson(0.8, RUNS), rng.poisson(0.8, RUNS))
    common = rng.normal(30, 6, RUNS)  # what a shared seed decides
    pairs = (common + rng.normal(0, 1, RUNS), common + rng.normal(0, 1, RUNS))
    shares = ((rng.uniform(size=RUNS) < 0.7) * 1.0, (rng.uniform(size=RUNS) < 0.7) * 1.0)
    skewed = (rng.lognormal(8, 0.5, RUNS), rng.lognormal(8, 0.5, RUNS))
    cases = [
        ("counts", counts, False, False, "greater", 1.0),
        ("pairs", pairs, True, False, "less", None),
        ("shares", shares, False, True, "greater", 0.2),
        ("skewed", skewed, False, False, "different", None),
    ]
    results = []
    for name, (x, y), paired, binary, expect, sesoi in cases:
        spec = {"metric": name, "variant": "b", "expect": expect, "sesoi": sesoi}
        results.append(compare(name, spec, "a", Arms(x, y, paired), binary))
    decide(results, "holm")
    return results


@pytest.fixture
def frozen_heap():
    """statsmodels' Holm correction calls gc.collect(), which scans the whole heap of a
    test process (0.2 s a call here); frozen objects are not scanned."""
    gc.freeze()
    yield
    gc.unfreeze()


def test_false_supported_verdicts_stay_below_alpha_over_400_aa_experiments(frozen_heap):
    rng = np.random.default_rng(20261125)
    supported = wrong = 0
    by_comparison: dict[str, int] = {}
    for _ in range(REPETITIONS):
        results = aa_experiment(rng)
        supported += any(r.verdict == "supported" for r in results)
        names = [r.name for r in results if r.verdict in ("supported", "contradicted")]
        wrong += bool(names)
        for name in names:
            by_comparison[name] = by_comparison.get(name, 0) + 1
    for label, count in (("supported", supported), ("supported or contradicted", wrong)):
        low, high = wilson(count, REPETITIONS)
        print(
            f"A/A: {count} of {REPETITIONS} experiments with a false {label} verdict: "
            f"{count / REPETITIONS:.1%} (Wilson 95 %: {low:.1%}-{high:.1%})"
        )
    print(f"false verdicts by comparison: {by_comparison}")
    assert supported / REPETITIONS <= ALPHA
    assert wrong / REPETITIONS <= ALPHA  # Holm: any false verdict of the family


def test_an_aa_experiment_is_not_all_inconclusive_when_it_has_a_margin():
    """The machinery can say "equivalent" when the arms are the same and the margin is
    wide enough: the A/A share comparison (margin 20 points, 30 runs a side) is found
    equivalent in some experiments, not none (else the test above would be vacuous)."""
    rng = np.random.default_rng(5)
    verdicts = [aa_experiment(rng)[0].verdict for _ in range(50)]  # counts, margin 1
    assert verdicts.count("equivalent") > 25


AA_EXPERIMENT = """
name = "aa"
description = "Two identical variants of the teaching valley."
replicates = 8
seed = 7
days = 60
pairing = "{pairing}"

[variants.a]
scenario = "{valley}"
baseline = true

[variants.b]
scenario = "{valley}"

[comparisons.red]
metric = "places.red"
variant = "b"
expect = "greater"
sesoi = 1.0

[comparisons.blue]
metric = "places.blue"
variant = "b"
expect = "less"
"""


@pytest.mark.parametrize(
    ("pairing", "allowed"),
    [("common_seeds", {"no response"}), ("independent", {"inconclusive", "equivalent"})],
)
def test_a_real_aa_sweep(tmp_path, pairing, allowed):
    valley = ROOT / "scenarios" / "teaching" / "valley.toml"
    experiment = tmp_path / "aa.toml"
    text = AA_EXPERIMENT.format(pairing=pairing, valley=valley.as_posix())
    experiment.write_text(textwrap.dedent(text), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sweep", str(experiment), "--out", str(out), "--workers", "1"]) == 0
    markdown = (out / "report.md").read_text(encoding="utf-8")
    verdicts = dict(re.findall(r"(?m)^\| (\w+) \| \*\*([a-z ]+)\*\*", markdown))
    assert set(verdicts) == {"red", "blue"}
    assert set(verdicts.values()) <= allowed, verdicts
