"""Speed and memory of a 365-day run, against a plain Mesa reference in the same run.

    python benchmarks/speed.py [--runs N] [--sizes 100 1000 10000] [--json FILE]

Cases: the largest shipped scenario, a synthetic 55-place map with 8 factions, and
synthetic maps of the given sizes with 8 factions. Each is timed over `--runs` 365-day
runs (the median; model construction excluded and shown apart) stepped day by day
through mesa (`model.step()`, as the dashboard runs it) and run to the horizon in
compiled stretches (`model.run_to_horizon()`, as sweeps and `frontline run` do), with
the peak memory of one run traced separately. The reference is `plain_mesa.py`,
brigades as Python agents on the same 55-place map, stepped the same way.

Targets (exit status 1 if missed): <= 30 ms for 365 stepped days at 55 places x 8
factions, cost growing about linearly with the number of places (per place-day cost at
the largest size at most 3x that at the smallest), and issue 16's <= 10 ms (<= 12 ms on
Python >= 3.12) for the largest shipped scenario run to its horizon.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.figures import save_figures  # noqa: E402
from benchmarks.plain_mesa import PlainMesaModel  # noqa: E402
from sim.formats.problems import InputError  # noqa: E402
from sim.formats.scenario import Scenario, load_scenario  # noqa: E402
from sim.formats.synthetic import synthetic_scenario  # noqa: E402
from sim.model.model import FrontlineModel  # noqa: E402

DAYS = 365
TARGET_MS_55 = 30.0
TARGET_MS_LARGEST = 10.0 if sys.version_info < (3, 12) else 12.0
MAX_PER_PLACE_GROWTH = 3.0


def largest_shipped_scenario() -> Scenario:
    """The shipped scenario with the most places x factions that runs on its own."""
    best, best_size = None, -1
    for path in sorted((ROOT / "scenarios").rglob("*.toml")):
        try:
            scenario = load_scenario(path)
        except InputError:  # a file being edited; `frontline validate` reports it
            continue
        size = scenario.map.size * len(scenario.spec.factions)
        if scenario.spec.factions and size > best_size:
            best, best_size = scenario, size
    return best


def stepped(model) -> None:
    for _ in range(DAYS):
        model.step()


def to_horizon(model: FrontlineModel) -> None:
    model.run_to_horizon()


def time_runs(
    make: Callable[[int], object], runs: int, run: Callable[[object], None] = stepped
) -> tuple[float, float]:
    """Median seconds of `runs` 365-day runs, and median construction seconds."""
    run(make(0))  # load compiled kernels and warm caches
    run_times, build_times = [], []
    for seed in range(runs):
        start = time.perf_counter()
        model = make(seed)
        built = time.perf_counter()
        run(model)
        run_times.append(time.perf_counter() - built)
        build_times.append(built - start)
    return statistics.median(run_times), statistics.median(build_times)


def peak_memory(make: Callable[[int], object]) -> float:
    """Peak traced memory (MB) of building and running one model."""
    tracemalloc.start()
    model = make(0)
    for _ in range(DAYS):
        model.step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def frontline(scenario: Scenario) -> Callable[[int], FrontlineModel]:
    return lambda seed: FrontlineModel(scenario, seed=seed, days=DAYS)


def measure(args: argparse.Namespace) -> dict:
    syria_sized = synthetic_scenario(55, 8, seed=0)
    cases = {"largest shipped": largest_shipped_scenario(), "synthetic 55": syria_sized}
    cases |= {f"synthetic {n}": synthetic_scenario(n, 8, seed=0) for n in args.sizes}
    rows = []
    reference_s, _ = time_runs(lambda seed: PlainMesaModel(syria_sized, seed), args.runs)
    for label, scenario in cases.items():
        runs = args.runs if scenario.map.size <= 1000 else max(3, args.runs // 3)
        seconds, build = time_runs(frontline(scenario), runs)
        fast, _ = time_runs(frontline(scenario), runs, to_horizon)
        places, factions = scenario.map.size, len(scenario.spec.factions)
        rows.append(
            {
                "case": label,
                "scenario": scenario.spec.name,
                "places": places,
                "factions": factions,
                "run_ms": seconds * 1000,
                "to_horizon_ms": fast * 1000,
                "build_ms": build * 1000,
                "us_per_place_day": seconds / DAYS / places * 1e6,
                "speedup_vs_plain_mesa": reference_s / seconds if places == 55 else None,
                "peak_mb": peak_memory(frontline(scenario)),
            }
        )
    return {"days": DAYS, "runs": args.runs, "plain_mesa_ms": reference_s * 1000, "cases": rows}


def verdicts(result: dict) -> list[tuple[str, bool]]:
    by_case = {row["case"]: row for row in result["cases"]}
    synthetic = sorted(
        (row for row in result["cases"] if row["case"].startswith("synthetic")),
        key=lambda row: row["places"],
    )
    growth = synthetic[-1]["us_per_place_day"] / synthetic[0]["us_per_place_day"]
    largest = by_case["largest shipped"]
    return [
        (
            f"largest shipped ({largest['places']} places x {largest['factions']} factions) "
            f"run to its horizon: {largest['to_horizon_ms']:.1f} ms <= "
            f"{TARGET_MS_LARGEST:.0f} ms (issue 16)",
            largest["to_horizon_ms"] <= TARGET_MS_LARGEST,
        ),
        (
            f"55 places x 8 factions: {by_case['synthetic 55']['run_ms']:.1f} ms "
            f"<= {TARGET_MS_55:.0f} ms",
            by_case["synthetic 55"]["run_ms"] <= TARGET_MS_55,
        ),
        (
            f"per place-day cost grows {growth:.2f}x from {synthetic[0]['places']} to "
            f"{synthetic[-1]['places']} places (<= {MAX_PER_PLACE_GROWTH:.0f}x: about linear)",
            growth <= MAX_PER_PLACE_GROWTH,
        ),
    ]


def report(result: dict) -> str:
    lines = [
        f"365-day runs, median of {result['runs']}; plain Mesa reference (brigade agents, "
        f"55 places x 8 factions): {result['plain_mesa_ms']:.1f} ms",
        "",
        f"{'case':<18} {'places':>7} {'factions':>8} {'run ms':>9} {'horizon':>9} "
        f"{'build ms':>9} "
        f"{'us/place-day':>12} {'vs Mesa':>8} {'peak MB':>8}",
    ]
    for row in result["cases"]:
        ratio = row["speedup_vs_plain_mesa"]
        lines.append(
            f"{row['case']:<18} {row['places']:>7} {row['factions']:>8} {row['run_ms']:>9.1f} "
            f"{row['to_horizon_ms']:>9.1f} {row['build_ms']:>9.1f} "
            f"{row['us_per_place_day']:>12.3f} "
            f"{f'{ratio:.1f}x' if ratio else '':>8} {row['peak_mb']:>8.1f}"
        )
    lines.append("")
    lines += [f"{'PASS' if ok else 'FAIL'}  {text}" for text, ok in verdicts(result)]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    result = measure(args)
    print(report(result))
    if args.json:
        save_figures(args.json, result)
    return 0 if all(ok for _, ok in verdicts(result)) else 1


if __name__ == "__main__":
    sys.exit(main())
