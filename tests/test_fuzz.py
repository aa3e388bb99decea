"""Fuzzing the input files: the shipped scenario and experiment files, mutated at random
(keys deleted, misspelt or added; values of other types, absurd or non-finite; names of
places and factions swapped; `extends` and `scenario` paths pointed elsewhere; the text
cut, spliced or re-encoded; `--set` overrides), are given to the command line. Each
command must end with status 0, 1 or 2, and on 1 with a message naming a file (or
`--set`) and the key or line: never a traceback, a hang or a partial output file.

Bounded: FUZZ_EXAMPLES examples (150, under a minute; `FRONTLINE_FUZZ_EXAMPLES=5000` fuzzes
longer), each command stopped after EXAMPLE_SECONDS.
The seed is printed in the header of the test run (`fuzz seed: N`) and in a failure;
`FRONTLINE_FUZZ_SEED=N python -m pytest tests/test_fuzz.py` replays it, and
`FRONTLINE_FUZZ_SHRINK=1` lets Hypothesis shrink the failing file to a minimal one.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import itertools
import os
import re
import shutil
import signal
import tomllib
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, event, given, seed, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.experiments.experiment import check_experiment
from sim.formats.typed_tables import toml_value
from tests.conftest import FUZZ_SEED, ROOT

FUZZ_EXAMPLES = int(os.environ.get("FRONTLINE_FUZZ_EXAMPLES", 150))
EXAMPLE_SECONDS = 60  # a command taking longer is a hang
RUN_DAYS = 20  # runs are short: the fuzz is about input, not dynamics
SWEEP_RUNS = 6  # a mutated experiment is swept when its plan is this small

SCENARIOS = sorted((ROOT / "scenarios").rglob("*.toml"))
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.toml"))
ELSEWHERE = [
    "/etc/passwd",
    "/dev/zero",
    "../../../../etc/hosts",
    "nonexistent.toml",
    "",
    ".",
    "../experiments/quick.toml",
    "../scenarios/teaching/valley.toml",
    "../syria/base_2015.toml",
    "map.toml",
]
DISTRIBUTIONS = [  # uncertain numbers (sim.formats.uncertainty), sound and not
    {"dist": "uniform", "low": 0, "high": 1e9},
    {"dist": "normal", "mean": 0.5, "sd": 0.1},
    {"dist": "choice", "values": [1, 2], "weights": [0.5]},
    {"dist": "triangular", "low": 1, "mode": 0, "high": 2},
    {"dist": "gamma"},
]
ODD_NUMBERS = [0, -1, 1, 0.5, -0.0, 1e308, -1e308, 5e-324, 2**63, 10**7 + 1, 100_001]
SPLICES = ['"', "'''", "[", "{", "\n[x", "=", "\0", "\\"]  # syntax that breaks a file
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
ODD_TEXT = ["", " ", "x3y0", "nobody", "<b onerror=alert(1)>", "\u202e", "a.b", '"', "é"]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project's scenario and experiment files, to mutate beside them."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "scenarios", root / "scenarios")
    shutil.copytree(ROOT / "experiments", root / "experiments")
    return root


# --- what a mutation is -------------------------------------------------------------------


def names_in(table: Any) -> list[str]:
    """Names a file uses (places, factions, regions...): swapped in as references."""
    found: set[str] = set()
    stack = [table]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            found |= {k for k in value if isinstance(k, str)}
            stack += list(value.values())
        elif isinstance(value, list):
            stack += value
        elif isinstance(value, str) and len(value) < 40:
            found.add(value)
    return sorted(found)


def paths_in(table: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path of the table (list items by index)."""
    paths = []
    items = table.items() if isinstance(table, dict) else enumerate(table)
    for key, value in items:
        paths.append((*prefix, key))
        if isinstance(value, dict | list):
            paths += paths_in(value, (*prefix, key))
    return paths


def scalars(names: list[str]) -> st.SearchStrategy:
    return st.one_of(
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(ODD_NUMBERS),
        st.text(max_size=12),
        st.sampled_from(ODD_TEXT + ELSEWHERE),
        st.sampled_from(names or ["x"]),
        st.booleans(),
        st.dates(min_value=dt.date(1, 1, 1)),
    )


def values(names: list[str]) -> st.SearchStrategy:
    leaf = scalars(names)
    keys = st.one_of(st.text(max_size=8), st.sampled_from(names or ["x"]))
    distribution = st.sampled_from(DISTRIBUTIONS).map(copy.deepcopy)  # later mutations
    tables = st.one_of(st.dictionaries(keys, leaf, max_size=3), distribution)  # edit a copy
    return st.one_of(leaf, st.lists(leaf, max_size=3), tables)


@st.composite
def mutated_table(draw, table: dict) -> dict:
    """The table after one to three mutations at random key paths."""
    names = names_in(table)
    for _ in range(draw(st.integers(1, 3))):
        paths = paths_in(table)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = table
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        action = draw(st.sampled_from(["delete", "rename", "replace", "add", "reference"]))
        if action == "delete":
            del parent[key]
        elif action == "rename" and isinstance(parent, dict):
            typos = st.sampled_from([key[:-1], key + "s", key.upper(), ""])
            parent[draw(st.one_of(typos, st.text(max_size=8)))] = parent.pop(key)
        elif action == "add" and isinstance(parent[key], dict):
            new = draw(st.one_of(st.text(max_size=8), st.sampled_from(names)))
            parent[key][new] = draw(values(names))
        elif action == "reference" and isinstance(parent[key], str):
            parent[key] = draw(st.sampled_from(names + ELSEWHERE))
        else:
            parent[key] = draw(values(names))
    return table


def to_toml(table: dict) -> str:
    """A table as a TOML document (every sub-table inline)."""
    return "".join(f"{toml_value(key)} = {toml_value(value)}\n" for key, value in table.items())


@st.composite
def mutated_text(draw, text: str) -> bytes:
    """The file's text, perhaps cut, spliced or re-encoded (syntax and encoding errors)."""
    action = draw(st.sampled_from(["none", "none", "cut", "splice", "line", "utf16", "bytes"]))
    at = draw(st.integers(0, len(text)))
    if action == "cut":
        text = text[:at]
    elif action == "splice":
        text = text[:at] + draw(st.sampled_from(SPLICES)) + text[at:]
    elif action == "line":
        lines = text.splitlines(keepends=True)
        if lines:
            line = draw(st.sampled_from(lines))
            text = text.replace(line, draw(st.sampled_from(["", line + line])), 1)
    if action == "utf16":
        return text.encode("utf-16")
    data = text.encode("utf-8")
    if action == "bytes":
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data


@st.composite
def set_options(draw, table: dict) -> list[str]:
    """`--set` overrides of the file's keys or made-up ones, with any value."""
    names = names_in(table)
    keys = [p for p in paths_in(table) if all(isinstance(k, str) for k in p)]
    options = []
    for _ in range(draw(st.integers(0, 2))):
        path = list(draw(st.sampled_from(keys))) if keys else ["run", "days"]
        if draw(st.booleans()):
            path[-1] = draw(st.sampled_from([*names, "nobody", "reserv"]))
        dotted = ".".join(k if BARE_KEY.fullmatch(k) else toml_value(k) for k in path)
        options += ["--set", f"{dotted}={toml_value(draw(scalars(names)))}"]
    return options


@st.composite
def cases(draw) -> tuple[Path, bytes, list[str]]:
    """A shipped file, its mutated bytes, and --set options (for a scenario)."""
    original = draw(st.sampled_from(SCENARIOS + EXPERIMENTS))
    table = tomllib.loads(original.read_text(encoding="utf-8"))
    table = draw(mutated_table(table)) if draw(st.integers(0, 5)) else table
    data = draw(mutated_text(to_toml(table)))
    options = draw(set_options(table)) if original in SCENARIOS else []
    return original, data, options


# --- what every command must do -------------------------------------------------------------


class HangError(Exception):
    """A command ran longer than EXAMPLE_SECONDS."""


@contextlib.contextmanager
def time_limit(seconds: float):
    def stop(*_):
        raise HangError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def frontline(*args: str) -> tuple[int, str]:
    """Run the command in this process: its exit status and what it wrote to stderr."""
    err = io.StringIO()
    quiet = contextlib.redirect_stdout(io.StringIO())
    with contextlib.redirect_stderr(err), quiet, time_limit(EXAMPLE_SECONDS):
        try:
            code = main(list(args))
        except SystemExit as exit:
            code = exit.code
    event(f"{args[0]} exit {code}")
    return code, err.getvalue()


def assert_ended_well(code: int, err: str, args: tuple, files: set[str]) -> None:
    """Status 0, 1 or 2; on 1, a problem line naming a file of the project or --set."""
    context = f"frontline {' '.join(args)} (fuzz seed {FUZZ_SEED})"
    assert code in (0, 1, 2), f"{context}: exit status {code}\n{err}"
    assert "Traceback" not in err, f"{context}\n{err}"
    if code == 1:
        problems = [line.strip() for line in err.splitlines() if line.startswith("  ")]
        named = [p for p in problems if p.split(": ")[0].split("/")[-1] in files]
        assert named, f"{context}: no problem names a file\n{err}"


def no_leftovers(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*.tmp")]


counter = itertools.count()


@seed(FUZZ_SEED)
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.generate, Phase.shrink]
    if os.environ.get("FRONTLINE_FUZZ_SHRINK")
    else [Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases())
def test_mutated_files_get_a_clear_answer(project, case):
    original, data, options = case
    folder = project / original.relative_to(ROOT).parent
    number = next(counter)
    mutant = folder / f"_fuzz{number}.toml"
    mutant.write_bytes(data)
    out = project / "out" / str(number)
    files = {p.name for p in project.rglob("*.toml")} | {"--set", "<override>"}
    cwd = Path.cwd()
    os.chdir(project)
    try:
        commands = [("validate", str(mutant))]
        if original in SCENARIOS:
            series = f"{out}/series.parquet"
            commands.append(
                ("run", str(mutant), "--days", str(RUN_DAYS), "--out", series, *options)
            )
        for args in commands:
            code, err = frontline(*args)
            assert_ended_well(code, err, args, files)
            if args[0] == "run":
                series = out / "series.parquet"
                assert (code == 0) == series.exists(), f"{args}: status {code}, output?\n{err}"
                if code == 0:
                    assert pq.read_table(series).num_rows > 0
        if original in EXPERIMENTS and small_sweep(mutant):
            args = ("sweep", str(mutant), "--out", str(out / "sweep"), "--replicates", "1")
            code, err = frontline(*args, "--workers", "1", "--no-report")
            assert_ended_well(code, err, args, files)
        assert no_leftovers(project) == []
    finally:
        os.chdir(cwd)
        mutant.unlink()
        shutil.rmtree(out, ignore_errors=True)


def small_sweep(path: Path) -> bool:
    """Whether the experiment is valid and its plan, one replicate each, is small."""
    with time_limit(EXAMPLE_SECONDS):
        experiment, problems = check_experiment(path)
    return not problems and len(experiment.plan(1)) <= SWEEP_RUNS
