"""Bad input, as a hostile or careless user gives it: every class gets one clear message
naming the file and the key path or line, a non-zero exit status, and nothing written.

The classes are those found by trying the command line on main (issue 12): unreadable
files, `extends` and experiment paths outside the project, chains and nesting that
exhaust the stack, bad `--out`, absurd magnitudes, phantom factions, places and events
from overrides, blank names, grid names that collide, strings left open, huge sweeps,
events after the horizon, overwriting, the kind of a file, the umask, strict JSON.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

import sim.model.model
from sim.cli import main, strict_json
from sim.experiments.experiment import check_experiment
from sim.formats.paths import OutsideRootsError, confine
from sim.formats.scenario import check_scenario, load_scenario, parse_overrides
from tests.conftest import ROOT
from tests.test_cli import TINY

VALLEY = ROOT / "scenarios" / "teaching" / "valley.toml"
QUICK = ROOT / "experiments" / "quick.toml"


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Work in `tmp_path`, so that problems name files as they were given."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def no_model_runs(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a model was started")

    monkeypatch.setattr(sim.model.model.FrontlineModel, "__init__", refuse)


def files_in(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def refused(capsys, folder: Path, args: list[str], *expected: str, status: int = 1) -> str:
    """Run `frontline ARGS`: it exits with `status`, prints each expected text, shows no
    traceback, and leaves `folder` as it was."""
    before = files_in(folder)
    if status == 2:
        with pytest.raises(SystemExit) as exit:
            main(args)
        code = exit.value.code
    else:
        code = main(args)
    captured = capsys.readouterr()
    assert code == status, captured.err
    for text in expected:
        assert text in captured.err
    assert "Traceback" not in captured.err
    assert files_in(folder) == before, "something was written"
    return captured.err


# --- files that cannot be read ----------------------------------------------------------


def test_a_binary_file(here, capsys):
    (here / "binary.toml").write_bytes(b"name = 1\n\x89PNG\r\n\x1a\n\xff\xfe\x00")
    for command in ("run", "validate"):
        refused(capsys, here, [command, "binary.toml"], "binary.toml: line 2: is not a text file")


def test_a_utf16_file(here, capsys):
    (here / "wide.toml").write_text(TINY, encoding="utf-16")
    refused(capsys, here, ["run", "wide.toml"], "wide.toml: file: is encoded as UTF-16")


def test_a_file_with_nul_bytes(here, capsys):
    (here / "nul.toml").write_bytes(b"a = 1\nb = 2\x00\n")
    refused(capsys, here, ["validate", "nul.toml"], "nul.toml: line 2: is not a text file")


def test_a_utf8_byte_order_mark_is_accepted(here, capsys):
    (here / "bom.toml").write_text(TINY, encoding="utf-8-sig")
    assert main(["validate", "bom.toml"]) == 0


def test_a_device_is_not_read_forever(here, capsys, no_model_runs):
    refused(capsys, here, ["run", "/dev/zero"], "/dev/zero: file: cannot be read")


def test_a_folder_given_as_a_file(here, capsys):
    (here / "folder.toml").mkdir()
    refused(capsys, here, ["validate", "folder.toml"], "folder.toml: file: cannot be read")


def test_arrays_nested_thousands_deep(here, capsys):
    (here / "deep.toml").write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    refused(capsys, here, ["validate", "deep.toml"], "deep.toml: file: arrays or tables nested")


def test_tables_nested_deeper_than_any_scenario(here, capsys):
    (here / "deep.toml").write_text("x = " + "{ a = " * 40 + "1" + " }" * 40 + "\n")
    err = refused(capsys, here, ["validate", "deep.toml"], "nested more than 32 levels deep")
    assert "deep.toml: x.a.a." in err


def test_a_set_nested_thousands_deep(here, capsys, no_model_runs):
    deep = "run.days=" + "[" * 3000 + "]" * 3000
    refused(capsys, here, ["run", str(VALLEY), "--set", deep], "--set: run.days=[[[")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('name = "tiny"\ndescription = """never closed\n\n[run]\ndays = 3\n', 2),
        ("name = 'tiny'\n\n[run]\ndays = 3\nnote = 'open\n", 5),
        ("name = 'tiny'\nroads = [\n  1,\n  2,\n", 2),
    ],
)
def test_something_left_open_is_reported_where_it_opened(here, capsys, text, line):
    (here / "open.toml").write_text(text)
    refused(capsys, here, ["validate", "open.toml"], f"open.toml: line {line}: TOML syntax")


# --- paths that leave the project -------------------------------------------------------


def test_extends_outside_the_project_is_refused_naming_file_key_and_path(here, capsys):
    (here / "evil.toml").write_text('extends = "/etc/passwd"\n')
    err = refused(capsys, here, ["validate", "evil.toml"], "evil.toml: extends: /etc/passwd")
    assert "outside the scenario folders" in err and "--allow-outside" in err
    assert "root:" not in err  # nothing of the file is shown


def test_extends_climbing_out_with_dots(here, capsys):
    (here / "sub").mkdir()
    (here / "secret.toml").write_text(TINY)
    (here / "sub" / "child.toml").write_text('extends = "../secret.toml"\n')
    refused(
        capsys,
        here,
        ["validate", "sub/child.toml"],
        f"sub/child.toml: extends: {here / 'secret.toml'} lies outside",
    )
    assert main(["validate", "sub/child.toml", "--allow-outside"]) == 0


def test_a_symlink_out_of_the_folder_is_followed_and_refused(here, capsys, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "base.toml"
    outside.write_text(TINY)
    (here / "base.toml").symlink_to(outside)
    (here / "child.toml").write_text('extends = "base.toml"\n')
    refused(capsys, here, ["validate", "child.toml"], f"child.toml: extends: {outside} lies")


def test_a_project_scenario_may_be_extended_from_anywhere(here, capsys):
    (here / "mine.toml").write_text(f'extends = "{VALLEY}"\n[run]\ndays = 20\n')
    assert main(["validate", "mine.toml"]) == 0


def test_an_experiment_scenario_outside_is_refused(here, capsys, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "valley.toml"
    outside.write_text(VALLEY.read_text())
    (here / "exp.toml").write_text(
        f'[variants.base]\nscenario = "{outside}"\nbaseline = true\n'
        '[variants.other]\nscenario = "../elsewhere0/valley.toml"\n'
    )
    err = refused(
        capsys, here, ["validate", "exp.toml"], f"exp.toml: variants.base.scenario: {outside}"
    )
    assert "exp.toml: variants.other.scenario:" in err
    _, problems = check_experiment(here / "exp.toml", allow_outside=True)
    assert not [p for p in problems if "outside" in p.message]


def test_confine_is_one_small_function(tmp_path):
    root = tmp_path / "project"
    (root / "scenarios").mkdir(parents=True)
    assert confine("a.toml", [root], base=root / "scenarios") == root / "scenarios" / "a.toml"
    with pytest.raises(OutsideRootsError) as outside:
        confine("../../etc/passwd", [root], base=root / "scenarios")
    assert outside.value.resolved == tmp_path / "etc" / "passwd"
    (root / "scenarios" / "link").symlink_to("/etc")
    with pytest.raises(OutsideRootsError):
        confine("link/passwd", [root], base=root / "scenarios")


def test_an_extends_chain_of_1200_files(here, capsys):
    for i in range(1200):
        text = f'extends = "f{i + 1}.toml"\n' if i < 1199 else TINY
        (here / f"f{i}.toml").write_text(text)
    refused(capsys, here, ["validate", "f0.toml"], "extends: a chain of more than 64 files")


# --- outputs ------------------------------------------------------------------------------


def test_out_whose_parent_is_a_file_is_refused_before_running(here, capsys, no_model_runs):
    (here / "file").write_text("x")
    refused(
        capsys,
        here,
        ["run", str(VALLEY), "--out", "file/series.csv"],
        "file/series.csv: --out: cannot be created:",
        "is a file, not a folder",
    )


def test_out_that_is_a_folder(here, capsys, no_model_runs):
    (here / "series.csv").mkdir()
    refused(capsys, here, ["run", str(VALLEY), "--out", "series.csv"], "--out: is a folder")


def test_out_on_a_read_only_disk_is_refused_before_running(here, capsys, no_model_runs):
    mount = here / "ro"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mount)]).returncode:
        pytest.skip("cannot mount a read-only tmpfs here")
    try:
        refused(
            capsys,
            here,
            ["run", str(VALLEY), "--out", "ro/series.csv"],
            "ro/series.csv: --out: cannot be written:",
            "is on a read-only file system",
        )
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_out_is_never_overwritten_without_force(here, capsys, no_model_runs):
    (here / "series.csv").write_text("earlier\n")
    refused(capsys, here, ["run", str(VALLEY), "--out", "series.csv"], "exists: pass --force")


def test_a_sweep_out_that_is_a_file(here, capsys, no_model_runs):
    (here / "results").write_text("x")
    refused(capsys, here, ["sweep", str(QUICK), "--out", "results"], "results: --out: is a file")


def test_output_files_get_the_users_umask(here, capsys):
    previous = os.umask(0o027)
    try:
        assert main(["run", str(VALLEY), "--days", "3", "--out", "series.csv"]) == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE((here / "series.csv").stat().st_mode) == 0o640


def test_json_is_strict_json(capsys):
    assert strict_json({"a": float("inf"), "b": [float("nan"), 1.5]}) == (
        '{\n  "a": null,\n  "b": [\n    null,\n    1.5\n  ]\n}'
    )
    extreme = ["--set", "factions.blue.reserve=10000000"]
    extreme += ["--set", "factions.blue.air.sorties_per_day=10000"]
    assert main(["run", str(VALLEY), "--days", "30", "--json", *extreme]) == 0

    def no_constants(name):
        raise AssertionError(f"{name} is not JSON")

    summary = json.loads(capsys.readouterr().out, parse_constant=no_constants)
    assert summary["final_control"]


# --- values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assignment", "where", "message"),
    [
        ("factions.blue.reserve=1e308", "factions.blue.reserve", "between 0 and 10000000"),
        (
            "factions.blue.air.sorties_per_day=1e308",
            "factions.blue.air.sorties_per_day",
            "and 10000,",
        ),
        ("factions.blue.forces.Ford=1e20", "factions.blue.forces.Ford", "and 10000000"),
        ("map.grid.population=1e300", "map.grid.population", "between 0 and 100000000"),
        ("map.grid.cell_km=1e9", "map.grid.cell_km", "between 0.01 and 1000"),
        ("run.seed=9223372036854775808", "run.seed", "and 9223372036854775807"),
        ("factions.blue.reserve=nan", "factions.blue.reserve", "must be a finite number"),
    ],
)
def test_absurd_magnitudes_are_refused(here, capsys, no_model_runs, assignment, where, message):
    refused(capsys, here, ["run", str(VALLEY), "--set", assignment], f"--set: {where}: ", message)


def test_a_grid_too_large_to_run(here, capsys, no_model_runs):
    big = ["--set", "map.grid.width=1000", "--set", "map.grid.height=1000"]
    refused(capsys, here, ["run", str(VALLEY), *big], "1,000,000 cells: a grid has at most")


def test_a_withdrawal_that_can_never_be_drawn(here, capsys):
    text = TINY + "\n[events.drain]\nday = 3\nfaction = 'blue'\nadd_reserve = -5000\n"
    (here / "drain.toml").write_text(text)
    refused(
        capsys,
        here,
        ["validate", "drain.toml"],
        "drain.toml: events.drain.add_reserve: withdraws 5,000 fighters, but 'blue' can have "
        "at most 1,500 by day 3",
    )
    (here / "drain.toml").write_text(text.replace("-5000", "-1500"))
    assert main(["validate", "drain.toml"]) == 0


def test_an_uncertain_withdrawal_that_can_never_be_drawn(here, capsys):
    drain = (
        "\n[events.drain]\nday = { dist = 'uniform', low = 1, high = 5 }\nfaction = 'blue'\n"
        "add_reserve = { dist = 'uniform', low = -9000, high = -8000 }\n"
    )
    (here / "drain.toml").write_text(TINY + drain)
    refused(
        capsys,
        here,
        ["validate", "drain.toml"],
        "drain.toml: events.drain.add_reserve: withdraws 8,000 fighters, but 'blue' can have "
        "at most 1,500 by day 5",
    )


@pytest.mark.parametrize(
    ("assignment", "where", "what"),
    [
        ("factions.nobody.morale=0.5", "factions.nobody", "unknown faction 'nobody'"),
        (
            "factions.bleu.reserve=5",
            "factions.bleu",
            "unknown faction 'bleu' (did you mean 'blue'?)",
        ),
        ('map.places."New Town".population=5', 'map.places."New Town"', "unknown place"),
        ("map.grid.cells.Hill.population=5", "map.grid.cells.Hill", "unknown grid cell"),
        ("events.surge.day=3", "events.surge", "unknown event 'surge'"),
        ("metrics.mine.kind='holds'", "metrics.mine", "unknown metric"),
    ],
)
def test_an_override_cannot_add_a_faction_place_or_event(
    here, capsys, no_model_runs, assignment, where, what
):
    refused(capsys, here, ["run", str(VALLEY), "--set", assignment], f"--set: {where}: {what}")


def test_a_variant_or_design_parameter_naming_an_unknown_faction(here, capsys):
    (here / "exp.toml").write_text(
        f'[variants.base]\nscenario = "{VALLEY}"\nbaseline = true\n'
        f'[variants.double]\nscenario = "{VALLEY}"\n'
        'set = { "factions.Blue.air.sorties_per_day" = 20 }\n'
        '[design]\nmethod = "grid"\n[design.parameters."factions.redd.morale"]\nvalues = [0.5]\n'
    )
    err = refused(
        capsys,
        here,
        ["validate", "exp.toml"],
        "exp.toml: variants.double.set: factions.Blue: unknown faction 'Blue' (did you mean "
        "'blue'?)",
    )
    assert (
        "exp.toml: design.parameters.\"factions.redd.morale\".values[0]: unknown faction 'redd'"
        in err
    )


def test_the_override_check_is_the_loaders(tmp_path):
    """The dashboard's overrides go through the same function (check_scenario)."""
    _, problems = check_scenario(VALLEY, parse_overrides({"factions.nobody.morale": 0.5}))
    assert [(p.where, p.message.split(" (")[0]) for p in problems] == [
        ("factions.nobody", "unknown faction 'nobody'; expected one of: blue, green, red: an "
         "override changes the scenario's factions, it cannot add one")
    ]  # fmt: skip
    assert load_scenario(VALLEY, parse_overrides({"factions.blue.morale": 0.5}))


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (("[factions.red]", '[factions.""]\nreserve = 1\n\n[factions.red]'), 'factions.""'),
        (("[factions.red]", '[factions."  "]\n\n[factions.red]'), 'factions."  "'),
    ],
)
def test_blank_names_are_refused(here, capsys, edit, where):
    (here / "blank.toml").write_text(TINY.replace(*edit))
    refused(capsys, here, ["validate", "blank.toml"], f"{where}: a name must not be empty")


def test_a_grid_cell_named_like_another_generated_cell(here, capsys):
    cell = "[map.grid.cells.x3y0]\nx = 1\ny = 1\n\n[map.grid.cells."
    text = VALLEY.read_text().replace("[map.grid.cells.", cell, 1)
    (here / "grid.toml").write_text(text)
    refused(
        capsys,
        here,
        ["validate", "grid.toml"],
        "grid.toml: map.grid.cells.x3y0: 'x3y0' is the name the grid gives the unnamed cell (3, 0)",
    )


def test_a_billion_replicates(here, capsys):
    text = QUICK.read_text().replace("replicates = 12", "replicates = 1000000000")
    (here / "exp.toml").write_text(text)
    refused(
        capsys,
        here,
        ["validate", "exp.toml"],
        "exp.toml: replicates: must be between 1 and 1000000",
    )
    refused(
        capsys, here, ["sweep", str(QUICK), "--out", "r", "--replicates", "1000000000"],
        "argument --replicates: must be at most 1000000", status=2,
    )  # fmt: skip


def test_a_sweep_of_too_many_runs(here, capsys):
    text = QUICK.read_text().replace("replicates = 12", "replicates = 500000")
    (here / "exp.toml").write_text(text)
    refused(
        capsys,
        here,
        ["validate", "exp.toml"],
        "make 1,500,000 runs; a sweep holds at most 1,000,000",
    )


def test_events_after_the_horizon_are_warned_about(here, capsys):
    late = "\n[events.late]\nday = 400\nfaction = 'blue'\nadd_reserve = 10\n"
    (here / "late.toml").write_text(TINY + late)
    assert main(["validate", "late.toml"]) == 0
    warning = "warning: late.toml: events.late: happens on day 400, after the run's last day (365)"
    assert warning in capsys.readouterr().err
    assert main(["run", "late.toml", "--days", "30"]) == 0
    assert "after the run's last day (30)" in capsys.readouterr().err
    uncertain = late.replace("day = 400", "day = { dist = 'uniform', low = 400, high = 500 }")
    (here / "late.toml").write_text(TINY + uncertain)
    assert main(["validate", "late.toml"]) == 0
    assert "events.late: happens on day 400 or later, after" in capsys.readouterr().err


# --- the kind of a file -----------------------------------------------------------------


def test_run_given_an_experiment_says_so(here, capsys, no_model_runs):
    refused(
        capsys, here, ["run", str(QUICK)],
        f"{QUICK}: file: is an experiment file, not a scenario file: run it with "
        f"`frontline sweep {QUICK} --out DIR`",
    )  # fmt: skip


def test_sweep_given_a_scenario_says_so(here, capsys, no_model_runs):
    refused(
        capsys, here, ["sweep", str(VALLEY), "--out", "r"],
        f"is a scenario file, not an experiment file: run it with `frontline run {VALLEY}`",
    )  # fmt: skip


def test_run_given_a_history_file_says_so(here, capsys, no_model_runs):
    (here / "history.csv").write_text("date,place,faction\n")
    refused(
        capsys, here, ["run", "history.csv"],
        "history.csv: file: is a history file, not a scenario file: run it with "
        "`frontline score SCENARIO history.csv`",
    )  # fmt: skip
