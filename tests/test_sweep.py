"""Sweeps: the same rows serially, in parallel and on a Dask cluster; resume; failures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import distributed
import pandas as pd
import pytest

from sim.experiments.experiment import load_experiment, run_seed
from sim.experiments.results import ResultStore
from sim.experiments.sweep import sweep
from sim.formats.problems import InputError
from tests.conftest import ROOT

VALLEY = ROOT / "scenarios" / "teaching" / "valley.toml"


def write_experiment(directory: Path, replicates: int = 4, days: int = 45, extra: str = "") -> Path:
    path = directory / "experiment.toml"
    path.write_text(
        f"""
name = "test"
replicates = {replicates}
seed = 42
days = {days}

[variants.base]
scenario = "{VALLEY}"
baseline = true

[variants.no_air]
scenario = "{VALLEY}"
set = {{ "factions.blue.air.sorties_per_day" = 0 }}

[comparisons.red_holds_more]
metric = "places.red"
variant = "no_air"
expect = "greater"
{extra}
""",
        encoding="utf-8",
    )
    return path


def rows(directory: Path) -> pd.DataFrame:
    """All stored rows of every table, in a canonical order."""
    store = ResultStore(directory)
    runs = store.read("runs").sort_values("run_id").reset_index(drop=True)
    series = store.read("timeseries").sort_values(["run_id", "day", "faction"])
    captures = store.read("captures").sort_values(["run_id", "day", "place"])
    return runs, series.reset_index(drop=True), captures.reset_index(drop=True)


def assert_same_results(a: Path, b: Path) -> None:
    for left, right in zip(rows(a), rows(b), strict=True):
        pd.testing.assert_frame_equal(left, right[left.columns])


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """A reference sweep run in this process."""
    directory = tmp_path_factory.mktemp("sweeps")
    experiment = load_experiment(write_experiment(directory))
    result = sweep(experiment, directory / "serial", workers=1, progress=False)
    assert result.ran == 8 and result.failed == 0
    return experiment, directory / "serial"


def test_every_run_is_stored_with_its_seed_and_command(serial):
    experiment, directory = serial
    runs, series, captures = rows(directory)
    assert sorted(runs["run_id"]) == sorted(t.run_id for t in experiment.plan())
    assert runs.loc[runs["run_id"] == "no_air/0/3", "seed"].item() == run_seed(42, 1, 0, 3)
    assert series.groupby("run_id").size().eq(46 * 3).all()
    assert {
        "metric.places.red",
        "metric.front_length_km",
        "param.factions.blue.air.sorties_per_day",
    } <= set(runs)
    assert not captures.empty


def test_a_stored_run_can_be_repeated_alone(serial):
    _, directory = serial
    runs, _, _ = rows(directory)
    row = runs[runs["run_id"] == "no_air/0/2"].iloc[0]
    command = row["command"].replace("frontline run", f"{sys.executable} -m sim run", 1)
    output = subprocess.run(command + " --json", shell=True, capture_output=True, text=True)
    assert output.returncode == 0, output.stderr
    alone = json.loads(output.stdout)
    assert alone["metrics"]["places.red"] == row["metric.places.red"]
    assert alone["metrics"]["front_length_km"] == row["metric.front_length_km"]


def test_a_sweep_keeps_none_of_its_models(serial, tmp_path):
    """A worker frees every model it ran (under mesa 3.3, `Agent._ids` kept them all: a
    worker grew by about 1 MB a run); the in-process sweep runs the workers' code."""
    import gc

    from sim.model.model import FrontlineModel

    def models() -> set[int]:
        gc.collect()
        # type(), not isinstance(): the heap holds weak proxies, some of them dead
        return {id(o) for o in gc.get_objects() if issubclass(type(o), FrontlineModel)}

    experiment, _ = serial
    before = models()  # other tests' fixtures may hold some
    sweep(experiment, tmp_path / "again", workers=1, progress=False)
    assert models() - before == set()


def test_parallel_workers_store_the_same_rows(serial, tmp_path):
    experiment, reference = serial
    sweep(experiment, tmp_path / "parallel", workers=3, progress=False)
    assert_same_results(reference, tmp_path / "parallel")


def test_workers_given_batches_of_replicates_store_the_same_rows(serial, tmp_path, monkeypatch):
    import sim.experiments.sweep as sweeps

    experiment, reference = serial
    monkeypatch.setattr(sweeps, "BATCHES_PER_WORKER", 1)  # 8 runs, 2 workers: 4 a batch
    assert [len(b) for b in sweeps.batches(experiment.plan(), 2)] == [4, 4]
    assert [{t.variant for t in b} for b in sweeps.batches(experiment.plan(), 2)] == [
        {"base"},
        {"no_air"},
    ]
    sweep(experiment, tmp_path / "batched", workers=2, progress=False)
    assert_same_results(reference, tmp_path / "batched")


def test_a_batch_holds_runs_of_one_setting_only(serial, monkeypatch):
    import sim.experiments.sweep as sweeps

    experiment, _ = serial
    monkeypatch.setattr(sweeps, "BATCHES_PER_WORKER", 1)
    plan = experiment.plan(replicates=5)  # 2 variants x 5 replicates; batches of up to 8
    assert sweeps.batches(plan, 1) == [tuple(plan[:5]), tuple(plan[5:])]
    assert [len(b) for b in sweeps.batches(plan, 4)] == [2, 2, 1, 2, 2, 1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A Dask scheduler and two worker processes on 127.0.0.1, each started as on a real
    cluster (`dask scheduler`, `dask worker`), in processes of their own."""
    info = tmp_path / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": tmp_path}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", "0", "--no-dashboard", "--scheduler-file", str(info)], **quiet,
    )  # fmt: skip
    workers = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file", str(info),
         "--nworkers", "2", "--nthreads", "1", "--no-dashboard"], **quiet,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not info.is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for process in (workers, scheduler):
            process.terminate()
            process.wait(timeout=30)


def test_a_dask_cluster_stores_the_same_rows(serial, tmp_path, dask_cluster):
    experiment, reference = serial
    assert dask_cluster.startswith("tcp://127.0.0.1:")
    sweep(experiment, tmp_path / "dask", scheduler=dask_cluster, progress=False)
    assert_same_results(reference, tmp_path / "dask")


def test_an_unreachable_scheduler_is_reported_before_anything_is_written(
    serial, tmp_path, monkeypatch
):
    experiment, _ = serial
    monkeypatch.setattr("sim.experiments.workers.CONNECT_SECONDS", 2)
    address = "tcp://127.0.0.1:9"  # the discard port: nobody answers
    with pytest.raises(InputError, match="no Dask scheduler answers") as raised:
        sweep(experiment, tmp_path / "out", scheduler=address, progress=False)
    assert raised.value.problems[0].file == address
    assert raised.value.problems[0].where == "--scheduler"
    assert not (tmp_path / "out").exists()


def test_workers_are_not_forked_beside_the_progress_bar_thread(serial, tmp_path, monkeypatch):
    """Forking a process that runs other threads can deadlock the child: the progress
    bar must not start its monitor thread before the workers are forked."""
    import threading

    import sim.experiments.sweep

    experiment, _ = serial
    at_fork = []
    on_processes = sim.experiments.sweep._on_processes

    def spy(tasks, workers):
        at_fork.extend(t.name for t in threading.enumerate())
        yield from on_processes(tasks, workers)

    monkeypatch.setattr(sim.experiments.sweep, "_on_processes", spy)
    sweep(experiment, tmp_path / "out", workers=2, progress=True)
    assert at_fork and "tqdm_monitor" not in at_fork


def test_a_second_sweep_into_a_full_directory_is_refused(serial):
    experiment, directory = serial
    before = sorted(p.stat().st_mtime_ns for p in directory.rglob("*"))
    with pytest.raises(InputError, match="is not empty: use --resume"):
        sweep(experiment, directory, workers=1, progress=False)
    assert sorted(p.stat().st_mtime_ns for p in directory.rglob("*")) == before


def test_resume_refuses_a_changed_experiment(serial, tmp_path):
    experiment, directory = serial
    with pytest.raises(InputError, match="changed since this sweep began"):
        sweep(experiment, directory, replicates=5, resume=True, workers=1, progress=False)


def test_a_killed_sweep_resumes_to_the_same_rows(serial, tmp_path, monkeypatch):
    """SIGKILL part-way through (batches of 2 runs are stored as they finish), then
    --resume: only the missing runs are computed, and the rows equal the reference."""
    experiment, reference = serial
    out = tmp_path / "killed"
    script = (
        "import sys, sim.experiments.sweep as s; s.BATCH_RUNS = 2; "
        "from sim.experiments.experiment import load_experiment; "
        f"s.sweep(load_experiment({str(experiment.source)!r}), {str(out)!r}, workers=1, "
        "progress=False)"
    )
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(list((out / "runs").glob("part-*.parquet"))) >= 2:
            break
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done = ResultStore(out).completed()
    assert 0 < len(done) < 8, "the sweep should have been killed part-way"
    result = sweep(experiment, out, resume=True, workers=1, progress=False)
    assert result.done_before == len(done)
    assert result.ran == 8 - len(done)
    assert_same_results(reference, out)


def test_resume_by_other_code_is_refused_while_runs_are_missing(serial, tmp_path, monkeypatch):
    experiment, _ = serial
    out = tmp_path / "partial"
    monkeypatch.setattr("sim.experiments.sweep.BATCH_RUNS", 4)
    sweep(experiment, out, workers=1, progress=False)
    (out / "runs" / "part-000001.parquet").unlink()  # as if killed before the last batch
    monkeypatch.setattr("sim.experiments.sweep.code_version", lambda: "9.9+other")
    with pytest.raises(InputError, match="rows of two versions would be mixed"):
        sweep(experiment, out, resume=True, workers=1, progress=False)
    assert len(ResultStore(out).completed()) == 4


def test_a_finished_sweep_resumed_by_other_code_only_reports(serial, monkeypatch):
    experiment, directory = serial
    monkeypatch.setattr("sim.experiments.sweep.code_version", lambda: "9.9+other")
    result = sweep(experiment, directory, resume=True, workers=1, progress=False)
    assert (result.done_before, result.ran) == (8, 0)


def test_a_failing_run_is_recorded_and_the_others_complete(serial, tmp_path, monkeypatch):
    from sim.model.model import FrontlineModel

    experiment, _ = serial
    bad_seed = run_seed(42, 0, 0, 1)
    real_run = FrontlineModel.run_to_horizon

    def run_to_horizon(self):
        if self.seed == bad_seed:
            raise ZeroDivisionError("boom on day 5")
        real_run(self)

    monkeypatch.setattr(FrontlineModel, "run_to_horizon", run_to_horizon)
    result = sweep(experiment, tmp_path / "failing", workers=1, progress=False)
    runs, _, _ = rows(tmp_path / "failing")
    assert result.failed == 1
    failed = runs[runs["status"] == "error"]
    assert list(failed["run_id"]) == ["base/0/1"]
    assert failed["seed"].item() == bad_seed
    assert "ZeroDivisionError: boom on day 5" in failed["error"].item()
    assert (runs["status"] == "ok").sum() == 7


def test_bad_experiment_files_name_file_and_key(tmp_path):
    path = write_experiment(
        tmp_path,
        extra='\n[comparisons.bad]\nmetric = "places.purple"\nvariant = "nope"\nexpect = "up"\n',
    )
    text = path.read_text().replace("replicates = 4", "replicates = -1\nreplicas = 2")
    text = text.replace('"factions.blue.air.sorties_per_day"', '"factions.blue.air.sortis"')
    path.write_text(text)
    with pytest.raises(InputError) as error:
        load_experiment(path)
    message = str(error.value)
    for expected in (
        "experiment.toml: replicates: must be between 1 and 1000000, got -1",
        "experiment.toml: replicas: unknown key (did you mean 'replicates'?)",
        "experiment.toml: comparisons.bad.variant: unknown variant 'nope'",
        "experiment.toml: comparisons.bad.expect: must be one of 'greater', 'less', 'different'",
        "variants.no_air.set: factions.blue.air.sortis: unknown key",
    ):
        assert expected in message
