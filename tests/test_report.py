"""The sweep report: verdict rules, the bootstrap interval, Cliff's delta and the design
effects on constructed samples; comparisons with too little data; and `frontline sweep`
then `frontline report` end to end on experiments/quick.toml."""

from __future__ import annotations

import base64
import re
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.comparison import INSUFFICIENT, Arms, compare
from sim.experiments.report import territory_bands, write_report
from sim.experiments.results import ResultStore
from sim.experiments.sensitivity import DesignPoint, design_effects
from sim.experiments.verdicts import ALPHA, VERDICTS, decide
from tests.conftest import ROOT

QUICK = ROOT / "experiments" / "quick.toml"
# the comparisons of quick.toml
RED, BLUE, GREEN = "red_holds_more_without_air", "blue_gains_from_more_air", "green_unaffected"


def spec(expect: str, test: str | None = None, sesoi: float | None = None) -> dict:
    """A comparison of metric `m` between variant `v` and the baseline."""
    return {"metric": "m", "variant": "v", "expect": expect, "test": test, "sesoi": sesoi}


def decided(spec: dict, x, y, paired: bool = False):
    """The comparison of `x` (variant) with `y` (baseline), its verdict decided alone."""
    arms = Arms(np.asarray(x, dtype=float), np.asarray(y, dtype=float), paired)
    result = compare("c", spec, "base", arms, binary=False)
    decide([result], "holm")
    return result


# --- verdict rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("test", "paired"),
    [("mann-whitney", False), ("permutation", False), ("signed-rank", True), ("permutation", True)],
)
@pytest.mark.parametrize(
    ("expect", "shift", "verdict"),
    [
        ("greater", +3.0, "supported"),
        ("greater", -3.0, "contradicted"),
        ("less", -3.0, "supported"),
        ("less", +3.0, "contradicted"),
        ("different", +3.0, "supported"),
        ("different", -3.0, "supported"),
    ],
)
def test_clearly_shifted_samples_get_the_verdict_of_their_direction(
    test, paired, expect, shift, verdict
):
    rng = np.random.default_rng(7)
    x, y = rng.normal(shift, 1.0, 20), rng.normal(0.0, 1.0, 20)
    result = decided(spec(expect, test), x, y, paired)
    assert result.verdict == verdict, result.sentence()
    assert result.ci_low < shift < result.ci_high
    assert result.n_variant == result.n_baseline == 20


@pytest.mark.parametrize("expect", ["greater", "less", "different"])
def test_overlapping_small_samples_are_inconclusive(expect):
    result = decided(spec(expect), [1.0, 3.0, 2.0], [2.0, 1.0, 3.5])
    assert result.verdict == "inconclusive"
    assert result.p_value > ALPHA and result.ci_low < 0 < result.ci_high


def test_identical_constant_samples_get_no_response_with_zero_effect():
    result = decided(spec("greater"), np.full(5, 3.0), np.full(5, 3.0))
    assert result.verdict == "no response"
    assert (result.difference, result.ci_low, result.ci_high) == (0.0, 0.0, 0.0)
    assert result.cliffs_delta == 0.0 and result.p_value == 1.0
    assert "the model does not respond" in result.sentence()


def test_pairs_that_are_identical_one_by_one_get_no_response():
    values = np.arange(6.0)
    assert decided(spec("greater"), values, values, paired=True).verdict == "no response"
    assert decided(spec("greater"), values, values[::-1]).verdict == "inconclusive"


# --- the bootstrap interval -------------------------------------------------------------


def test_bootstrap_interval_covers_the_true_difference_at_about_95_percent():
    """Over 200 synthetic draws (true difference 1.0) the 95 % percentile interval holds
    it in 90-99 % of them: the binomial standard error is 1.5 points, and the percentile
    bootstrap of a mean runs slightly below nominal at n = 30."""
    rng = np.random.default_rng(2024)
    covered = 0
    for _ in range(200):
        x, y = rng.normal(1.0, 1.0, 30), rng.normal(0.0, 2.0, 30)
        result = compare("c", spec("different"), "base", Arms(x, y), binary=False)
        covered += result.ci_low <= 1.0 <= result.ci_high
    assert 0.90 <= covered / 200 <= 0.99


@pytest.mark.parametrize("paired", [False, True])
def test_bootstrap_interval_matches_the_normal_closed_form_on_large_samples(paired):
    """With 2,000 values a side the interval is the difference +- 1.96 standard errors
    (sample variances over n; of the differences for pairs), within 10 % of its
    half-width."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(1.0, 1.0, 2000), rng.exponential(2.0, 2000)
    result = compare("c", spec("different"), "base", Arms(x, y, paired), binary=False)
    if paired:
        error = np.std(x - y, ddof=1) / np.sqrt(len(x))
    else:
        error = np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
    half = 1.959964 * error
    assert result.difference == pytest.approx(x.mean() - y.mean())
    assert result.ci_low == pytest.approx(result.difference - half, abs=0.1 * half)
    assert result.ci_high == pytest.approx(result.difference + half, abs=0.1 * half)


# --- Cliff's delta ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "y", "delta"),
    [
        # 1 vs (2, 2, 4): < < <; 2 vs (2, 2, 4): = = <; 3 vs (2, 2, 4): > > <
        # -> (2 greater - 5 less) / 9 pairs
        ([1, 2, 3], [2, 2, 4], (2 - 5) / 9),
        # 3 vs (1, 5): > <; 1 vs (1, 5): = <; 4 vs (1, 5): > < -> (2 - 3) / 6
        ([3, 1, 4], [1, 5], (2 - 3) / 6),
        ([5, 6], [1, 2, 3], 1.0),  # every pair greater
        ([1, 2], [5, 6], -1.0),  # every pair less
    ],
)
def test_cliffs_delta_is_the_share_of_greater_minus_less_pairs(x, y, delta):
    assert decided(spec("greater"), x, y).cliffs_delta == pytest.approx(delta)


# --- design points ----------------------------------------------------------------------


def design_points() -> list[DesignPoint]:
    """Eight design points where the variant is ahead by 10 x `a` and `b` does nothing
    (its ranks have Spearman's rho 0 with those of `a`), plus a ninth point with one run
    a side, too thin to count."""
    b = [3, 6, 0, 5, 2, 7, 1, 4]
    base = np.arange(6.0)
    points = [
        DesignPoint(point, {"a": point, "b": b[point]}, Arms(base + 10.0 * point, base.copy()))
        for point in range(8)
    ]
    return [*points, DesignPoint(8, {"a": 8, "b": 8}, Arms(np.array([100.0]), np.zeros(1)))]


def test_design_share_sensitivity_and_box_find_the_parameter_that_drives_the_outcome():
    result = decided(spec("greater"), np.arange(10.0) + 5, np.arange(10.0))
    design_effects(result, design_points(), "lhs")
    # point 0 has no difference (no response); points 1-7 separate completely
    # (supported); point 8 has one run a side and is left out
    assert result.points_supported == pytest.approx(7 / 8)
    assert [name for name, _ in result.sensitivity] == ["a", "b"]
    assert result.sensitivity[0][1] == pytest.approx(1.0)
    assert abs(result.sensitivity[1][1]) < 0.1
    assert result.box.restricted == ("a",) and result.box.limits["a"] == (1.0, 7.0)
    assert (result.box.coverage, result.box.density) == (1.0, 1.0)
    assert result.sobol == []  # not a Sobol design


def test_design_without_any_point_of_enough_runs_has_no_share():
    result = decided(spec("greater"), np.arange(10.0) + 5, np.arange(10.0))
    design_effects(result, design_points()[8:], "lhs")
    assert result.points_supported is None and result.sensitivity == [] and result.box is None


# --- too little data --------------------------------------------------------------------


@pytest.mark.parametrize(("n_variant", "n_baseline"), [(1, 5), (5, 0), (0, 0)])
def test_a_thin_comparison_has_insufficient_data_and_says_how_many(n_variant, n_baseline):
    result = decided(spec("greater"), np.ones(n_variant), np.ones(n_baseline))
    assert result.verdict == INSUFFICIENT and result.insufficient
    assert np.isnan([result.difference, result.ci_low, result.cliffs_delta, result.p_value]).all()
    assert (result.n_variant, result.n_baseline) == (n_variant, n_baseline)
    assert f"{n_variant} of v, {n_baseline} of base" in result.sentence()


# --- end to end -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    """`frontline sweep experiments/quick.toml --replicates 3 --workers 1`, no report."""
    out = tmp_path_factory.mktemp("sweeps") / "quick"
    argv = ["sweep", str(QUICK), "--out", str(out), "--replicates", "3", "--workers", "1"]
    assert main([*argv, "--no-report"]) == 0
    return out


def verdict_rows(markdown: str) -> dict[str, str]:
    """Comparison name -> verdict, from the report's verdict table."""
    return dict(re.findall(r"(?m)^\| (\w+) \| \*\*([a-z ]+)\*\*", markdown))


def test_sweep_then_report_writes_every_verdict_and_a_self_contained_page(swept):
    assert main(["report", str(swept)]) == 0
    markdown = (swept / "report.md").read_text(encoding="utf-8")
    comparisons = tomllib.loads(QUICK.read_text(encoding="utf-8"))["comparisons"]
    rows = verdict_rows(markdown)
    assert set(rows) == set(comparisons)
    assert all(verdict in VERDICTS for verdict in rows.values())
    assert "9 runs (9 finished, 0 failed) of 9 planned" in markdown
    html = (swept / "report.html").read_text(encoding="utf-8")
    images = re.findall(r'<img alt="(\w+)" src="data:image/png;base64,([^"]+)"', html)
    assert {name for name, _ in images} == {"territory", "distributions", "capture_map"}
    assert all(base64.b64decode(data).startswith(b"\x89PNG") for _, data in images)
    links = re.findall(r'(?:src|href)\s*=\s*["\']?([^"\'\s>]+)', html)
    assert all(link.startswith("data:") for link in links), links
    assert not re.search(r"https?://", html)


def test_one_replicate_reports_insufficient_data_instead_of_failing(tmp_path, capsys):
    out = tmp_path / "thin"
    argv = ["sweep", str(QUICK), "--out", str(out), "--replicates", "1", "--workers", "1"]
    assert main(argv) == 0
    rows = verdict_rows((out / "report.md").read_text(encoding="utf-8"))
    assert rows == dict.fromkeys(rows, INSUFFICIENT) and len(rows) == 3
    assert "insufficient data** (1 pair)" in capsys.readouterr().out  # common seeds
    assert (out / "report.html").is_file()


def rewrite_runs(directory: Path, change) -> None:
    """Apply `change` (a function of the runs table) to every stored runs part."""
    for part in (directory / "runs").glob("part-*.parquet"):
        change(pd.read_parquet(part)).to_parquet(part, index=False)


def test_the_report_does_not_depend_on_the_order_runs_finished_in(swept, tmp_path):
    """Parallel workers store runs in the order they finish; the intervals come from
    resampling, so the report must read them in the plan's order."""

    def spread(runs: pd.DataFrame) -> pd.DataFrame:
        """Ten times the runs, with distinct values: enough for the order to matter."""
        runs = pd.concat(
            [runs.assign(replicate=runs["replicate"] + 3 * k) for k in range(10)],
            ignore_index=True,
        )
        runs["run_id"] = runs["variant"] + "/0/" + runs["replicate"].astype(str)
        for column in [c for c in runs if c.startswith("metric.")]:
            runs[column] = (runs["replicate"] ** 1.5 + runs["variant"].str.len()).astype(float)
        return runs

    reports = []
    for name, order in (
        ("plan", spread),
        ("finished", lambda r: spread(r).sample(frac=1.0, random_state=7)),
    ):
        directory = tmp_path / name
        shutil.copytree(swept, directory)
        rewrite_runs(directory, order)
        text = write_report(directory).markdown.read_text(encoding="utf-8")
        reports.append(text.replace(str(directory), "DIR"))
    assert reports[0] == reports[1]


def fail_no_air(runs: pd.DataFrame) -> pd.DataFrame:
    """Every no_air run failed: an error, no metrics."""
    failed = runs["variant"] == "no_air"
    runs.loc[failed, "status"] = "error"
    runs.loc[failed, "error"] = "RuntimeError: boom\n"
    for column in [c for c in runs if c.startswith("metric.")]:
        runs[column] = runs[column].astype(object).where(~failed, None)
    return runs


def fail_all(runs: pd.DataFrame) -> pd.DataFrame:
    """Every run failed: no metric columns at all (as when no run gets that far)."""
    runs = runs.drop(columns=[c for c in runs if c.startswith("metric.")])
    return runs.assign(status="error", error="RuntimeError: boom\n")


def no_green(runs: pd.DataFrame) -> pd.DataFrame:
    """The metric places.green is None in every run."""
    return runs.assign(**{"metric.places.green": None})


def interrupted(runs: pd.DataFrame) -> pd.DataFrame:
    """Stopped early: one no_air run and no double_air run committed (the time series
    still holds rows of the others, as an uncommitted part would)."""
    keep = (runs["variant"] == "historical") | (runs["run_id"] == "no_air/0/0")
    return runs[keep]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (fail_no_air, {RED: "0 pairs", GREEN: "0 pairs"}),
        (fail_all, {RED: "0 pairs", BLUE: "0 pairs", GREEN: "0 pairs"}),
        (no_green, {GREEN: "0 pairs"}),
        (interrupted, {RED: "1 pair", BLUE: "0 pairs", GREEN: "1 pair"}),
    ],
)
def test_thin_comparisons_do_not_stop_the_report_or_the_compare_page(
    swept, tmp_path, change, expected
):
    from dashboards.compare import verdict_table
    from dashboards.sweep_view import open_sweep

    directory = tmp_path / "thin"
    shutil.copytree(swept, directory)
    rewrite_runs(directory, change)
    report = write_report(directory)
    markdown = report.markdown.read_text(encoding="utf-8")
    rows = verdict_rows(markdown)
    assert len(rows) == 3
    for name, verdict in rows.items():
        assert (verdict == INSUFFICIENT) == (name in expected), (name, verdict)
    for name, counts in expected.items():
        assert f"| {name} | **{INSUFFICIENT}** ({counts}) |" in markdown
    assert report.html.is_file()
    html = verdict_table(open_sweep(directory))
    assert html.count(INSUFFICIENT) >= len(expected)
    assert "nan" not in html


def test_fan_chart_bands_are_the_quantiles_of_the_whole_table(swept):
    """Streamed part by part, the bands equal the per-day quantiles of the table read
    whole; runs not in the runs table given are left out."""
    store = ResultStore(swept)
    runs, series = store.read("runs"), store.read("timeseries")
    historical = runs[runs["variant"] == "historical"]
    bands = territory_bands(swept, historical)
    assert list(bands) == ["historical"]
    mine = series[series["run_id"].isin(historical["run_id"])]
    for faction, group in mine.groupby("faction"):
        expected = group.groupby("day")["places_held"].quantile([0.1, 0.5, 0.9]).unstack()
        if expected[0.9].max() == 0:
            assert faction not in bands["historical"]
            continue
        assert bands["historical"][faction].shape == (91, 3)  # days 0-90
        np.testing.assert_array_equal(bands["historical"][faction], expected.to_numpy())
