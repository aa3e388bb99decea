"""Golden runs: checked-in summaries of a few runs that catch any unintended change.

Each case is a (scenario, seed, deterministic) run; its golden record is the run's
summary (final control, captures, manpower books, strikes, routs, metrics) plus the
daily per-faction series every 10 days, stored as JSON in `tests/golden/`. The test
(`tests/test_golden.py`) compares a fresh run with the record exactly.

When a change is *meant* to alter results, regenerate the records and let the diff show
in review:

    python tests/golden_runs.py --write
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
SERIES_EVERY = 10  # days between the recorded rows of the daily series

CASES = {
    "valley_seed1": ("scenarios/teaching/valley.toml", 1, False),
    "valley_deterministic": ("scenarios/teaching/valley.toml", 1, True),
    "base_2015_seed3": ("scenarios/syria/base_2015.toml", 3, False),
    "base_2015_deterministic": ("scenarios/syria/base_2015.toml", 0, True),
    "palmyra_2016_seed1": ("scenarios/syria/palmyra_2016.toml", 1, False),
    "h1_isis_focused_seed2": ("scenarios/syria/h1_isis_focused.toml", 2, False),
}


def golden_record(case: str) -> dict:
    """The record of one case, computed now from the code and files as they are."""
    from sim.formats.scenario import load_scenario
    from sim.model.model import FrontlineModel
    from sim.outcomes.summary import summary

    path, seed, deterministic = CASES[case]
    model = FrontlineModel(load_scenario(ROOT / path), seed=seed, deterministic=deterministic)
    model.run_model()
    series = model.faction_series()
    keys = [f.key for f in model.factions]
    from sim.model.model import FACTION_SERIES

    daily = {
        name: {key: [float(v) for v in series[::SERIES_EVERY, i, f]] for f, key in enumerate(keys)}
        for i, name in enumerate(FACTION_SERIES)
    }
    return {
        "case": {"scenario": path, "seed": seed, "deterministic": deterministic},
        "summary": summary(model),
        "daily_every_10_days": daily,
    }


def record_path(case: str) -> Path:
    return GOLDEN / f"{case}.json"


def as_json(record: dict) -> str:
    """The stored text: sorted keys, floats at full precision (exact round trip)."""
    return json.dumps(record, indent=1, sort_keys=True, allow_nan=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="regenerate every record")
    parser.add_argument("cases", nargs="*", default=list(CASES), help="cases (default: all)")
    args = parser.parse_args(argv)
    changed = 0
    for case in args.cases:
        text = as_json(golden_record(case))
        path = record_path(case)
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            changed += 1
            print(f"{case}: {'changed' if old else 'new'}")
            if args.write:
                path.write_text(text, encoding="utf-8")
        else:
            print(f"{case}: unchanged")
    if changed and not args.write:
        print("(run with --write to store the new records)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
