"""The `frontline` command: `validate` and `run`, their exit status, output and files.

The CLI runs in-process through `sim.cli.main` (fast: numba kernels are cached after the
first run); one test starts `python -m sim` in a subprocess to check the module entry point.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim.model.model
from sim.cli import main

VALLEY = Path(__file__).resolve().parents[1] / "scenarios" / "teaching" / "valley.toml"
SYRIA = VALLEY.parents[1] / "syria"
FACTIONS = {"blue", "red", "green"}
TIMESERIES_COLUMNS = [
    "day",
    "faction",
    "places_held",
    "population_held",
    "manpower",
    "morale",
    "strikes_received",
    "losses",
]

TINY = """\
[map.places]
Alpha = { x = 0, y = 0, controller = "blue" }
Bravo = { x = 10, y = 0, controller = "red" }

[[map.roads]]
from = "Alpha"
to = "Bravo"
km = 10

[factions.blue]
reserve = 1000
relations = { red = "enemy" }
forces = { Alpha = 500 }

[factions.red]
reserve = 800
forces = { Bravo = 400 }
"""


# --- helpers ---------------------------------------------------------------------------


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Work in `tmp_path`, so problems name files as they were given (relative)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def no_model_runs(monkeypatch):
    """Fail the test if a model is ever built."""

    def refuse(*args, **kwargs):
        raise AssertionError("a model was started")

    monkeypatch.setattr(sim.model.model.FrontlineModel, "__init__", refuse)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def bad_scenario(directory: Path, name: str = "bad.toml") -> Path:
    """A scenario with two problems: negative reserve and a force at an unknown place."""
    text = TINY.replace("reserve = 1000", "reserve = -5")
    text = text.replace("forces = { Bravo = 400 }", "forces = { Bravo = 400, Bravoo = 1 }")
    return write(directory, name, text)


def run_json(capsys, *args: str) -> dict:
    """Run `frontline run VALLEY --json ARGS` and return the parsed summary."""
    assert main(["run", str(VALLEY), "--json", *args]) == 0
    out = capsys.readouterr().out
    return json.loads(out)


# --- validate --------------------------------------------------------------------------


def test_validate_good_file(capsys):
    assert main(["validate", str(VALLEY)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{VALLEY}: ok\n"
    assert captured.err == ""


def test_validate_bad_file_lists_every_problem_on_stderr(in_tmp, capsys):
    bad_scenario(in_tmp)
    assert main(["validate", "bad.toml"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0] == "bad.toml: 2 problems"
    assert "  bad.toml: factions.blue.reserve: must be between 0 and 10000000, got -5" in lines
    assert (
        "  bad.toml: factions.red.forces.Bravoo: unknown place 'Bravoo' (did you mean 'Bravo'?)"
        in lines
    )


def test_validate_syntax_error_names_the_line(in_tmp, capsys):
    write(in_tmp, "broken.toml", "[run]\ndays = 10\nseed = \n")
    assert main(["validate", "broken.toml"]) == 1
    err = capsys.readouterr().err
    assert "broken.toml: line 3: TOML syntax error" in err


def test_validate_missing_file(in_tmp, capsys):
    assert main(["validate", "nowhere.toml"]) == 1
    assert "nowhere.toml: file: cannot be read" in capsys.readouterr().err


def test_validate_several_files_reports_each(in_tmp, capsys):
    good = write(in_tmp, "good.toml", TINY)
    bad_scenario(in_tmp, "bad1.toml")
    write(in_tmp, "bad2.toml", TINY.replace("[factions.red]", "[factions.red]\nmorale = 2"))
    assert main(["validate", "bad1.toml", good.name, "bad2.toml"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["good.toml: ok", "1 of 3 files valid"]
    assert "bad1.toml: 2 problems" in captured.err
    assert "bad1.toml: factions.blue.reserve" in captured.err
    assert "bad2.toml: 1 problem\n" in captured.err
    assert "bad2.toml: factions.red.morale: must be between 0 and 1, got 2" in captured.err


def test_validate_several_good_files(in_tmp, capsys):
    write(in_tmp, "a.toml", TINY)
    write(in_tmp, "b.toml", TINY)
    assert main(["validate", "a.toml", "b.toml"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "a.toml: ok",
        "b.toml: ok",
        "2 of 2 files valid",
    ]


def test_validate_blames_the_base_but_heads_with_the_file_given(in_tmp, capsys):
    write(in_tmp, "base.toml", TINY.replace("reserve = 800", "reserve = -800"))
    write(in_tmp, "child.toml", 'extends = "base.toml"\n\n[factions.blue]\nmorale = 7\n')
    assert main(["validate", "child.toml"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "child.toml: 2 problems"
    assert "  base.toml: factions.red.reserve: must be between 0 and 10000000, got -800" in lines
    assert "  child.toml: factions.blue.morale: must be between 0 and 1, got 7" in lines


# --- run on bad input ------------------------------------------------------------------


def test_run_bad_file_exits_1_and_writes_nothing(in_tmp, capsys, no_model_runs):
    bad_scenario(in_tmp)
    assert main(["run", "bad.toml", "--out", "result.csv"]) == 1
    captured = capsys.readouterr()
    assert "bad.toml: factions.blue.reserve: must be between 0 and 10000000" in captured.err
    assert "factions.red.forces.Bravoo" in captured.err
    assert captured.out == ""
    assert sorted(p.name for p in in_tmp.iterdir()) == ["bad.toml"]


@pytest.mark.parametrize("out", ["result.csv", "result.parquet"])
def test_run_bad_file_leaves_an_existing_result_alone(in_tmp, capsys, no_model_runs, out):
    sentinel = write(in_tmp, out, "earlier result\n")
    before = sentinel.stat().st_mtime_ns
    bad_scenario(in_tmp)
    assert main(["run", "bad.toml", "--out", out]) == 1
    assert sentinel.read_text() == "earlier result\n"
    assert sentinel.stat().st_mtime_ns == before
    assert sorted(p.name for p in in_tmp.iterdir()) == sorted(["bad.toml", out])


def test_run_with_bad_set_exits_1(in_tmp, capsys, no_model_runs):
    sentinel = write(in_tmp, "result.csv", "earlier result\n")
    bad_set = ["--set", "factions.blue.label=Blue"]
    assert main(["run", str(VALLEY), *bad_set, "--out", "result.csv", "--force"]) == 1
    err = capsys.readouterr().err
    assert "--set: factions.blue.label=Blue: expected `key.path = value`" in err
    assert sentinel.read_text() == "earlier result\n"


def test_run_with_set_of_unknown_key_suggests_the_closest(capsys, no_model_runs):
    assert main(["run", str(VALLEY), "--set", "factions.blue.reserv=100"]) == 1
    err = capsys.readouterr().err
    assert "--set: factions.blue.reserv: unknown key (did you mean 'reserve'?)" in err


def test_run_with_set_out_of_range(capsys, no_model_runs):
    assert main(["run", str(VALLEY), "--set", "factions.red.morale=1.5"]) == 1
    err = capsys.readouterr().err
    assert "--set: factions.red.morale: must be between 0 and 1, got 1.5" in err


@pytest.mark.parametrize("out", ["x.txt", "x.json", "x"])
def test_run_refuses_an_unknown_output_format_before_running(in_tmp, capsys, no_model_runs, out):
    assert main(["run", str(VALLEY), "--out", out]) == 1
    err = capsys.readouterr().err
    assert f"{out}: --out: use a .parquet or .csv file name" in err
    assert list(in_tmp.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "must be at least 1, got 0"),
        (["--days", "-3"], "must not be negative, got -3"),
        (["--seed", "-1"], "must not be negative, got -1"),
        (["--seed", "one"], "must be a whole number, got 'one'"),
        (["--seeds", "5-2"], "a range goes up: '5-2'"),
        (["--seeds", "1,x"], "must be a whole number, got 'x'"),
        (["--seeds", "1-3", "--seed", "2"], "not allowed with argument"),
    ],
)
def test_run_refuses_bad_days_and_seed(capsys, no_model_runs, args, message):
    with pytest.raises(SystemExit) as raised:
        main(["run", str(VALLEY), *args])
    assert raised.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_command_is_misuse(capsys):
    with pytest.raises(SystemExit) as raised:
        main([])
    assert raised.value.code == 2
    assert "usage: frontline" in capsys.readouterr().err


# --- run on good input -----------------------------------------------------------------


def test_run_json_summary(capsys):
    result = run_json(capsys, "--days", "60")
    assert result["scenario"] == "valley"
    assert result["days"] == 60
    assert result["seed"] == 1  # the file's seed
    control = result["final_control"]
    assert len(control) == 8 * 6
    assert {"Capital", "Market", "Oasis", "x1y0"} <= set(control)
    assert set(control.values()) <= FACTIONS
    assert result["captures"], "the valley should see fighting within 60 days"
    last_owner = {}
    for capture in result["captures"]:
        assert {"day", "place", "from", "to"} <= set(capture)
        assert 1 <= capture["day"] <= 60
        assert capture["place"] in control
        assert capture["to"] in FACTIONS and capture["to"] != capture["from"]
        last_owner[capture["place"]] = capture["to"]
    for place, owner in last_owner.items():
        assert control[place] == owner
    days = [c["day"] for c in result["captures"]]
    assert days == sorted(days)


def test_run_text_summary(capsys):
    assert main(["run", str(VALLEY), "--days", "30", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Scenario valley, seed 4: 30 days")
    assert "Final control" in out and "Captures (" in out and "Manpower" in out


def test_run_text_summary_manpower_table_adds_up(capsys):
    """Each row: start + recruited + by events - combat - strikes - in flight - deserted =
    end (to the rounding of the printed whole numbers)."""
    assert main(["run", str(SYRIA / "palmyra_2016.toml"), "--days", "30", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    table = out.split("Manpower", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    assert len(table) >= 8
    for row in table:
        start, recruited, events, combat, strikes, flight, deserted, end = (
            float(cell.replace(",", "")) for cell in row.split()[1:]
        )
        lost = combat + strikes + flight + deserted
        assert start + recruited + events - lost == pytest.approx(end, abs=5)


def test_run_set_overrides_the_file(capsys):
    result = run_json(capsys, "--set", "run.days=7", "--set", "run.seed=5")
    assert (result["days"], result["seed"]) == (7, 5)
    result = run_json(capsys, "--set", "run.days=7", "--days", "9")
    assert result["days"] == 9


def test_same_seed_gives_identical_output(capsys):
    first = run_json(capsys, "--days", "60", "--seed", "3")
    second = run_json(capsys, "--days", "60", "--seed", "3")
    assert first == second


def test_different_seeds_give_different_outcomes(capsys):
    one = run_json(capsys, "--seed", "1")
    two = run_json(capsys, "--seed", "2")
    assert (one["seed"], two["seed"]) == (1, 2)
    order = [(c["place"], c["to"]) for c in one["captures"]]
    assert order != [(c["place"], c["to"]) for c in two["captures"]]  # another war, not other days


def test_days_beyond_the_schema_limit_are_refused_before_running(capsys, no_model_runs):
    with pytest.raises(SystemExit) as exit:
        main(["run", str(VALLEY), "--days", "200000"])
    assert exit.value.code == 2
    assert "argument --days: must be at most 100000, got 200000" in capsys.readouterr().err


def check_timeseries(frame: pd.DataFrame, days: int) -> None:
    assert list(frame.columns) == TIMESERIES_COLUMNS
    assert len(frame) == (days + 1) * len(FACTIONS)
    assert set(frame["faction"]) == FACTIONS
    assert frame["day"].min() == 0 and frame["day"].max() == days
    assert (frame["manpower"] >= 0).all()
    assert frame.groupby("day")["places_held"].sum().eq(48).all()


def test_run_writes_csv_and_parquet(in_tmp, capsys):
    assert main(["run", str(VALLEY), "--days", "20", "--out", "out/series.csv"]) == 0
    assert main(["run", str(VALLEY), "--days", "20", "--out", "series.parquet"]) == 0
    csv = pd.read_csv(in_tmp / "out" / "series.csv")
    parquet = pd.read_parquet(in_tmp / "series.parquet")
    check_timeseries(csv, 20)
    check_timeseries(parquet, 20)
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False)
    leftovers = [p.name for p in in_tmp.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_run_replaces_an_earlier_result_only_with_force(in_tmp, capsys, monkeypatch):
    write(in_tmp, "series.csv", "earlier result\n")
    assert main(["run", str(VALLEY), "--days", "5", "--out", "series.csv"]) == 1
    assert "series.csv: --out: exists: pass --force to replace it" in capsys.readouterr().err
    assert (in_tmp / "series.csv").read_text() == "earlier result\n"
    assert main(["run", str(VALLEY), "--days", "5", "--out", "series.csv", "--force"]) == 0
    check_timeseries(pd.read_csv(in_tmp / "series.csv"), 5)


def test_run_csv_has_dates_when_the_scenario_has_a_start_date(in_tmp, capsys):
    args = ["--days", "3", "--set", "run.start_date=2015-10-01", "--out", "dated.csv"]
    assert main(["run", str(VALLEY), *args]) == 0
    frame = pd.read_csv(in_tmp / "dated.csv")
    assert list(frame.columns[:3]) == ["day", "date", "faction"]
    assert frame["date"].iloc[0] == "2015-10-01"
    assert frame["date"].iloc[-1] == "2015-10-04"


def test_run_seeds_prints_one_line_a_run_each_as_json_of_that_seed(capsys):
    """Line k of `--seeds` is the `--json --seed k` summary (in one process)."""
    assert main(["run", str(VALLEY), "--days", "40", "--seeds", "3-5,9"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    for seed, line in zip([3, 4, 5, 9], lines, strict=True):
        assert json.loads(line) == run_json(capsys, "--days", "40", "--seed", str(seed))
    assert len({json.dumps(json.loads(line)["metrics"]) for line in lines}) > 1


def test_run_seeds_refuses_an_out_file(in_tmp, capsys, no_model_runs):
    assert main(["run", str(VALLEY), "--seeds", "1-2", "--out", "a.csv"]) == 1
    assert "--out: one run at a time: not with --seeds" in capsys.readouterr().err
    assert not (in_tmp / "a.csv").exists()


# --- the module entry point ------------------------------------------------------------


def test_python_dash_m_sim(in_tmp):
    bad_scenario(in_tmp)
    done = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(VALLEY), "bad.toml"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert f"{VALLEY}: ok" in done.stdout
    assert "1 of 2 files valid" in done.stdout
    assert "bad.toml: factions.blue.reserve: must be between 0 and 10000000, got -5" in done.stderr


def test_python_dash_m_sim_run_prints_everything_before_it_exits(in_tmp):
    """`run` ends its process without the interpreter's teardown: its output is whole."""
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(VALLEY), "--days", "30", "--seeds", "1-3"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["seed"] for line in done.stdout.splitlines()] == [1, 2, 3]
