"""Sweep throughput against mesa.batch_run, and memory over a 10,000-run sweep.

    python benchmarks/sweep.py throughput [--replicates 60] [--workers N]
    python benchmarks/sweep.py memory [--runs 10000]

throughput: the runs of `experiments/quick.toml` (3 variants x replicates) done by
`frontline sweep` (results streamed to Parquet) and by `mesa.batch_run` (the same model
class, the same scenarios and seeds, the same number of processes), timed in one
process. Target: at least 2x the runs per second of batch_run.

memory: a sweep of `--runs` runs (the quick experiment with a 30-day horizon) in a
child process whose resident memory is sampled every 0.2 s. Target: flat memory (the
peak over the second half of the sweep within 10 % + 20 MB of the peak over the first).
"""

from __future__ import annotations

import argparse
import inspect
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mesa import batch_run  # noqa: E402

from sim.experiments.experiment import load_experiment  # noqa: E402
from sim.experiments.sweep import sweep  # noqa: E402
from sim.model.model import FrontlineModel  # noqa: E402

QUICK = ROOT / "experiments" / "quick.toml"


def throughput(replicates: int, workers: int) -> bool:
    experiment = load_experiment(QUICK)
    days = experiment.spec.days
    plan = experiment.plan(replicates)
    scenarios = list(experiment.scenarios.values())
    seeds = sorted({task.seed for task in plan})[:replicates]
    FrontlineModel(scenarios[0], days=1).run_model()  # compile (or load) the kernels first
    with tempfile.TemporaryDirectory() as directory:
        start = time.perf_counter()
        result = sweep(experiment, Path(directory) / "out", replicates=replicates,
                       workers=workers, progress=False)  # fmt: skip
        ours = result.ran / (time.perf_counter() - start)
    options = {"number_processes": workers, "max_steps": days, "display_progress": False}
    parameters: dict = {"scenario": scenarios, "days": days}
    if "rng" in inspect.signature(batch_run).parameters:  # mesa >= 3.4
        options["rng"] = seeds
    else:
        parameters["seed"] = seeds
    start = time.perf_counter()
    rows = batch_run(FrontlineModel, parameters, **options)
    theirs = len(rows) / (time.perf_counter() - start)
    print(f"{len(plan)} runs of {days} days, {workers} processes")
    print(f"  frontline sweep   {ours:7.1f} runs/s  (results written to Parquet)")
    print(f"  mesa.batch_run    {theirs:7.1f} runs/s  ({len(rows)} rows kept in memory)")
    ratio = ours / theirs
    print(f"{'PASS' if ratio >= 2 else 'FAIL'}  {ratio:.2f}x the runs per second (>= 2x)")
    return ratio >= 2


def memory(runs: int) -> bool:
    replicates = max(1, runs // 3)
    with tempfile.TemporaryDirectory() as directory:
        script = (
            "import sim.experiments.sweep as s; "
            "from sim.experiments.experiment import load_experiment; "
            f"e = load_experiment({str(QUICK)!r}); e.spec.days = 30; "
            f"s.sweep(e, {str(Path(directory) / 'out')!r}, replicates={replicates}, "
            "progress=False)"
        )
        process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
        samples = []
        while process.poll() is None:
            samples.append(_resident_mb(process.pid))
            time.sleep(0.2)
        if process.returncode != 0:
            print("the sweep failed")
            return False
    samples = [s for s in samples if s is not None]
    half = len(samples) // 2
    first, second = max(samples[:half]), max(samples[half:])
    flat = second <= first * 1.1 + 20
    print(
        f"{3 * replicates} runs: resident memory of the sweep process, peak over the first "
        f"half {first:.0f} MB, over the second half {second:.0f} MB ({len(samples)} samples)"
    )
    print(f"{'PASS' if flat else 'FAIL'}  flat memory (second half <= first half x 1.1 + 20 MB)")
    return flat


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
    size = commands.add_parser("memory")
    size.add_argument("--runs", type=int, default=10_000)
    args = parser.parse_args()
    ok = (
        throughput(args.replicates, args.workers)
        if args.what == "throughput"
        else memory(args.runs)
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
