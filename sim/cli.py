"""The `frontline` command: run, validate, sweep, report and dashboard.

A thin layer: it parses arguments, calls the model and the outcome functions, and
prints. Exit status 0 on success, 1 when an input file has problems, 2 on misuse.

Each command imports what it needs when it runs, so that `frontline --help` or
`frontline validate` on a scenario do not pay for numba, mesa or scipy.stats.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from sim.formats.experiment import MAX_RUNS
from sim.formats.problems import InputError, Problem
from sim.formats.schema import MAX_DAYS, MAX_SEED

TIMESERIES_FORMATS = (".parquet", ".csv")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
DASHBOARD_SHARED = "FRONTLINE_DASHBOARD_SHARED"  # "1": the dashboard serves other machines
DASHBOARD_CLASSROOM = "FRONTLINE_CLASSROOM"  # "1": the dashboard serves only the wargame
INSTRUCTOR_TOKEN = "FRONTLINE_INSTRUCTOR_TOKEN"  # creating and listing games needs it


def main(argv: list[str] | None = None) -> int:
    """Run the `frontline` command given by `argv` (default: the process's arguments);
    return its exit status."""
    return _dispatch(_parser().parse_args(argv))


def console() -> None:
    """Entry point of the `frontline` console script (and `python -m sim`).

    A command that leaves nothing to clean up (`run`: its output is printed or written
    atomically before it returns) ends the process at once after flushing its output,
    skipping the interpreter's teardown of numba, mesa and pandas (about half a second
    of a one-run command)."""
    args = _parser().parse_args()
    status = _dispatch(args)
    if getattr(args, "exit_at_once", False):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to flush
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return args.command(args)
    except InputError as error:
        _print_problems(error.problems)
        return 1
    except KeyboardInterrupt:  # Ctrl+C: what finished is saved (a sweep resumes)
        print("interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frontline", description="Agent-based simulation of front-line dynamics."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run one scenario and summarise the outcome")
    run.add_argument("scenario", type=Path, help="scenario file (TOML)")
    run.add_argument("--days", type=_days, help="horizon in days (default: the file's)")
    seeds = run.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=_non_negative_int, help="random seed (default: the file's)")
    seeds.add_argument(
        "--seeds",
        type=_seed_list,
        metavar="LIST",
        help="run each of these seeds (e.g. 1-200 or 1,5,9 or 1-10,20): one line of JSON a run",
    )
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help='override a scenario key, TOML syntax, e.g. --set "factions.blue.reserve=8000"',
    )
    run.add_argument("--out", type=Path, help="write the daily time series (.parquet or .csv)")
    run.add_argument("--force", action="store_true", help="replace an existing --out file")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    _allow_outside_option(run)
    run.set_defaults(command=_run, exit_at_once=True)

    validate = commands.add_parser(
        "validate", help="check scenario and experiment files without running them"
    )
    validate.add_argument(
        "files", nargs="+", type=Path, help="scenario, experiment or history (.csv) files"
    )
    validate.add_argument(
        "--scenario", type=Path, help="check history files against this scenario too"
    )
    _allow_outside_option(validate)
    validate.set_defaults(command=_validate)

    score = commands.add_parser("score", help="score a scenario's runs against a history file")
    score.add_argument("scenario", type=Path, help="scenario file (TOML)")
    score.add_argument("history", type=Path, help="history file (CSV, docs/history-format.md)")
    score.add_argument("--replicates", type=_positive_int, default=50, help="runs (default 50)")
    score.add_argument("--seed", type=_non_negative_int, default=0, help="first seed (default 0)")
    score.add_argument("--workers", type=_positive_int, help="local processes (default: all cores)")
    score.add_argument("--out", type=Path, help="write score.txt, score.json, timeline.png here")
    score.set_defaults(command=_score)

    calibrate = commands.add_parser(
        "calibrate",
        help="fit a scenario's distributions to a history file (ABC), holding a period out",
    )
    calibrate.add_argument(
        "scenario", type=Path, help="scenario file whose distributions are the priors"
    )
    calibrate.add_argument("history", type=Path, help="history file (CSV, docs/history-format.md)")
    calibrate.add_argument("--out", type=Path, required=True, help="new folder for the results")
    split = calibrate.add_mutually_exclusive_group()
    split.add_argument(
        "--holdout-after",
        type=_date,
        metavar="DATE",
        help="fit on what is dated up to DATE, score the rest",
    )
    split.add_argument(
        "--holdout-fraction",
        type=_fraction,
        default=0.3,
        metavar="F",
        help="hold out the latest share F of the dated facts (default 0.3)",
    )
    calibrate.add_argument("--generations", type=_positive_int, default=3, help="default 3")
    calibrate.add_argument(
        "--proposals",
        type=_positive_int,
        default=60,
        help="parameter sets simulated per generation (default 60)",
    )
    calibrate.add_argument(
        "--accepted",
        type=_positive_int,
        default=20,
        help="sets kept per generation, the posterior sample (default 20)",
    )
    calibrate.add_argument("--runs-per-set", type=_positive_int, default=2, help="default 2")
    calibrate.add_argument(
        "--parameter",
        dest="parameters",
        action="append",
        default=[],
        metavar="PATTERN",
        help="calibrate only keys matching PATTERN, "
        "e.g. 'factions.*.lethality' (repeatable; default: every distribution)",
    )
    calibrate.add_argument(
        "--seed", type=_non_negative_int, default=0, help="master seed (default 0)"
    )
    calibrate.add_argument(
        "--workers", type=_positive_int, help="local processes (default: all cores)"
    )
    calibrate.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, tcp://host:port")
    calibrate.set_defaults(command=_calibrate)

    sweep = commands.add_parser("sweep", help="run an experiment: variants x replicates")
    sweep.add_argument("experiment", type=Path, help="experiment file (TOML)")
    sweep.add_argument("--out", type=Path, required=True, help="results directory")
    sweep.add_argument("--replicates", type=_replicates, help="runs per variant and point")
    sweep.add_argument("--workers", type=_positive_int, help="local processes (default: all cores)")
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, tcp://host:port")
    sweep.add_argument(
        "--resume",
        action="store_true",
        help="continue the sweep in --out (start it if there is none); a finished sweep "
        "only reports",
    )
    sweep.add_argument(
        "--precision",
        action="store_true",
        help="add replicates in batches until every comparison's 95 %% interval is narrower "
        "than its sesoi, or a cap (the experiment's [precision] table, which turns this on "
        "by itself unless --replicates is given; else batches of 10 up to 200)",
    )
    sweep.add_argument("--no-report", action="store_true", help="do not write the report")
    _allow_outside_option(sweep)
    sweep.add_argument(
        "--posterior", type=Path, metavar="DIR",
        help="pin each run's calibrated parameters to an accepted set of this calibration "
        "folder (replaces the experiment's `posterior`)",
    )  # fmt: skip
    sweep.set_defaults(command=_sweep)

    report = commands.add_parser("report", help="statistics, plots and verdicts of a sweep")
    report.add_argument("results", type=Path, help="results directory of `frontline sweep`")
    report.set_defaults(command=_report)

    dashboard = commands.add_parser("dashboard", help="start the dashboard (Solara web app)")
    dashboard.add_argument("--host", default="127.0.0.1", help="address to listen on")
    dashboard.add_argument("--port", type=_port, default=8765, help="port (default 8765)")
    dashboard.add_argument("--open", action="store_true", help="open it in a web browser")
    dashboard.add_argument(
        "--classroom",
        action="store_true",
        help="serve only the wargame (no Explore or Compare, which would lift the fog)",
    )
    dashboard.set_defaults(command=_dashboard)
    return parser


def _allow_outside_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--allow-outside",
        action="store_true",
        help="let files name files outside their folder and the project's scenarios/ and "
        "experiments/ (extends, a variant's scenario)",
    )


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _at_most(limit: int) -> Callable[[str], int]:
    """A positive whole number up to `limit` (an argparse type)."""

    def parse(text: str) -> int:
        value = _positive_int(text)
        if value > limit:
            raise argparse.ArgumentTypeError(f"must be at most {limit}, got {value}")
        return value

    return parse


_days = _at_most(MAX_DAYS)
_replicates = _at_most(MAX_RUNS)


def _port(text: str) -> int:
    value = _non_negative_int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, got {value}")
    return value


def _date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date YYYY-MM-DD, got {text!r}") from None


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {value:g}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def _seed_list(text: str) -> list[int]:
    """Seeds from a list of seeds and inclusive ranges: `1-200`, `1,5,9`, `1-10,20`."""
    seeds: list[int] = []
    for item in text.split(","):
        low, dash, high = item.strip().partition("-")
        first = _non_negative_int(low)
        last = _non_negative_int(high) if dash else first
        if last < first:
            raise argparse.ArgumentTypeError(f"a range goes up: {item.strip()!r}")
        if last - first + 1 + len(seeds) > MAX_RUNS:
            raise argparse.ArgumentTypeError(f"at most {MAX_RUNS:,} seeds")
        if last > MAX_SEED:
            raise argparse.ArgumentTypeError(f"a seed is at most {MAX_SEED}")
        seeds += range(first, last + 1)
    return seeds


def _run(args: argparse.Namespace) -> int:
    from sim.formats.scenario import load_scenario, parse_overrides, scenario_warnings

    _expect_kind(args.scenario, "scenario")
    if args.seeds is not None and args.out is not None:
        raise InputError([Problem(args.out, "--out", "one run at a time: not with --seeds")])
    if args.out is not None:
        _check_out_file(args.out, args.force)
    run_settings = {"run.days": args.days, "run.seed": args.seed}  # checked like the file's
    assignments = args.overrides + [f"{k}={v}" for k, v in run_settings.items() if v is not None]
    scenario = load_scenario(
        args.scenario,
        parse_overrides(assignments, "--set"),
        overrides_source="--set",
        allow_outside=args.allow_outside,
    )
    _print_warnings(scenario_warnings(scenario))

    from sim.model.model import FrontlineModel
    from sim.outcomes.summary import format_summary, summary, timeseries

    if args.seeds is not None:
        for seed in args.seeds:  # one process, the scenario loaded and kernels loaded once
            model = FrontlineModel(scenario, seed=seed)
            model.run_to_horizon()
            print(json.dumps(_finite(summary(model)), allow_nan=False))
        return 0
    model = FrontlineModel(scenario)
    model.run_to_horizon()
    result = summary(model)
    if args.out is not None:
        _write_atomically(timeseries(model), args.out)
    if args.json:
        print(strict_json(result))
    else:
        print(format_summary(result, list(scenario.spec.metrics)))
    return 0


def strict_json(value: object) -> str:
    """`value` as standard JSON: a NaN or infinite number (which JSON cannot hold, and
    `json.dumps` would write as `NaN` or `Infinity`) becomes null."""
    return json.dumps(_finite(value), indent=2, allow_nan=False)


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _check_out_file(path: Path, force: bool) -> None:
    """Refuse a bad --out before anything is computed."""
    from sim.formats.paths import check_output_file

    if path.suffix.lower() not in TIMESERIES_FORMATS:
        problem = Problem(path, "--out", f"use a {' or '.join(TIMESERIES_FORMATS)} file name")
        raise InputError([problem])
    refused = check_output_file(path, force=force)
    if refused:
        raise InputError([Problem(path, "--out", refused)])


def _write_atomically(frame, path: Path) -> None:
    """Write a table so that `path` holds either the complete file or what it held before
    (with the permissions the user's umask gives a new file)."""
    from sim.formats.paths import io_error_text, output_mode

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        if path.suffix.lower() == ".parquet":
            frame.to_parquet(temporary, index=False)
        else:
            frame.to_csv(temporary, index=False)
        os.chmod(temporary, output_mode())
        os.replace(temporary, path)
    except OSError as error:
        message = f"cannot be written ({io_error_text(error)}); nothing was written"
        raise InputError([Problem(path, "--out", message)]) from None
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _validate(args: argparse.Namespace) -> int:
    failed = 0
    for file in args.files:
        _, problems, warnings = _check_file(file, args.allow_outside, args.scenario)
        if problems:
            failed += 1
            _print_problems(problems, file)
        else:
            _print_warnings(warnings)
            print(f"{file}: ok")
    if len(args.files) > 1:
        print(f"{len(args.files) - failed} of {len(args.files)} files valid")
    return 1 if failed else 0


def _check_file(
    file: Path, allow_outside: bool, scenario: Path | None = None
) -> tuple[object, list[Problem], list[Problem]]:
    """Check a scenario, an experiment or a history file, whichever it is (a history file
    also against `scenario`, when given); return it, its problems and its warnings."""
    from sim.formats.kinds import file_kind

    kind = file_kind(file)
    if kind == "history":
        return *_check_history(file, scenario), []
    if kind == "experiment":
        from sim.experiments.experiment import check_experiment

        return *check_experiment(file, allow_outside=allow_outside), []
    from sim.formats.scenario import check_scenario, scenario_warnings

    scenario, problems = check_scenario(file, allow_outside=allow_outside)
    return scenario, problems, [] if scenario is None else scenario_warnings(scenario)


def _expect_kind(file: Path, expected: str) -> None:
    """Refuse a file of another kind than the command takes, saying what it is."""
    from sim.formats.kinds import file_kind

    kind = file_kind(file)
    if kind != expected:
        raise InputError([_kind_problem(file, kind, expected)])


KIND_COMMANDS = {
    "scenario": "frontline run {file}",
    "experiment": "frontline sweep {file} --out DIR",
    "history": "frontline score SCENARIO {file}",
}


def _kind_problem(file: Path, kind: str, expected: str) -> Problem:
    """The file is a `kind` file where an `expected` file was needed."""
    command = KIND_COMMANDS[kind].format(file=file)
    message = f"is {_article(kind)} {kind} file, not {_article(expected)} {expected} file"
    return Problem(file, "file", f"{message}: run it with `{command}`")


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"


def _check_history(file: Path, scenario_path: Path | None) -> tuple[object, list[Problem]]:
    from sim.formats.history import check_history, check_history_against

    history, problems = check_history(file)
    if history is None or problems or scenario_path is None:
        return history, problems
    from sim.formats.scenario import load_scenario

    scenario = load_scenario(scenario_path)
    run = scenario.spec.run
    names, factions = set(scenario.map.names), set(scenario.spec.factions)
    return history, check_history_against(history, names, factions, run.start_date, run.days)


def _score(args: argparse.Namespace) -> int:
    from sim.experiments.score import format_score, score_scenario, write_score

    score = score_scenario(
        args.scenario, args.history, args.replicates, first_seed=args.seed, workers=args.workers
    )
    print(format_score(score))
    if args.out is not None:
        paths = write_score(score, args.out)
        print("\n" + "\n".join(f"{name}: {path}" for name, path in paths.items()))
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from sim.experiments.calibrate import Budget, Settings, calibrate
    from sim.experiments.calibration_report import format_summary, write_calibration

    out = args.out
    if out.exists() and (not out.is_dir() or any(out.iterdir())):  # before hours of runs
        message = "is not empty: choose a new directory (nothing was overwritten)"
        raise InputError([Problem(out, "--out", message)])
    budget = Budget(args.generations, args.proposals, args.accepted, args.runs_per_set)
    settings = Settings(
        budget=budget,
        seed=args.seed,
        holdout_after=args.holdout_after,
        holdout_fraction=args.holdout_fraction,
        parameters=tuple(args.parameters),
        workers=args.workers,
        scheduler=args.scheduler,
    )
    calibration = calibrate(args.scenario, args.history, settings, progress=sys.stderr.isatty())
    paths = write_calibration(calibration, out)
    print(format_summary(calibration))
    print("\n" + "\n".join(f"{name}: {path}" for name, path in paths.items()))
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from sim.experiments.experiment import load_experiment
    from sim.experiments.results import ResultStore
    from sim.experiments.sweep import sweep

    _expect_kind(args.experiment, "experiment")
    ResultStore.check_folder(args.out, args.resume)  # before the experiment's scenarios load
    experiment = load_experiment(args.experiment, args.posterior, allow_outside=args.allow_outside)
    by_table = experiment.spec.precision is not None and args.replicates is None
    if args.precision or by_table:  # a --replicates given fixes the count instead
        return _sweep_to_precision(experiment, args)
    result = sweep(
        experiment,
        args.out,
        replicates=args.replicates,
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
    )
    print(
        f"{result.ran} runs in {result.seconds:.1f} s ({result.failed} failed; "
        f"{result.done_before} done before) -> {result.directory}"
    )
    if not args.no_report:
        return _report(argparse.Namespace(results=args.out))
    return 0


def _sweep_to_precision(experiment, args: argparse.Namespace) -> int:
    from sim.experiments.precision import sweep_to_precision

    if all(c.sesoi is None for c in experiment.spec.comparisons.values()):
        message = "--precision needs a `sesoi` on some comparison: no interval has a target"
        raise InputError([Problem(args.experiment, "comparisons", message)])
    result = sweep_to_precision(
        experiment,
        args.out,
        replicates=args.replicates,
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
    )
    print(
        f"{result.ran} runs in {result.seconds:.1f} s over {len(result.rounds)} rounds "
        f"({result.failed} failed); {result.replicates} replicates: {result.stopped} "
        f"-> {result.directory}"
    )
    if not args.no_report:
        return _report(argparse.Namespace(results=args.out))
    return 0


def _report(args: argparse.Namespace) -> int:
    from sim.experiments.report import write_report

    report = write_report(args.results)
    print(report.verdict_table)
    print(f"\nReport: {report.markdown}\n        {report.html}")
    return 0


DASHBOARD_APP = "dashboards.app"  # the Solara app, a module of the installed package


def dashboard_command(host: str, port: int, open_browser: bool = False) -> list[str]:
    """The `solara run` command that serves the dashboard (offline: no version check)."""
    return [
        sys.executable, "-m", "solara", "run", DASHBOARD_APP, "--host", host,
        "--port", str(port), "--production", "--no-check-version",
        "--open" if open_browser else "--no-open",
    ]  # fmt: skip


def _dashboard(args: argparse.Namespace) -> int:
    environment = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", **os.environ}
    if args.host not in LOOPBACK_HOSTS:  # others can reach it: keep them inside the project
        environment[DASHBOARD_SHARED] = "1"
    if getattr(args, "classroom", False):
        environment[DASHBOARD_CLASSROOM] = "1"
    shown = socket.gethostname() if args.host in ("0.0.0.0", "::") else args.host
    page = "/wargame" if getattr(args, "classroom", False) else ""
    print(f"Frontline dashboard: http://{shown}:{args.port}{page}  (Ctrl+C stops it)", flush=True)
    if DASHBOARD_SHARED in environment or DASHBOARD_CLASSROOM in environment:
        if not environment.get(INSTRUCTOR_TOKEN):  # games are created with it
            environment[INSTRUCTOR_TOKEN] = secrets.token_urlsafe(12)
        print(f"Instructor token: {environment[INSTRUCTOR_TOKEN]}", flush=True)
    server = subprocess.Popen(dashboard_command(args.host, args.port, args.open), env=environment)
    with contextlib.suppress(ValueError):  # ValueError: not called from the main thread
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server with us
    try:
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def _print_warnings(warnings: list[Problem]) -> None:
    """Print what is allowed but probably not meant, to stderr (the run goes on)."""
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _print_problems(problems: list[Problem], source: Path | None = None) -> None:
    """Print problems to stderr under a header naming `source` (default: the first's file)."""
    noun = "problem" if len(problems) == 1 else "problems"
    print(f"{source or problems[0].file}: {len(problems)} {noun}", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
