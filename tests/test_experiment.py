"""Experiment files: the stored repeat command, and checks that catch at `validate` what
would otherwise fail only during or after a sweep."""

from __future__ import annotations

import datetime as dt
import json
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from sim.experiments.design import is_whole_number
from sim.experiments.experiment import RunTask, check_experiment, load_experiment, metric_names
from sim.experiments.results import ResultStore
from sim.experiments.sweep import sweep
from sim.formats.scenario import load_scenario, parse_overrides
from sim.formats.typed_tables import toml_value
from sim.model.model import FrontlineModel
from sim.outcomes.metrics import evaluate
from tests.conftest import ROOT

VALLEY = ROOT / "scenarios" / "teaching" / "valley.toml"


def write_experiment(directory: Path, extra: str = "", top: str = "") -> Path:
    """A small valley experiment: a baseline and a variant without Blue's air support."""
    path = directory / "experiment.toml"
    path.write_text(
        f"""
replicates = 2
days = 30
{top}

[variants.base]
scenario = "{VALLEY}"
baseline = true

[variants.no_air]
scenario = "{VALLEY}"
set = {{ "factions.blue.air.sorties_per_day" = 0, "events.air_surge.enabled" = false }}

[comparisons.red_holds_more]
metric = "places.red"
variant = "no_air"
expect = "greater"
{extra}
""",
        encoding="utf-8",
    )
    return path


def problems_of(path: Path) -> list[str]:
    experiment, problems = check_experiment(path)
    assert experiment is None
    return [f"{Path(p.file).name}: {p.where}: {p.message}" for p in problems]


# --- the repeat command -------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        {"air.sorties_per_day": 40, "air.targeting": {"red": 0.5}},
        "Mare'",
        'a "quoted" back\\slash, a tab\tand\na newline\x7f',
        "Ḥalab 😀",
        [1, 2.5, "x"],
        True,
        0.1,
        1e-05,
        -3e20,
        dt.date(2015, 9, 30),
    ],
)
def test_a_value_written_as_toml_reads_back_the_same(value):
    assert tomllib.loads(f"x = {toml_value(value)}")["x"] == value


def test_the_command_survives_the_shell_with_any_quotes():
    overrides = (('factions.red.forces."Mare\'"', 500), ("name", 'it\'s "here"'))
    task = RunTask("r/0/0", "r", 0, 0, 7, "/tmp/a b'c.toml", overrides, 30, ())
    words = shlex.split(task.command())
    assert words[:7] == ["frontline", "run", "/tmp/a b'c.toml", "--seed", "7", "--days", "30"]
    assignments = [words[i + 1] for i, word in enumerate(words) if word == "--set"]
    assert parse_overrides(assignments) == {
        "factions": {"red": {"forces": {"Mare'": 500}}},
        "name": 'it\'s "here"',
    }


def test_a_stored_run_with_a_table_override_can_be_repeated_alone(tmp_path):
    experiment = load_experiment(ROOT / "experiments" / "quick.toml")
    sweep(experiment, tmp_path / "quick", replicates=1, workers=1, progress=False)
    runs = ResultStore(tmp_path / "quick").read("runs")
    row = runs[runs["run_id"] == "double_air/0/0"].iloc[0]
    assert "'events.air_surge.set={ \"air.sorties_per_day\" = 40 }'" in row["command"]
    command = row["command"].replace("frontline run", f"{sys.executable} -m sim run", 1)
    output = subprocess.run(command + " --json", shell=True, capture_output=True, text=True)
    assert output.returncode == 0, output.stderr
    alone = json.loads(output.stdout)["metrics"]
    stored = {c.removeprefix("metric."): row[c] for c in runs if c.startswith("metric.")}
    assert stored.keys() == alone.keys()
    for name, value in stored.items():
        assert value == alone[name] or (pd.isna(value) and alone[name] is None), name


# --- design values --------------------------------------------------------------------


def test_a_range_is_checked_at_both_ends(tmp_path):
    path = write_experiment(
        tmp_path,
        '[design.parameters."factions.red.morale"]\nlow = 0.5\nhigh = 1.5\n',
    )
    found = problems_of(path)
    assert found == [
        'experiment.toml: design.parameters."factions.red.morale".high: '
        "must be between 0 and 1, got 1.5 (variant 'base')"
    ]


def test_every_grid_value_is_checked(tmp_path):
    path = write_experiment(
        tmp_path,
        '[design]\nmethod = "grid"\n'
        '[design.parameters."factions.red.morale"]\nvalues = [0.5, -0.2, 0.9]\n',
    )
    assert problems_of(path) == [
        'experiment.toml: design.parameters."factions.red.morale".values[1]: '
        "must be between 0 and 1, got -0.2 (variant 'base')"
    ]


def test_an_unknown_parameter_is_reported_at_each_end(tmp_path):
    path = write_experiment(
        tmp_path, '[design.parameters."factions.red.moral"]\nlow = 0.5\nhigh = 0.6\n'
    )
    assert problems_of(path) == [
        f'experiment.toml: design.parameters."factions.red.moral".{end}: '
        "unknown key (did you mean 'morale'?) (variant 'base')"
        for end in ("low", "high")
    ]


def test_a_problem_a_value_causes_elsewhere_names_that_key(tmp_path):
    path = write_experiment(
        tmp_path,
        '[design]\nmethod = "grid"\n[design.parameters."map.grid.width"]\nvalues = [8, 7]\n',
    )
    first = problems_of(path)[0]
    assert first.startswith('experiment.toml: design.parameters."map.grid.width".values[1]: ')
    assert first.endswith(
        "valley.toml: map.grid.cells.Oasis: cell (7, 2) lies outside the 7x6 grid (variant 'base')"
    )


def test_whole_number_keys_are_recognised():
    assert is_whole_number("factions.red.doctrine.max_offensives")
    assert is_whole_number('events.surge.set."doctrine.max_offensives"')
    assert is_whole_number("run.days")
    assert not is_whole_number("factions.red.morale")
    assert not is_whole_number("factions.red.doctrine.no_such_key")
    assert not is_whole_number("not a key")


@pytest.mark.parametrize(
    "design",
    [
        'method = "lhs"\npoints = 6\n[design.parameters."factions.red.doctrine.max_offensives"]\n'
        "low = 1\nhigh = 3\n",
        'method = "grid"\n[design.parameters."factions.red.doctrine.max_offensives"]\n'
        "values = [1, 2, 3]\n",
    ],
)
def test_a_whole_number_key_can_be_designed(tmp_path, design):
    experiment = load_experiment(write_experiment(tmp_path, f"[design]\n{design}"))
    values = [p["factions.red.doctrine.max_offensives"] for p in experiment.points]
    assert all(type(v) is int for v in values)
    assert sorted(values) == ([1, 1, 2, 2, 3, 3] if "lhs" in design else [1, 2, 3])


def test_a_fractional_value_of_a_whole_number_key_is_reported(tmp_path):
    path = write_experiment(
        tmp_path,
        '[design]\nmethod = "grid"\n'
        '[design.parameters."factions.red.doctrine.max_offensives"]\nvalues = [1, 2.5]\n',
    )
    assert problems_of(path) == [
        'experiment.toml: design.parameters."factions.red.doctrine.max_offensives".values[1]: '
        "must be a whole number, got a number 2.5 (variant 'base')"
    ]


# --- metric names ---------------------------------------------------------------------


def test_the_accepted_metrics_are_those_a_run_produces():
    scenario = load_scenario(VALLEY)
    model = FrontlineModel(scenario, seed=1, days=90)
    model.run_model()
    assert metric_names(scenario, 90) == set(evaluate(model))


def test_air_forces_and_ground_factions_have_only_their_own_metrics():
    names = metric_names(load_scenario(ROOT / "scenarios" / "syria" / "h2_surge_900.toml"))
    assert "places.regime" in names and "places.russia" not in names  # russia: air only
    assert "strike_share.russia.isis" in names  # russia flies after an event
    assert "strike_share.regime.isis" not in names  # the regime has no air force here
    assert "strike_share.russia.regime" not in names  # not its enemy


def test_recorded_metrics_must_be_produced(tmp_path):
    path = write_experiment(
        tmp_path, top='metrics = ["places.red", "places.rd", "strike_share.red.blue"]'
    )
    assert problems_of(path) == [
        "experiment.toml: metrics[1]: no variant produces metric 'places.rd' "
        "(did you mean 'places.red'?)",
        "experiment.toml: metrics[2]: no variant produces metric 'strike_share.red.blue' "
        "(did you mean 'strike_share.blue.red'?)",
    ]


def test_a_compared_metric_must_be_recorded(tmp_path):
    path = write_experiment(tmp_path, top='metrics = ["places.blue"]')
    assert problems_of(path) == [
        "experiment.toml: comparisons.red_holds_more.metric: 'places.red' is not recorded: "
        "add it to `metrics`"
    ]


def test_a_compared_metric_must_be_produced_by_both_variants(tmp_path):
    path = write_experiment(tmp_path)
    text = path.read_text().replace('metric = "places.red"', 'metric = "strike_share.blue.red"')
    path.write_text(text)
    assert problems_of(path) == [
        "experiment.toml: comparisons.red_holds_more.metric: variant 'no_air' has no metric "
        "'strike_share.blue.red'"
    ]


# --- verdict settings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("top", "extra", "message"),
    [
        ("", 'test = "signed-rank"', "comparisons.red_holds_more.test: 'signed-rank' does not "
         "suit pairing = 'independent': use 'mann-whitney' or 'permutation'"),
        ('pairing = "common_seeds"', 'test = "mann-whitney"', "comparisons.red_holds_more.test: "
         "'mann-whitney' does not suit pairing = 'common_seeds': use 'signed-rank' or "
         "'permutation'"),
        ("", "sesoi = 0.0", "comparisons.red_holds_more.sesoi: must be above 0, got 0.0"),
        ("", 'expect = "equivalent"', "comparisons.red_holds_more.sesoi: a claim of little or "
         "no effect (`equivalent`) needs one"),
        ('binary = ["places.blue"]', "", "binary[0]: 'places.blue' is in no comparison (did "
         "you mean 'places.red'?)"),
        ("[precision]", "", "precision: no comparison declares a `sesoi` for the intervals to "
         "reach"),
        ('multiplicity = "bonferroni"', "", "multiplicity: must be one of 'holm', 'bh', 'none', "
         "got 'bonferroni'; expected one of: bh, holm, none"),
    ],
)  # fmt: skip
def test_verdict_settings_are_checked(tmp_path, top, extra, message):
    if extra.startswith("expect"):  # replaces the comparison's own
        path = write_experiment(tmp_path, "", top)
        path.write_text(path.read_text().replace('expect = "greater"', extra))
    elif top == "[precision]":  # a table: after the comparisons
        path = write_experiment(tmp_path, "\n[precision]\n")
    else:
        path = write_experiment(tmp_path, extra, top)
    assert any(problem.endswith(message) for problem in problems_of(path)), problems_of(path)


def test_common_seeds_give_replicate_k_the_same_seed_in_every_variant(tmp_path):
    common = load_experiment(write_experiment(tmp_path, top='pairing = "common_seeds"'))
    seeds = {(t.variant, t.replicate): t.seed for t in common.plan()}
    assert seeds[("base", 0)] == seeds[("no_air", 0)] != seeds[("base", 1)]
    assert seeds[("base", 1)] == seeds[("no_air", 1)]
    (tmp_path / "independent").mkdir()
    independent = load_experiment(write_experiment(tmp_path / "independent"))
    other = {(t.variant, t.replicate): t.seed for t in independent.plan()}
    assert other[("base", 0)] == seeds[("base", 0)]  # the first variant keeps its seeds
    assert other[("no_air", 0)] != other[("base", 0)]
