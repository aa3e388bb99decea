"""Sweeps: every (variant, design point, replicate) of an experiment, run in parallel.

Runs go to local worker processes (all cores by default), or to a Dask distributed
cluster with `scheduler="tcp://host:port"`; each run's seed comes from the plan, not
from the order of execution, so the stored rows are the same either way, down to the
columns and their types (`runs_schema`: one per sweep, a missing value stored as null).
Finished runs are written to the results store as they finish (`sim.experiments.results`;
a run waits at most about BATCH_SECONDS in memory), so memory stays flat however long
the sweep, and a killed sweep resumes where it stopped. A run that raises is stored
with its error and seed, and the sweep goes on; a local worker process that dies is
replaced and its runs done again (`sim.experiments.workers`), and a disk that fills up
stops the sweep with one message, nothing half-written.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import functools
import itertools
import json
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm import tqdm

from sim.experiments.experiment import Experiment, RunTask
from sim.experiments.results import ResultStore, StorageError, code_version
from sim.experiments.workers import MAX_ATTEMPTS, WorkerPool, dask_client
from sim.formats.experiment import MAX_RUNS
from sim.formats.problems import InputError, Problem
from sim.formats.scenario import Scenario, load_scenario, parse_overrides
from sim.formats.typed_tables import toml_value
from sim.model.model import FACTION_SERIES, FrontlineModel
from sim.outcomes import metrics

BATCH_RUNS = 200  # runs per stored part, at most
BATCH_SECONDS = 2.0  # a finished run waits at most about this long before it is written
HEARTBEAT_SECONDS = 0.25  # how often the executors report while runs are under way

RUNS_PER_BATCH = 8  # runs of one design point handed to a worker at once, at most
BATCHES_PER_WORKER = 4  # at least, so that the last batches do not leave a worker idle
SCENARIOS_CACHED = 64  # per worker process: loaded scenarios kept (a design has many)


@dataclasses.dataclass
class RunOutput:
    """What a worker sends back for one run: plain arrays, cheap to pickle."""

    row: dict
    factions: tuple[str, ...] = ()
    series: np.ndarray | None = None  # (days + 1, series, factions), float32
    captures: tuple[tuple[int, str, str | None, str], ...] = ()


def run_one(task: RunTask) -> RunOutput:
    """Do one run of a sweep; an exception becomes an error row, not a crash."""
    row = _row_of(task)
    try:
        model = FrontlineModel(_scenario(task), seed=task.seed, days=task.days)
        model.run_to_horizon()
        values = metrics.evaluate(model)
    except Exception as error:
        row |= {"status": "error", "error": "".join(traceback.format_exception_only(error))}
        return RunOutput(row)
    wanted = task.metrics or tuple(values)
    row |= {"status": "ok", "error": ""}
    row |= {f"metric.{name}": values.get(name) for name in wanted}
    return RunOutput(
        row,
        factions=tuple(f.key for f in model.factions),
        series=model.faction_series().astype(np.float32),
        captures=tuple((c.day, c.place, c.previous, c.new) for c in model.captures),
    )


def run_batch(tasks: tuple[RunTask, ...]) -> list[RunOutput]:
    """Do a batch of runs of one design point (replicates) in one worker call: one
    message each way instead of one per run, the scenario loaded once."""
    return [run_one(task) for task in tasks]


def lost_batch(tasks: tuple[RunTask, ...], exitcode: int | None) -> list[RunOutput]:
    """The error rows of a batch given up (a batch that kills a worker is split into
    single runs before it is tried again, so only a run that kills every time is)."""
    return [lost_run(task, exitcode) for task in tasks]


def batches(tasks: list[RunTask], workers: int) -> list[tuple[RunTask, ...]]:
    """The tasks in order, in batches of consecutive runs of the same scenario, settings
    and horizon (replicates of a design point), at most RUNS_PER_BATCH each, and small
    enough that each worker gets several batches."""
    size = max(1, min(RUNS_PER_BATCH, len(tasks) // (BATCHES_PER_WORKER * workers)))
    grouped: list[list[RunTask]] = []
    for task in tasks:
        last = grouped[-1] if grouped else None
        if last and len(last) < size and _same_setting(last[0], task):
            last.append(task)
        else:
            grouped.append([task])
    return [tuple(batch) for batch in grouped]


def _same_setting(a: RunTask, b: RunTask) -> bool:
    return (a.scenario, a.overrides, a.days, a.metrics) == (
        b.scenario,
        b.overrides,
        b.days,
        b.metrics,
    )


def _singles(tasks: tuple[RunTask, ...]) -> list[tuple[RunTask, ...]]:
    return [(task,) for task in tasks]


def lost_run(task: RunTask, exitcode: int | None) -> RunOutput:
    """The error row of a run whose worker process died every time it was tried."""
    how = f"killed by signal {-exitcode}" if exitcode and exitcode < 0 else f"exit {exitcode}"
    message = f"the worker process died running it, {MAX_ATTEMPTS} times (last: {how})"
    return RunOutput(_row_of(task) | {"status": "error", "error": message})


def _row_of(task: RunTask) -> dict:
    """The columns of a run's row that the plan gives."""
    return {
        "run_id": task.run_id,
        "variant": task.variant,
        "point": task.point,
        "replicate": task.replicate,
        "seed": task.seed,
        "command": task.command(),
        **{f"param.{k}": v for k, v in task.overrides},
    }


def _scenario(task: RunTask) -> Scenario:
    return _load_scenario(task.scenario, json.dumps(task.overrides))


@functools.lru_cache(maxsize=SCENARIOS_CACHED)
def _load_scenario(path: str, overrides: str) -> Scenario:
    """A variant's scenario at a design point, loaded once per worker while it is in use
    (the experiment's check has confined its files already)."""
    return load_scenario(path, parse_overrides(dict(json.loads(overrides))), allow_outside=True)


def runs_schema(experiment: Experiment, plan: list[RunTask]) -> pa.Schema:
    """The columns of the runs table, the same for every part of a sweep whatever runs
    a part holds: the plan's parameters and the metrics the experiment's runs can
    record, each with one type, a missing value stored as null."""
    fixed = [
        ("run_id", pa.string()),
        ("variant", pa.string()),
        ("point", pa.int64()),
        ("replicate", pa.int64()),
        ("seed", pa.int64()),
        ("command", pa.string()),
    ]
    values: dict[str, list] = {}
    for task in plan:
        for name, value in task.overrides:
            values.setdefault(f"param.{name}", []).append(value)
    parameters = [(name, _parameter_type(given)) for name, given in values.items()]
    status = [("status", pa.string()), ("error", pa.string())]
    measured = [(f"metric.{name}", pa.float64()) for name in experiment.metric_columns()]
    return pa.schema(fixed + parameters + status + measured)


def _parameter_type(values: list) -> pa.DataType:
    """One Arrow type for a parameter's values: integers, numbers, booleans or text
    (a list or table value is stored as its TOML text)."""
    if all(isinstance(v, bool) for v in values):
        return pa.bool_()
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pa.int64()
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return pa.float64()
    return pa.string()


def _runs_table(batch: list[RunOutput], schema: pa.Schema) -> pa.Table:
    """The batch's rows in the sweep's runs schema (a column the schema does not know,
    a metric no variant was found to produce, is left out)."""
    text = {field.name for field in schema if field.type == pa.string()}

    def cell(name: str, value: object) -> object:
        as_text = name in text and value is not None and not isinstance(value, str)
        return toml_value(value) if as_text else value

    known = set(schema.names)
    rows = [{n: cell(n, v) for n, v in output.row.items() if n in known} for output in batch]
    return pa.Table.from_pylist(rows, schema=schema)


def _frames(
    batch: list[RunOutput], schema: pa.Schema
) -> tuple[pa.Table, pd.DataFrame, pd.DataFrame]:
    """The batch as the stored tables: runs, time series (run, day, faction), captures."""
    runs = _runs_table(batch, schema)
    finished = [output for output in batch if output.series is not None]
    columns: dict[str, list] = {"run_id": [], "day": [], "faction": []}
    values = []
    for output in finished:
        days, _, n_factions = output.series.shape
        columns["run_id"].append(np.full(days * n_factions, output.row["run_id"], dtype=object))
        columns["day"].append(np.repeat(np.arange(days, dtype=np.int32), n_factions))
        columns["faction"].append(np.tile(np.array(output.factions, dtype=object), days))
        values.append(output.series.transpose(0, 2, 1).reshape(-1, len(FACTION_SERIES)))
    series = pd.DataFrame({k: np.concatenate(v) if v else [] for k, v in columns.items()})
    stacked = np.concatenate(values) if values else np.empty((0, len(FACTION_SERIES)))
    for i, name in enumerate(FACTION_SERIES):
        series[name] = stacked[:, i].astype(np.float32)
    captures = pd.DataFrame(
        [(o.row["run_id"], *capture) for o in finished for capture in o.captures],
        columns=["run_id", "day", "place", "from", "to"],
    )
    text = dict.fromkeys(("run_id", "faction", "place", "from", "to"), "string")
    series = series.astype({"day": "int32"} | {k: v for k, v in text.items() if k in series})
    captures = captures.astype({"day": "int32"} | {k: v for k, v in text.items() if k in captures})
    return runs, series, captures


@dataclasses.dataclass
class SweepResult:
    """How a sweep went."""

    directory: Path
    planned: int
    done_before: int
    ran: int
    failed: int
    seconds: float


def manifest_of(experiment: Experiment, replicates: int, planned: int) -> dict:
    """What the results directory records about the sweep that made it."""
    spec = experiment.spec
    return {
        "experiment": str(experiment.source.resolve()),
        "name": spec.name,
        "description": spec.description,
        "hypothesis": spec.hypothesis,
        "digest": experiment.digest(),
        "code_version": code_version(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "replicates": replicates,
        "runs_planned": planned,
        "seed": spec.seed,
        "baseline": experiment.baseline,
        "variants": {
            name: {"scenario": v.scenario, "description": v.description, "set": v.set}
            for name, v in spec.variants.items()
        },
        "comparisons": {name: dataclasses.asdict(c) for name, c in spec.comparisons.items()},
        "pairing": spec.pairing,
        "multiplicity": spec.multiplicity,
        "binary": spec.binary,
        "design_method": spec.design.method if spec.design else "",
        "design": experiment.points,
        "posterior": experiment.posterior.manifest() if experiment.posterior else None,
    }


def sweep(
    experiment: Experiment,
    directory: Path,
    *,
    replicates: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
    grow: bool = False,
) -> SweepResult:
    """Run the experiment's missing runs into `directory`; with `grow`, a sweep resumed
    with more replicates than it had keeps its runs (`sim.experiments.precision`)."""
    started = time.perf_counter()
    replicates = replicates or experiment.spec.replicates
    _check_plan_size(experiment, replicates)
    ResultStore.check_folder(directory, resume)
    plan = experiment.plan(replicates)
    manifest = manifest_of(experiment, replicates, len(plan))
    with _executor(workers, scheduler) as execute:
        if resume and ResultStore.holds_sweep(directory):
            store = ResultStore.reopen(directory, manifest, grow=grow)
        else:
            store = ResultStore.create(directory, manifest)
        done = store.completed()
        todo = [task for task in plan if task.run_id not in done]
        if todo:
            store.check_code_version(manifest["code_version"])
        schema = runs_schema(experiment, plan)
        failed = _store_runs(execute(todo), store, schema, len(plan), len(done), progress)
    return SweepResult(
        directory=Path(directory),
        planned=len(plan),
        done_before=len(done),
        ran=len(todo),
        failed=failed,
        seconds=time.perf_counter() - started,
    )


def _check_plan_size(experiment: Experiment, replicates: int) -> None:
    """Refuse a sweep too large to plan (its plan is held in memory)."""
    runs = len(experiment.spec.variants) * len(experiment.points) * replicates
    if runs > MAX_RUNS:
        message = f"makes {runs:,} runs; a sweep holds at most {MAX_RUNS:,}"
        raise InputError([Problem(experiment.source, "--replicates", message)])


def _store_runs(
    groups: Iterable[list[RunOutput]],
    store: ResultStore,
    schema: pa.Schema,
    planned: int,
    done: int,
    progress: bool,
) -> int:
    """Store finished runs as they come, with a progress bar; return how many failed.

    Runs are written together when they finish together: a batch is written as soon as
    waiting for the next group of runs would keep it in memory longer than
    BATCH_SECONDS (or it holds BATCH_RUNS runs). Whatever has finished is written
    when the sweep stops early (Ctrl+C, a worker error), unless writing is what failed.
    """
    failed = 0
    batch: list[RunOutput] = []
    opened = last = time.monotonic()
    writable = True
    # no tqdm monitor thread: local workers are forked from this process when the first
    # run is handed out, and forking a process that runs other threads can deadlock
    tqdm.monitor_interval = 0
    with tqdm(total=planned, initial=done, unit="run", disable=not progress, smoothing=0.05) as bar:
        try:
            for group in groups:
                now = time.monotonic()
                gap, last = now - last, now
                if group and not batch:
                    opened = now
                batch += group
                if batch and (len(batch) >= BATCH_RUNS or now - opened + gap >= BATCH_SECONDS):
                    failed += _write(batch, store, schema, bar)
                    batch = []
        except StorageError:
            writable = False
            raise
        finally:
            if batch and writable:
                failed += _write(batch, store, schema, bar)
    return failed


def _write(batch: list[RunOutput], store: ResultStore, schema: pa.Schema, bar: tqdm) -> int:
    """Store finished runs, BATCH_RUNS to a part at most; return how many failed."""
    for start in range(0, len(batch), BATCH_RUNS):
        part = batch[start : start + BATCH_RUNS]
        store.append(*_frames(part, schema))
        bar.update(len(part))
    return sum(output.row["status"] != "ok" for output in batch)


@contextlib.contextmanager
def _executor(
    workers: int | None, scheduler: str | None
) -> Iterator[Callable[[list[RunTask]], Iterator[list[RunOutput]]]]:
    """Where runs are executed: a function from tasks to groups of finished runs, in the
    order they finish (an empty group now and then while runs are under way). A cluster
    is reached before anything is written, so that an unreachable scheduler leaves no
    half-made results directory behind."""
    if scheduler:
        with dask_client(scheduler) as client:
            yield functools.partial(_on_dask, client=client)
        return
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        yield _serially
    else:
        yield functools.partial(_on_processes, workers=workers)


def _serially(tasks: list[RunTask]) -> Iterator[list[RunOutput]]:
    """Run in this process, one after the other (in a thread, so that finished runs are
    written while a long one is under way)."""
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="frontline-run") as pool:
        for task in tasks:
            running = pool.submit(run_one, task)
            while True:
                try:
                    yield [running.result(timeout=HEARTBEAT_SECONDS)]
                    break
                except concurrent.futures.TimeoutError:
                    yield []


def _on_processes(tasks: list[RunTask], workers: int) -> Iterator[list[RunOutput]]:
    """Run on local processes (`sim.experiments.workers`): a worker that dies is
    replaced and its runs done again; no worker outlives this process."""
    if len(tasks) <= 1:
        yield from _serially(tasks)
        return
    pool = WorkerPool(run_batch, workers, lost_batch, split=_singles)
    for group in pool.run(batches(tasks, workers), HEARTBEAT_SECONDS):
        yield [output for outputs in group for output in outputs]


def _on_dask(tasks: list[RunTask], client) -> Iterator[list[RunOutput]]:
    """Run on a Dask distributed cluster (which reschedules the runs of a lost worker),
    with a bounded number of runs in flight."""
    from distributed import wait

    n_workers = max(1, len(client.scheduler_info()["workers"]))
    window = 4 * n_workers
    queue = iter(batches(tasks, n_workers))
    pending: dict = {}
    while True:
        for batch in itertools.islice(queue, window - len(pending)):
            pending[client.submit(run_batch, batch, pure=False)] = batch
        if not pending:
            return
        try:
            finished = wait(list(pending), HEARTBEAT_SECONDS, return_when="FIRST_COMPLETED").done
        except TimeoutError:
            finished = set()
        yield [output for f in finished for output in _dask_result(f, pending.pop(f))]


def _dask_result(future, batch: tuple[RunTask, ...]) -> list[RunOutput]:
    """A finished Dask batch; one Dask gave up on (its workers kept dying) is error rows."""
    try:
        return future.result()
    except Exception as error:
        error_text = f"{type(error).__name__}: {error}"
        return [RunOutput(_row_of(t) | {"status": "error", "error": error_text}) for t in batch]
