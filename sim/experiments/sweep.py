"""Sweeps: every (variant, design point, replicate) of an experiment, run in parallel.

Runs go to local worker processes (all cores by default), or to a Dask distributed
cluster with `scheduler="tcp://host:port"`; each run's seed comes from the plan, not
from the order of execution, so the stored rows are the same either way. Finished runs
stream to the results store in batches (`sim.experiments.results`), so memory stays flat however
long the sweep, and a killed sweep resumes where it stopped. A run that raises is
stored with its error and seed, and the sweep goes on.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import functools
import json
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.experiments.experiment import Experiment, RunTask
from sim.experiments.results import ResultStore, code_version
from sim.formats.problems import InputError, Problem
from sim.formats.scenario import Scenario, load_scenario, parse_overrides
from sim.model.model import FACTION_SERIES, FrontlineModel
from sim.outcomes import metrics

BATCH_RUNS = 200  # runs per stored part, at most
BATCH_SECONDS = 30.0  # a part is written at least this often while runs complete

SCENARIOS_CACHED = 64  # per worker process: loaded scenarios kept (a design has many)
CONNECT_SECONDS = 20  # to reach a Dask scheduler before giving up


@dataclasses.dataclass
class RunOutput:
    """What a worker sends back for one run: plain arrays, cheap to pickle."""

    row: dict
    factions: tuple[str, ...] = ()
    series: np.ndarray | None = None  # (days + 1, series, factions), float32
    captures: tuple[tuple[int, str, str | None, str], ...] = ()


def run_one(task: RunTask) -> RunOutput:
    """Do one run of a sweep; an exception becomes an error row, not a crash."""
    row = {
        "run_id": task.run_id,
        "variant": task.variant,
        "point": task.point,
        "replicate": task.replicate,
        "seed": task.seed,
        "command": task.command(),
        **{f"param.{k}": v for k, v in task.overrides},
    }
    try:
        model = FrontlineModel(_scenario(task), seed=task.seed, days=task.days)
        model.run_model()
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


def _scenario(task: RunTask) -> Scenario:
    return _load_scenario(task.scenario, json.dumps(task.overrides))


@functools.lru_cache(maxsize=SCENARIOS_CACHED)
def _load_scenario(path: str, overrides: str) -> Scenario:
    """A variant's scenario at a design point, loaded once per worker while it is in use."""
    return load_scenario(path, parse_overrides(dict(json.loads(overrides))))


def _frames(batch: list[RunOutput]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The batch as the stored tables: runs, time series (run, day, faction), captures."""
    runs = pd.DataFrame([output.row for output in batch])
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
) -> SweepResult:
    """Run the experiment's missing runs into `directory`."""
    started = time.perf_counter()
    replicates = replicates or experiment.spec.replicates
    plan = experiment.plan(replicates)
    manifest = manifest_of(experiment, replicates, len(plan))
    with _executor(workers, scheduler) as execute:
        if resume and ResultStore.holds_sweep(directory):
            store = ResultStore.reopen(directory, manifest)
        else:
            store = ResultStore.create(directory, manifest)
        done = store.completed()
        todo = [task for task in plan if task.run_id not in done]
        if todo:
            store.check_code_version(manifest["code_version"])
        failed = _store_runs(execute(todo), store, len(plan), len(done), progress)
    return SweepResult(
        directory=Path(directory),
        planned=len(plan),
        done_before=len(done),
        ran=len(todo),
        failed=failed,
        seconds=time.perf_counter() - started,
    )


def _store_runs(
    outputs: Iterable[RunOutput], store: ResultStore, planned: int, done: int, progress: bool
) -> int:
    """Store finished runs batch by batch, with a progress bar; return how many failed."""
    failed = 0
    # no tqdm monitor thread: local workers are forked from this process when the first
    # run is handed out, and forking a process that runs other threads can deadlock
    tqdm.monitor_interval = 0
    with tqdm(total=planned, initial=done, unit="run", disable=not progress, smoothing=0.05) as bar:
        for batch in _batches(outputs):
            store.append(*_frames(batch))
            failed += sum(output.row["status"] != "ok" for output in batch)
            bar.update(len(batch))
    return failed


def _batches(outputs: Iterable[RunOutput]) -> Iterator[list[RunOutput]]:
    """Group finished runs into parts: every BATCH_RUNS runs or BATCH_SECONDS seconds."""
    batch: list[RunOutput] = []
    since = time.monotonic()
    for output in outputs:
        batch.append(output)
        if len(batch) >= BATCH_RUNS or time.monotonic() - since >= BATCH_SECONDS:
            yield batch
            batch, since = [], time.monotonic()
    if batch:
        yield batch


@contextlib.contextmanager
def _executor(
    workers: int | None, scheduler: str | None
) -> Iterator[Callable[[list[RunTask]], Iterator[RunOutput]]]:
    """Where runs are executed: a function from tasks to finished runs, in the order they
    finish. A cluster is reached before anything is written, so that an unreachable
    scheduler leaves no half-made results directory behind."""
    if scheduler:
        with _dask_client(scheduler) as client:
            yield functools.partial(_on_dask, client=client)
        return
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        yield functools.partial(map, run_one)
    else:
        yield functools.partial(_on_processes, workers=workers)


def _on_processes(tasks: list[RunTask], workers: int) -> Iterator[RunOutput]:
    """Run on local processes, with a bounded number of runs in flight."""
    if len(tasks) <= 1:
        yield from map(run_one, tasks)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        yield from _bounded(pool.submit, tasks, 4 * workers, concurrent.futures.wait)


def _bounded(submit: Callable, tasks: list[RunTask], window: int, wait) -> Iterator[RunOutput]:
    pending = set()
    queue = iter(tasks)
    for task in queue:
        pending.add(submit(run_one, task))
        if len(pending) >= window:
            finished, pending = wait(pending, return_when="FIRST_COMPLETED")
            yield from (future.result() for future in finished)
    while pending:
        finished, pending = wait(pending, return_when="FIRST_COMPLETED")
        yield from (future.result() for future in finished)


def _dask_client(scheduler: str):
    """A client of the Dask scheduler at `scheduler`, or a clear error if there is none."""
    try:
        from distributed import Client
    except ImportError:
        message = "needs the `distributed` package: pip install 'frontline[cluster]'"
        raise InputError([Problem(scheduler, "--scheduler", message)]) from None
    try:
        return Client(scheduler, timeout=CONNECT_SECONDS)
    except (OSError, ValueError) as error:
        message = f"no Dask scheduler answers at this address ({error}); nothing was written"
        raise InputError([Problem(scheduler, "--scheduler", message)]) from None


def _on_dask(tasks: list[RunTask], client) -> Iterator[RunOutput]:
    """Run on a Dask distributed cluster, with a bounded number of runs in flight."""
    from distributed import wait

    workers = max(1, len(client.scheduler_info()["workers"]))

    def submit(function, task):
        return client.submit(function, task, pure=False)

    yield from _bounded(submit, tasks, 4 * workers, wait)
