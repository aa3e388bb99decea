"""Sweeps under faults: a lost worker, a killed parent, a full or read-only disk; and the
stored rows, identical however the runs were batched.

Workers are killed for real (SIGKILL), the disk is a small tmpfs where the machine lets
us mount one (root on Linux), else a write that fails as a full disk does.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sim.experiments.results
import sim.experiments.sweep
from sim.experiments.experiment import load_experiment
from sim.experiments.results import ResultStore, StorageError
from sim.experiments.sweep import sweep
from sim.experiments.workers import MAX_ATTEMPTS
from tests.conftest import ROOT
from tests.test_sweep import assert_same_results, write_experiment


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An experiment of 2 variants x 4 replicates, and its sweep run serially."""
    directory = tmp_path_factory.mktemp("faults")
    experiment = load_experiment(write_experiment(directory))
    sweep(experiment, directory / "serial", workers=1, progress=False)
    return experiment, directory / "serial"


def dying_on(run_ids: set[str], marker: Path, times: int):
    """A `run_one` that kills its own worker process (SIGKILL) the first `times` times it
    is given one of `run_ids`; each death leaves a line in `marker`."""
    real = sim.experiments.sweep.run_one

    def run_one(task):
        deaths = marker.read_text().count("\n") if marker.exists() else 0
        if task.run_id in run_ids and deaths < times:
            with marker.open("a") as log:
                log.write(f"{task.run_id}\n")
            os.kill(os.getpid(), signal.SIGKILL)
        return real(task)

    return run_one


def test_a_killed_worker_is_replaced_and_its_run_done_again(reference, tmp_path, monkeypatch):
    experiment, serial = reference
    marker = tmp_path / "deaths"
    monkeypatch.setattr(sim.experiments.sweep, "run_one", dying_on({"no_air/0/2"}, marker, 1))
    result = sweep(experiment, tmp_path / "out", workers=2, progress=False)
    assert marker.read_text() == "no_air/0/2\n", "the worker should have died once"
    assert (result.ran, result.failed) == (8, 0)
    assert_same_results(serial, tmp_path / "out")


def test_a_batch_that_kills_its_worker_is_done_again_run_by_run(reference, tmp_path, monkeypatch):
    experiment, serial = reference
    marker = tmp_path / "deaths"
    monkeypatch.setattr(sim.experiments.sweep, "BATCHES_PER_WORKER", 1)  # batches of 4
    monkeypatch.setattr(sim.experiments.sweep, "run_one", dying_on({"no_air/0/2"}, marker, 2))
    result = sweep(experiment, tmp_path / "out", workers=2, progress=False)
    assert marker.read_text() == "no_air/0/2\n" * 2, "the worker should have died twice"
    assert (result.ran, result.failed) == (8, 0)
    assert_same_results(serial, tmp_path / "out")


def test_a_run_that_always_kills_its_worker_is_stored_as_an_error(reference, tmp_path, monkeypatch):
    experiment, _ = reference
    marker = tmp_path / "deaths"
    monkeypatch.setattr(sim.experiments.sweep, "run_one", dying_on({"base/0/1"}, marker, 99))
    result = sweep(experiment, tmp_path / "out", workers=2, progress=False)
    runs = ResultStore(tmp_path / "out").read("runs").set_index("run_id")
    assert marker.read_text().count("\n") == MAX_ATTEMPTS
    assert result.failed == 1 and len(runs) == 8
    assert runs.loc["base/0/1", "status"] == "error"
    assert "worker process died" in runs.loc["base/0/1", "error"]
    assert "signal 9" in runs.loc["base/0/1", "error"]
    assert (runs.drop(index="base/0/1")["status"] == "ok").all()


SLOW_SWEEP = """
import sys, time
import sim.experiments.sweep as s
from sim.experiments.experiment import load_experiment
real = s.run_one
def slow(task):
    time.sleep(float(sys.argv[3]))
    return real(task)
s.run_one = slow
s.sweep(load_experiment(sys.argv[1]), sys.argv[2], workers=2, progress=True)
"""


def start_slow_sweep(experiment: Path, out: Path, delay: float = 0.05) -> subprocess.Popen:
    """A sweep in a process of its own (with its progress bar, as on the command line),
    each run slowed by `delay` seconds, on 2 workers; what it prints goes to OUT.log."""
    command = [sys.executable, "-c", SLOW_SWEEP, str(experiment), str(out), str(delay)]
    log = out.with_suffix(".log").open("w")
    return subprocess.Popen(command, cwd=ROOT, stderr=log, stdout=log)


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def alive(process: psutil.Process) -> bool:
    with contextlib.suppress(psutil.NoSuchProcess):
        return process.status() != psutil.STATUS_ZOMBIE
    return False


@pytest.fixture(scope="module")
def long_reference(tmp_path_factory):
    """A longer experiment (2 x 40 runs) and its sweep run serially."""
    directory = tmp_path_factory.mktemp("long")
    path = write_experiment(directory, replicates=40, days=60)
    sweep(load_experiment(path), directory / "serial", workers=1, progress=False)
    return path, directory / "serial"


def test_a_worker_killed_from_outside_mid_sweep(long_reference, tmp_path):
    """`kill -9` of one worker while the sweep runs: the sweep finishes, identical."""
    path, serial = long_reference
    out = tmp_path / "out"
    sweeping = start_slow_sweep(path, out, delay=0.25)  # 80 runs: 10 s on 2 workers
    parent = psutil.Process(sweeping.pid)
    wait_for(lambda: list((out / "runs").glob("part-*.parquet")), 60, "a first stored part")
    workers = wait_for(lambda: parent.children(), 10, "the workers")
    assert sweeping.poll() is None and len(ResultStore(out).completed()) < 80  # mid-sweep
    workers[0].kill()
    assert sweeping.wait(timeout=120) == 0, out.with_suffix(".log").read_text()
    assert len(ResultStore(out).completed()) == 80, "every run stored once"
    assert_same_results(serial, out)


def test_no_worker_outlives_a_killed_sweep(long_reference, tmp_path):
    path, _ = long_reference
    sweeping = start_slow_sweep(path, tmp_path / "out")
    parent = psutil.Process(sweeping.pid)
    wait_for(lambda: len(parent.children()) >= 2, 60, "two workers")
    descendants = parent.children(recursive=True)
    os.kill(sweeping.pid, signal.SIGKILL)
    sweeping.wait(timeout=10)
    deadline = time.monotonic() + 5
    while any(alive(p) for p in descendants) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = [f"{p.pid} {p.name()}" for p in descendants if alive(p)]
    for process in descendants:  # do not leave them behind if the test fails
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    assert not survivors, f"still running 5 s after the sweep was killed: {survivors}"


def test_finished_runs_are_written_while_a_long_run_goes_on(reference, tmp_path, monkeypatch):
    """A run taking 6 s does not keep the runs finished before it in memory."""
    experiment, _ = reference
    out = tmp_path / "out"
    real = sim.experiments.sweep.run_one
    seen_on_disk = []

    def run_one(task):
        if task.run_id == "base/0/2":
            deadline = time.monotonic() + 6
            while time.monotonic() < deadline and not seen_on_disk:
                if {"base/0/0", "base/0/1"} <= ResultStore(out).completed():
                    seen_on_disk.append(time.monotonic() + 6 - deadline)
                time.sleep(0.05)
        return real(task)

    monkeypatch.setattr(sim.experiments.sweep, "run_one", run_one)
    sweep(experiment, out, workers=1, progress=False)
    assert seen_on_disk, "the finished runs were not written while the long run went on"
    assert seen_on_disk[0] <= sim.experiments.sweep.BATCH_SECONDS + 1


def test_identical_sweeps_store_identical_rows_however_batched(reference, tmp_path, monkeypatch):
    """One run per part or all in one: every part has the sweep's schema, a parameter a
    variant does not set is null (never None in one part and NaN in another), and the
    rows are equal byte for byte."""
    experiment, serial = reference
    monkeypatch.setattr(sim.experiments.sweep, "BATCH_RUNS", 1)
    sweep(experiment, tmp_path / "one_by_one", workers=2, progress=False)
    parts = sorted((tmp_path / "one_by_one" / "runs").glob("part-*.parquet"))
    schemas = {pq.read_schema(part) for part in parts}
    assert len(parts) == 8 and len(schemas) == 1
    reference_parts = sorted((serial / "runs").glob("part-*.parquet"))
    assert {pq.read_schema(part) for part in reference_parts} == schemas

    def table(directory: Path) -> pa.Table:
        parts = sorted((directory / "runs").glob("part-*.parquet"))
        return pa.concat_tables(pq.read_table(p) for p in parts).sort_by("run_id")

    one_by_one, together = table(tmp_path / "one_by_one"), table(serial)
    assert one_by_one.equals(together)
    parameter = one_by_one.column("param.factions.blue.air.sorties_per_day")
    variants = one_by_one.column("variant").to_pylist()
    assert [v is None for v in parameter.to_pylist()] == [v == "base" for v in variants]
    assert parameter.type == pa.int64()


# --- a full or read-only disk ---------------------------------------------------------


def leftovers(directory: Path) -> list[str]:
    """Temporary files, and parts of a batch whose runs part is missing."""
    temporary = [str(p) for p in directory.rglob("*.tmp")]
    committed = {p.name for p in (directory / "runs").glob("part-*.parquet")}
    uncommitted = [
        str(p)
        for table in ("timeseries", "captures")
        for p in (directory / table).glob("part-*.parquet")
        if p.name not in committed
    ]
    return temporary + uncommitted


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs, where mounting one is allowed (else the test is skipped: the
    simulated failure below covers the same code everywhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def remount(mount: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mount)], check=True)


def fill(mount: Path, leave_bytes: int) -> None:
    """Fill the tmpfs until `leave_bytes` are free."""
    free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
    (mount / "ballast").write_bytes(b"\0" * max(0, free - leave_bytes))


def test_a_disk_that_fills_up_mid_sweep(long_reference, small_disk, capsys, monkeypatch):
    """The sweep stops with one message naming the folder, nothing half-written, the
    runs stored before intact; with room again, --resume completes identically."""
    from sim.cli import main

    monkeypatch.setattr(sim.experiments.sweep, "BATCH_RUNS", 5)
    path, serial = long_reference
    out = small_disk / "results"
    fill(small_disk, leave_bytes=120_000)  # room for a few parts only
    code = main(["sweep", str(path), "--out", str(out), "--workers", "1", "--no-report"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{out}: --out: cannot write the runs that finished (No space left on device)" in err
    assert "Traceback" not in err and err.count("--out:") == 1
    assert leftovers(out) == []
    stored = ResultStore(out).completed()
    assert 0 < len(stored) < 80
    (small_disk / "ballast").unlink()
    remount(small_disk, "size=64m")
    assert main(["sweep", str(path), "--out", str(out), "--resume", "--no-report"]) == 0
    assert_same_results(serial, out)


def test_a_disk_made_read_only_mid_sweep(long_reference, small_disk, capsys, monkeypatch):
    """The disk turns read-only while runs go on: one message naming the folder; a
    --resume while it is still read-only is refused before anything runs; once writable
    again, --resume completes identically."""
    from sim.cli import main

    path, serial = long_reference
    out = small_disk / "results"
    remount(small_disk, "size=64m")
    real = sim.experiments.sweep.run_one

    def run_one(task):
        if task.run_id == "no_air/0/5" and os.access(small_disk, os.W_OK):
            remount(small_disk, "ro")
        return real(task)

    monkeypatch.setattr(sim.experiments.sweep, "BATCH_RUNS", 10)
    monkeypatch.setattr(sim.experiments.sweep, "run_one", run_one)
    command = ["sweep", str(path), "--out", str(out), "--workers", "1", "--no-report"]
    assert main(command) == 1
    err = capsys.readouterr().err
    assert f"{out}: --out: cannot write the runs that finished (Read-only file system)" in err
    assert "Traceback" not in err
    stored = ResultStore(out).completed()
    assert 40 <= len(stored) < 80 and leftovers(out) == []
    assert main([*command, "--resume"]) == 1
    assert f"{out} is on a read-only file system" in capsys.readouterr().err
    remount(small_disk, "rw")
    monkeypatch.setattr(sim.experiments.sweep, "run_one", real)
    assert main([*command, "--resume"]) == 0
    assert_same_results(serial, out)


def test_a_failed_write_leaves_nothing_half_written(reference, tmp_path, monkeypatch):
    """Where no tmpfs can be mounted: the third part's write fails as a full disk does
    (after its temporary file was begun, and after the time series part of the batch was
    written); nothing of that batch remains, and --resume completes identically."""
    experiment, serial = reference
    out = tmp_path / "out"
    writes = []
    real_write = pq.write_table

    def write_table(table, where, **options):
        writes.append(where)
        if len(writes) == 8:  # batch 3: time series written, captures begun
            Path(where).write_bytes(b"PAR1 half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(table, where, **options)

    monkeypatch.setattr(sim.experiments.sweep, "BATCH_RUNS", 2)
    monkeypatch.setattr(sim.experiments.results.pq, "write_table", write_table)
    with pytest.raises(StorageError) as raised:
        sweep(experiment, out, workers=1, progress=False)
    (problem,) = raised.value.problems
    assert (problem.file, problem.where) == (out, "--out")
    assert "No space left on device" in problem.message
    assert leftovers(out) == []
    assert len(ResultStore(out).completed()) == 4
    monkeypatch.setattr(sim.experiments.results.pq, "write_table", real_write)
    result = sweep(experiment, out, workers=1, resume=True, progress=False)
    assert (result.done_before, result.ran) == (4, 4)
    assert_same_results(serial, out)
