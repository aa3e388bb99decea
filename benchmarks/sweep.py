"""Sweep throughput against mesa.batch_run, and memory over a 10,000-run sweep.

    python benchmarks/sweep.py throughput [--replicates 60] [--workers N] [--experiment FILE]
    python benchmarks/sweep.py throughput --scenario FILE [--days N] [--scheduler ADDRESS]
    python benchmarks/sweep.py memory [--runs 20000] [--experiment FILE] [--days N]

throughput: the runs of `experiments/quick.toml` (3 variants x replicates) done by
`frontline sweep` (results streamed to Parquet) and by `mesa.batch_run` (the same model
class, the same scenarios and seeds, the same number of processes), timed in one
process. Target: at least 2x the runs per second of batch_run.

memory: a sweep of `--runs` runs (the quick experiment by default) in a child process;
the resident memory of the whole process tree (the sweep and its worker processes) is
sampled every 0.2 s, with the number of runs stored so far. Target: the peak at most
1.5x the memory over the first 1,000 runs.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from mesa import batch_run  # noqa: E402

from sim.experiments.experiment import load_experiment  # noqa: E402
from sim.experiments.sweep import sweep  # noqa: E402
from sim.model.model import FrontlineModel  # noqa: E402

QUICK = ROOT / "experiments" / "quick.toml"


def scenario_experiment(scenario: Path, days: int | None, directory: Path) -> Path:
    """An experiment of one variant: `scenario` as it is (for a scenario's own sweep)."""
    path = directory / f"{scenario.stem}_experiment.toml"
    horizon = f"days = {days}\n" if days else ""
    path.write_text(
        f'name = "{scenario.stem}"\nreplicates = 10\nseed = 1\n{horizon}'
        f'[variants.base]\nscenario = "{scenario}"\nbaseline = true\n',
        encoding="utf-8",
    )
    return path


def throughput(replicates: int, workers: int, path: Path, scheduler: str | None = None) -> bool:
    """Runs per second of `frontline sweep` of the experiment at `path`, and of
    `mesa.batch_run` on its scenarios and seeds (or, with `scheduler`, of the sweep on
    that Dask cluster against the same sweep on local workers)."""
    experiment = load_experiment(path)
    scenarios = list(experiment.scenarios.values())
    days = experiment.spec.days or max(s.spec.run.days for s in scenarios)
    plan = experiment.plan(replicates)
    seeds = sorted({task.seed for task in plan})[:replicates]
    FrontlineModel(scenarios[0], days=1).run_model()  # compile (or load) the kernels first
    with tempfile.TemporaryDirectory() as directory:
        start = time.perf_counter()
        result = sweep(experiment, Path(directory) / "out", replicates=replicates,
                       workers=workers, progress=False)  # fmt: skip
        ours = result.ran / (time.perf_counter() - start)
    print(f"{result.ran} runs of {path.name} ({days} days), {workers} processes")
    print(f"  frontline sweep   {ours:7.1f} runs/s  (results written to Parquet)")
    if scheduler:
        with tempfile.TemporaryDirectory() as directory:
            start = time.perf_counter()
            result = sweep(experiment, Path(directory) / "out", replicates=replicates,
                           scheduler=scheduler, progress=False)  # fmt: skip
            dask = result.ran / (time.perf_counter() - start)
        ratio = dask / ours
        print(f"  on Dask at {scheduler}  {dask:7.1f} runs/s")
        print(f"{'PASS' if ratio >= 0.7 else 'FAIL'}  Dask {ratio:.0%} of local (>= 70 %)")
        return ratio >= 0.7
    options = {"number_processes": workers, "max_steps": days, "display_progress": False}
    parameters: dict = {"scenario": scenarios, "days": experiment.spec.days}  # None: their own
    if "rng" in inspect.signature(batch_run).parameters:  # mesa >= 3.4
        options["rng"] = seeds
    else:
        parameters["seed"] = seeds
    start = time.perf_counter()
    try:
        rows = batch_run(FrontlineModel, parameters, **options)
    except Exception as error:  # the model's DataCollector not as batch_run reads it
        print(f"  mesa.batch_run    failed: {type(error).__name__}: {error}")
        return False
    theirs = len(rows) / (time.perf_counter() - start)
    print(f"  mesa.batch_run    {theirs:7.1f} runs/s  ({len(rows)} rows kept in memory)")
    ratio = ours / theirs
    print(f"{'PASS' if ratio >= 2 else 'FAIL'}  {ratio:.2f}x the runs per second (>= 2x)")
    return ratio >= 2


def memory(runs: int, experiment_path: Path, days: int | None, workers: int) -> bool:
    """Resident memory of the whole process tree (the sweep and its workers) during a
    sweep of `runs` runs: its peak against its value once the first 1,000 runs are
    stored."""
    experiment = load_experiment(experiment_path)
    replicates = max(1, runs // (len(experiment.spec.variants) * len(experiment.points)))
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "out"
        script = (
            "import sim.experiments.sweep as s; "
            "from sim.experiments.experiment import load_experiment; "
            f"e = load_experiment({str(experiment_path)!r}); "
            + (f"e.spec.days = {days}; " if days else "")
            + f"s.sweep(e, {str(out)!r}, replicates={replicates}, workers={workers}, "
            "progress=False)"
        )
        process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
        counter = _StoredRuns(out / "runs")
        samples: list[tuple[float, int, float]] = []  # (seconds, runs stored, tree MB)
        start = time.perf_counter()
        while process.poll() is None:
            samples.append((time.perf_counter() - start, counter.count(), _tree_mb(process.pid)))
            time.sleep(0.2)
        stored = counter.count()
        if process.returncode != 0:
            print("the sweep failed")
            return False
    early = [mb for _, done, mb in samples if done <= 1000]
    at_1000, peak = max(early), max(mb for _, _, mb in samples)
    ratio = peak / at_1000
    print(
        f"{stored} runs of {experiment_path.name} ({days or experiment.spec.days} days), "
        f"{workers} workers, {samples[-1][0]:.0f} s: resident memory of the process tree "
        f"(sweep + workers) {at_1000:.0f} MB over the first 1,000 runs, peak {peak:.0f} MB "
        f"({len(samples)} samples)"
    )
    for seconds, done, mb in samples[:: max(1, len(samples) // 10)]:
        print(f"  {seconds:7.1f} s  {done:6d} runs  {mb:7.0f} MB")
    print(
        f"{'PASS' if ratio <= 1.5 else 'FAIL'}  peak {ratio:.2f}x the first 1,000 runs' (<= 1.5x)"
    )
    return ratio <= 1.5


class _StoredRuns:
    """How many runs a sweep has stored so far (the rows of its committed runs parts)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.rows: dict[Path, int] = {}

    def count(self) -> int:
        for path in self.folder.glob("part-*.parquet") if self.folder.is_dir() else ():
            if path not in self.rows:
                with contextlib.suppress(OSError, pa.ArrowException):
                    self.rows[path] = pq.read_metadata(path).num_rows
        return sum(self.rows.values())


def _tree_mb(root: int) -> float:
    """Resident memory (MB) of process `root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += _resident_mb(pid) or 0.0
        todo += children.get(pid, [])
    return total


def _resident_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="what", required=True)
    speed = commands.add_parser("throughput")
    speed.add_argument("--replicates", type=int, default=60)
    speed.add_argument("--workers", type=int, default=os.cpu_count())
    speed.add_argument("--experiment", type=Path, default=QUICK)
    speed.add_argument("--scenario", type=Path, help="sweep this scenario alone instead")
    speed.add_argument("--days", type=int, help="the scenario's horizon (default: its own)")
    speed.add_argument("--scheduler", help="compare a Dask cluster's sweep with local workers")
    size = commands.add_parser("memory")
    size.add_argument("--runs", type=int, default=20_000)
    size.add_argument("--experiment", type=Path, default=QUICK)
    size.add_argument("--days", type=int, help="horizon (default: the experiment's)")
    size.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()
    if args.what == "memory":
        ok = memory(args.runs, args.experiment.resolve(), args.days, args.workers)
    elif args.scenario:
        with tempfile.TemporaryDirectory() as directory:
            path = scenario_experiment(args.scenario.resolve(), args.days, Path(directory))
            ok = throughput(args.replicates, args.workers, path, args.scheduler)
    else:
        ok = throughput(args.replicates, args.workers, args.experiment.resolve(), args.scheduler)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
