"""The `frontline run` command as a process: its whole time, where it goes, and many seeds.

    python benchmarks/cli.py [--repeats 7] [--seeds 200] [--scenario FILE]

Times, as the median of `--repeats` processes started one after the other:

- `frontline run SCENARIO --json` (the console script of this environment), whole
  process, from start to exit;
- the same command ended by the interpreter's normal teardown (`sys.exit(main())`), the
  way it ended before the console script skipped it;
- the reference floor: an interpreter that starts and exits (`python -c pass`);
- the split of a run, timed inside one process doing what the command does: imports,
  loading the scenario, the first (one-day) model (loading the cached compiled kernels),
  the run, the summary (in processes of their own, so the parts do not add up exactly
  to the whole); the teardown skipped is the difference of the two wholes;

and one process running `--seeds 0-N` (one line of JSON a run).

Targets (issue 16, exit status 1 if missed): the whole process <= 1.2 s; 200 seeds in
one process <= 10 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "syria" / "base_2015.toml"
FRONTLINE = Path(sys.executable).with_name("frontline")
TARGET_SECONDS = 1.2
TARGET_SEEDS_SECONDS = 10.0

PHASES = """
import json, sys, time
start = time.perf_counter()
stamps = {}
import sim.cli, sim.formats.scenario, sim.model.model, sim.outcomes.summary
stamps["imports"] = time.perf_counter()
scenario = sim.formats.scenario.load_scenario(sys.argv[1])
stamps["scenario"] = time.perf_counter()
sim.model.model.FrontlineModel(scenario, days=1).run_to_horizon()
stamps["kernel load"] = time.perf_counter()
model = sim.model.model.FrontlineModel(scenario)
model.run_to_horizon()
stamps["run"] = time.perf_counter()
sim.cli.strict_json(sim.outcomes.summary.summary(model))
stamps["summary"] = time.perf_counter()
last, split = start, {}
for name, stamp in stamps.items():
    split[name], last = stamp - last, stamp
print(json.dumps(split))
"""


def wall(command: list[str]) -> float:
    """Seconds from starting `command` to its exit (its output discarded)."""
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
    return time.perf_counter() - start


def median_wall(command: list[str], repeats: int) -> float:
    wall(command)  # warm the file cache
    return statistics.median(wall(command) for _ in range(repeats))


def phases(scenario: Path, repeats: int) -> dict[str, float]:
    """Median seconds of each phase of a run, timed inside the process."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", PHASES, str(scenario)],
            capture_output=True, text=True, check=True, cwd=ROOT,
        ).stdout  # fmt: skip
        runs.append(json.loads(out))
    return {name: statistics.median(run[name] for run in runs) for name in runs[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--scenario", type=Path, default=BASE)
    args = parser.parse_args()
    scenario = args.scenario.resolve()
    run = ["run", str(scenario), "--json"]
    fast = median_wall([str(FRONTLINE), *run], args.repeats)
    slow = median_wall(
        [sys.executable, "-c", "import sys; from sim.cli import main; sys.exit(main())", *run],
        args.repeats,
    )
    floor = median_wall([sys.executable, "-c", "pass"], args.repeats)
    split = phases(scenario, args.repeats)
    seeds = wall([str(FRONTLINE), "run", str(scenario), "--seeds", f"0-{args.seeds - 1}"])
    print(f"`frontline run {scenario.name} --json`, median of {args.repeats} processes")
    print(f"  whole process                      {fast:6.2f} s")
    print(f"  with the interpreter's teardown    {slow:6.2f} s (as before the console script)")
    print(f"  reference: python -c pass          {floor:6.2f} s")
    print("  split (inside one process):")
    print(f"    interpreter start                {floor:6.2f} s (the reference)")
    for name, seconds in split.items():
        print(f"    {name:<32} {seconds:6.2f} s")
    print(f"  the teardown skipped               {slow - fast:6.2f} s (the two wholes' difference)")
    print("  (the split is timed in other processes than the wholes: its sum differs by noise)")
    print(f"`--seeds 0-{args.seeds - 1}`: {seeds:.1f} s in one process "
          f"({seeds / args.seeds * 1000:.0f} ms a run)")  # fmt: skip
    checks = [
        (f"whole process {fast:.2f} s <= {TARGET_SECONDS} s", fast <= TARGET_SECONDS),
        (
            f"{args.seeds} seeds {seeds:.1f} s <= {TARGET_SEEDS_SECONDS:.0f} s",
            seeds <= TARGET_SEEDS_SECONDS,
        ),
    ]
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
