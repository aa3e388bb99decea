"""`frontline calibrate`: a history the model wrote at known parameters gives those
parameters back within the posterior's range, a parameter the history cannot see is not
narrowed, the held-out facts never touch the fit, and the result does not depend on how
the runs are spread over processes."""

from __future__ import annotations

import collections
import datetime as dt
import json
import math
import tomllib

import distributed
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.cli import main
from sim.experiments.calibrate import (
    Budget,
    Kernel,
    Settings,
    calibrate,
    fitting_history,
    split_date,
)
from sim.experiments.calibration_report import write_calibration
from sim.experiments.priors import Parameter, weighted_quantiles
from sim.experiments.score import record_run, synthetic_history
from sim.formats.history import load_history
from sim.formats.problems import InputError
from sim.formats.scenario import load_scenario, parse_overrides
from sim.formats.uncertainty import Distribution
from tests.conftest import ROOT

ROAD = ROOT / "scenarios" / "teaching" / "road.toml"
START = dt.date(2020, 1, 1)
DAYS = 200
SIDES = ("blue", "red")
LETHALITY = "factions.red.lethality"
UNSEEN = "events.too_late.add_reserve"  # an event after the horizon: no run can show it
PRIOR_LOW, PRIOR_HIGH = 0.004, 0.03
RECOVERY = Budget(generations=3, proposals=30, accepted=10, runs_per_set=2)
TINY = Budget(generations=2, proposals=6, accepted=3, runs_per_set=1)

PRIORS = f"""
extends = "{ROAD}"
[run]
start_date = {START}
days = {DAYS}
[factions.red]
lethality = {{ dist = "uniform", low = {PRIOR_LOW}, high = {PRIOR_HIGH} }}
[events.too_late]
day = 400
faction = "red"
add_reserve = {{ dist = "uniform", low = 0, high = 1000 }}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The teaching road with two uncertain numbers, and histories written by runs of it at
    two known lethalities of Red (one run each, seed 11)."""
    path = tmp_path_factory.mktemp("calibration")
    (path / "priors.toml").write_text(PRIORS, encoding="utf-8")
    for truth in (0.008, 0.024):
        scenario = load_scenario(path / "priors.toml", parse_overrides({LETHALITY: truth}))
        text = synthetic_history(record_run(scenario, 11), scenario, SIDES, _end())
        (path / f"history-{truth}.csv").write_text(text, encoding="utf-8")
    return path


def _end() -> dt.date:
    return START + dt.timedelta(days=DAYS)


@pytest.fixture(scope="module")
def recovered(folder):
    return {
        truth: calibrate(folder / "priors.toml", folder / f"history-{truth}.csv",
                         Settings(budget=RECOVERY, workers=1))
        for truth in (0.008, 0.024)
    }  # fmt: skip


def test_calibration_recovers_the_parameters_that_wrote_the_history(recovered):
    medians = {}
    for truth, calibration in recovered.items():
        keys = [p.key for p in calibration.parameters]
        assert keys == [LETHALITY, UNSEEN]
        low, median, high = calibration.posterior_quantiles([0.05, 0.5, 0.95])[0]
        assert low <= truth <= high, (truth, low, high)
        prior = stats.uniform(PRIOR_LOW, PRIOR_HIGH - PRIOR_LOW).ppf([0.05, 0.95])
        assert (high - low) < 0.6 * (prior[1] - prior[0])  # the history narrowed it
        medians[truth] = median
    assert medians[0.008] < medians[0.024]  # and it follows the history


def test_each_period_scores_only_its_own_facts(recovered):
    calibration = recovered[0.024]
    split = str(calibration.split)
    fitted, held = calibration.fit["posterior_fitting"], calibration.fit["posterior_held_out"]
    assert fitted.facts and all(f.last <= split for f in fitted.facts)
    assert held.facts and all(f.last > split for f in held.facts)
    assert fitted.end_date is None and held.end_date == str(_end())  # the map at the end
    assert all(month <= split for month in fitted.brier_by_month)
    assert all(month > split for month in held.brier_by_month)


def test_a_parameter_the_history_cannot_see_keeps_its_prior(recovered):
    for calibration in recovered.values():
        low, _, high = calibration.posterior_quantiles([0.05, 0.5, 0.95])[1]
        assert high - low > 0.6 * 900  # the prior's 90 % interval is 50 to 950


def test_the_fit_improves_on_the_prior_in_the_fitted_period(recovered):
    """(Not necessarily in the held-out one: a history of one run is partly chance, and the
    report says both.)"""
    for calibration in recovered.values():
        fit = calibration.fit
        assert fit["posterior_fitting"].distance < 0.8 * fit["prior_fitting"].distance
        assert fit["posterior_held_out"].distance == fit["posterior_held_out"].distance  # a number
        thresholds = [g.threshold for g in calibration.generations]
        assert thresholds[-1] <= thresholds[0]


def _altered_after(path, split: dt.date, out):
    """The history with every fact dated after the split changed: captures moved a week
    later (kept within the period), and the period-end map given to another side."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines[1:], start=1):
        cells = line.split(",")
        first = dt.date.fromisoformat(cells[4])
        if first <= split:
            continue
        if cells[0] == "control":
            moved = str(min(first + dt.timedelta(days=7), _end()))
            cells[4] = cells[5] = moved
        elif cells[0] == "holds":
            cells[3] = SIDES[(SIDES.index(cells[3]) + 1) % len(SIDES)]
        lines[i] = ",".join(cells)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def test_the_held_out_facts_never_touch_the_fit(folder):
    original = folder / "history-0.024.csv"
    settings = Settings(budget=TINY, workers=1, holdout_after=dt.date(2020, 3, 1))
    altered = _altered_after(original, settings.holdout_after, folder / "altered.csv")
    fitted = fitting_history(load_history(original), settings.holdout_after)
    assert fitted.facts == fitting_history(load_history(altered), settings.holdout_after).facts
    assert all(f.last <= settings.holdout_after for f in fitted.facts)
    a = pd.DataFrame(calibrate(folder / "priors.toml", original, settings).sets)
    b = pd.DataFrame(calibrate(folder / "priors.toml", altered, settings).sets)
    columns = ["generation", "set", "accepted", "weight", "distance", LETHALITY]
    pd.testing.assert_frame_equal(a[columns], b[columns])  # same fit, same posterior
    assert not np.allclose(a["holdout_distance"], b["holdout_distance"])  # the hold-out moved


def test_same_result_serially_and_in_parallel(folder):
    history = folder / "history-0.008.csv"
    serial = calibrate(folder / "priors.toml", history, Settings(budget=TINY, workers=1))
    parallel = calibrate(folder / "priors.toml", history, Settings(budget=TINY, workers=2))
    pd.testing.assert_frame_equal(pd.DataFrame(serial.sets), pd.DataFrame(parallel.sets))
    assert np.array_equal(serial.weights, parallel.weights)


def test_split_by_date_or_by_the_share_of_dated_facts(folder):
    history = load_history(folder / "history-0.008.csv")
    ends = sorted(f.last for f in history.of_kind("control", "route_cut"))
    split = split_date(history, START, Settings(holdout_fraction=0.3))
    held = [e for e in ends if e > split]
    ties = max(collections.Counter(ends).values())  # facts of one day fall on one side
    assert abs(len(held) - 0.3 * len(ends)) <= ties
    assert split_date(history, START, Settings(holdout_after=dt.date(2020, 2, 2))) == dt.date(
        2020, 2, 2
    )


def test_never_facts_are_cut_at_the_split(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(
        "kind,place,from,to,date_first,date_last,note,source\n"
        "never,Capital,,red,2020-01-01,2020-04-01,,\n"
        "control,Hilltop,red,blue,2020-03-01,2020-03-10,,\n",
        encoding="utf-8",
    )
    fitted = fitting_history(load_history(path), dt.date(2020, 3, 5))
    assert [(f.kind, f.first, f.last) for f in fitted.facts] == [
        ("never", dt.date(2020, 1, 1), dt.date(2020, 3, 5))
    ]  # the capture's window ends after the split: held out


def test_a_split_that_leaves_nothing_to_fit_is_refused(folder):
    settings = Settings(budget=TINY, workers=1, holdout_after=START)
    with pytest.raises(InputError) as error:
        calibrate(folder / "priors.toml", folder / "history-0.008.csv", settings)
    assert "--holdout-after" in str(error.value.problems[0])
    assert "nothing to fit before it" in str(error.value.problems[0])


def test_a_scenario_without_distributions_is_refused(folder, tmp_path):
    plain = tmp_path / "plain.toml"
    plain.write_text(f'extends = "{ROAD}"\n[run]\nstart_date = {START}\n', encoding="utf-8")
    with pytest.raises(InputError) as error:
        calibrate(plain, folder / "history-0.008.csv", Settings(budget=TINY, workers=1))
    assert "no distribution to calibrate" in str(error.value.problems[0])


def test_the_calibration_folder(folder, recovered, tmp_path):
    calibration = recovered[0.024]
    paths = write_calibration(calibration, tmp_path / "out")
    accepted = pd.read_parquet(paths["accepted.parquet"])
    assert len(accepted) == RECOVERY.accepted
    assert accepted["weight"].sum() == pytest.approx(1.0)
    sets = pd.read_parquet(paths["sets.parquet"])
    assert len(sets) == RECOVERY.generations * RECOVERY.proposals
    summary = json.loads(paths["calibration.json"].read_text())
    assert summary["split"] == str(calibration.split)
    assert [p["parent_value"] for p in summary["parameters"]] == [0.012, None]  # the road's own
    verdicts = [r["constrained"] for r in summary["posterior"]]
    assert verdicts == ["constrained", "not constrained"]
    variant = load_scenario(paths["calibrated.toml"], allow_outside=True)  # extends tmp files
    lethality = variant.spec.factions["red"].lethality
    assert isinstance(lethality, Distribution) and lethality.kind == "choice"
    assert sorted(lethality.values) == pytest.approx(sorted(accepted[LETHALITY]), rel=1e-5)
    report = paths["report.md"].read_text()
    assert "held out" in report and "What the history did not constrain: `" + UNSEEN in report
    assert paths["posterior.png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InputError):  # a second calibration into the same folder
        write_calibration(calibration, tmp_path / "out")


def test_calibrate_command(folder, tmp_path, capsys):
    out = tmp_path / "cli"
    code = main([
        "calibrate", str(folder / "priors.toml"), str(folder / "history-0.008.csv"),
        "--out", str(out), "--generations", "1", "--proposals", "4", "--accepted", "2",
        "--runs-per-set", "1", "--workers", "1", "--parameter", "factions.*.lethality",
        "--holdout-after", "2020-03-20",
    ])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "held out: distance" in printed and LETHALITY in printed
    summary = json.loads((out / "calibration.json").read_text())
    assert [p["key"] for p in summary["parameters"]] == [LETHALITY]
    assert summary["uncalibrated"] == [UNSEEN]
    assert tomllib.loads((out / "calibrated.toml").read_text())["extends"].endswith("priors.toml")
    assert main(["calibrate", str(folder / "priors.toml"), str(folder / "history-0.008.csv"),
                 "--out", str(out)]) == 1  # fmt: skip
    assert "is not empty" in capsys.readouterr().err


def test_prior_densities_and_quantiles():
    uniform = Parameter("k", Distribution("uniform", low=2.0, high=6.0))
    assert uniform.density(3.0) == pytest.approx(0.25) and uniform.density(7.0) == 0
    assert uniform.quantiles([0.5])[0] == pytest.approx(4.0)
    triangle = Parameter("k", Distribution("triangular", low=0.0, mode=1.0, high=2.0))
    assert triangle.density(1.0) == pytest.approx(1.0)
    whole = Parameter("k", Distribution("uniform", low=1.0, high=3.0, whole=True))
    assert whole.value(2.4) == 2 and isinstance(whole.value(2.6), int)
    choice = Parameter("k", Distribution("choice", low=1, high=3, values=(1.0, 3.0),
                                         weights=(0.25, 0.75)))  # fmt: skip
    assert choice.density(3.0) == 0.75 and choice.density(2.0) == 0
    for parameter in (uniform, triangle, choice):
        x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 7.0])
        assert list(parameter.densities(x)) == [parameter.density(v) for v in x]
    assert list(weighted_quantiles(np.array([1.0, 2.0, 3.0]), np.array([0.2, 0.2, 0.6]),
                                   [0.1, 0.3, 0.5])) == [1.0, 2.0, 3.0]  # fmt: skip


KERNEL_PARAMETERS = [
    Parameter("u", Distribution("uniform", low=0.0, high=1.0)),
    Parameter("t", Distribution("triangular", low=2.0, mode=3.0, high=6.0)),
    Parameter("c", Distribution("choice", low=1, high=3, values=(1.0, 3.0), weights=(0.5, 0.5))),
    Parameter("n", Distribution("normal", mean=5.0, sd=2.0, low=0.0, high=math.inf)),
]


def test_every_kernel_move_stays_in_the_priors_range():
    """Starts at the very edges, steps wider than the ranges: no move leaves them (a move
    outside would have to be drawn again, or worse, replaced by a draw from the prior)."""
    kernel = Kernel(KERNEL_PARAMETERS, scales=np.array([2.0, 5.0, 4.0]))
    rng = np.random.default_rng(5)
    for start in ([0.0, 2.0, 1.0, 0.0], [1.0, 6.0, 3.0, 1e-9], [0.5, 4.0, 3.0, 15.0]):
        moves = np.array([kernel.move(np.array(start), rng) for _ in range(2000)])
        assert (moves[:, 0] >= 0).all() and (moves[:, 0] <= 1).all()
        assert (moves[:, 1] >= 2).all() and (moves[:, 1] <= 6).all()
        assert set(moves[:, 2]) <= {1.0, 3.0}
        assert (moves[:, 3] >= 0).all()
        assert all(math.prod(p.density(v) for p, v in zip(KERNEL_PARAMETERS, m, strict=True)) > 0
                   for m in moves[:100])  # fmt: skip


def test_the_kernel_density_is_the_density_of_its_moves():
    """The density that weights the sets is that of the moves drawn: it integrates to 1
    over the prior's range, and the moves pass a KS test against its distribution function
    (start near an edge, where the truncation matters; a fixed seed)."""
    uniform = KERNEL_PARAMETERS[:1]
    kernel = Kernel(uniform, scales=np.array([0.3]))
    start = np.array([[0.1]])
    grid = np.linspace(0.0, 1.0, 20_001)
    density = np.exp(kernel.log_density(grid[:, None], start)[:, 0])
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-6)
    cdf = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(grid))])
    rng = np.random.default_rng(11)
    moves = np.array([kernel.move(start[0], rng)[0] for _ in range(4000)])
    assert stats.kstest(moves, lambda x: np.interp(x, grid, cdf)).pvalue > 0.01
    untruncated = stats.norm(0.1, 0.3).cdf  # what a kernel that ignored the range would give
    assert stats.kstest(moves, untruncated).pvalue < 1e-6


def test_same_result_on_a_dask_cluster(folder):
    history = folder / "history-0.008.csv"
    serial = calibrate(folder / "priors.toml", history, Settings(budget=TINY, workers=1))
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        settings = Settings(budget=TINY, scheduler=cluster.scheduler_address)
        on_dask = calibrate(folder / "priors.toml", history, settings)
    pd.testing.assert_frame_equal(pd.DataFrame(serial.sets), pd.DataFrame(on_dask.sets))


def test_keeping_more_sets_than_a_generation_simulates_is_refused(folder):
    settings = Settings(budget=Budget(generations=1, proposals=3, accepted=5), workers=1)
    with pytest.raises(InputError) as error:
        calibrate(folder / "priors.toml", folder / "history-0.008.csv", settings)
    assert error.value.problems[0].where == "--accepted"


def test_workers_are_not_forked_beside_a_progress_bar_thread(folder):
    """Forking a process that runs other threads can deadlock the child."""
    import threading

    calibrate(folder / "priors.toml", folder / "history-0.008.csv",
              Settings(budget=TINY, workers=2), progress=True)  # fmt: skip
    assert "tqdm_monitor" not in [t.name for t in threading.enumerate()]
