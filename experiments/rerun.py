"""Re-run the hypotheses' experiments and regenerate the verdict table of docs/hypotheses.md.

    python experiments/rerun.py                 # H1-H8, each into a fresh results/<name>
    python experiments/rerun.py h2 h5           # some of them (by file name prefix)
    python experiments/rerun.py --table         # only rewrite the table from results/
    python experiments/rerun.py --variance h5   # independent against common seeds

Each experiment is one command, `frontline sweep experiments/<file>.toml --out
results/<name>` (its `[precision]` table chooses the replicates); this script runs them
in turn, keeps each one's wall time in results/<name>/rerun.json, and writes the table of
every comparison's verdict between the markers in docs/hypotheses.md. `--variance` sweeps
one experiment at its starting replicates twice, with independent and with common seeds,
and prints how much the pairing narrows each comparison's standard error.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sim.cli import main as frontline
from sim.experiments.analysis import analyse
from sim.experiments.comparison import ComparisonResult

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = sorted((ROOT / "experiments").glob("h[1-8]_*.toml"))
RESULTS = ROOT / "results"
DOC = ROOT / "docs" / "hypotheses.md"
BEGIN, END = "<!-- verdicts: begin (experiments/rerun.py) -->", "<!-- verdicts: end -->"


def chosen(prefixes: list[str]) -> list[Path]:
    """The experiment files whose names start with one of `prefixes` (all if none)."""
    if not prefixes:
        return EXPERIMENTS
    found = [f for f in EXPERIMENTS if any(f.stem.startswith(p) for p in prefixes)]
    if not found:
        sys.exit(f"no experiment file starts with {', '.join(prefixes)}")
    return found


def rerun(experiment: Path) -> None:
    """Sweep one experiment into a fresh results directory, and keep its wall time."""
    out = RESULTS / experiment.stem
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    if frontline(["sweep", str(experiment), "--out", str(out)]) != 0:
        sys.exit(f"the sweep of {experiment.name} failed")
    seconds = time.perf_counter() - started
    (out / "rerun.json").write_text(json.dumps({"seconds": round(seconds, 1)}), encoding="utf-8")


def table() -> str:
    """The verdicts of every experiment with results, one row per comparison."""
    lines = [
        "| experiment | comparison | verdict | difference [95% CI] | variant vs baseline | "
        "p (adj.) | ±sesoi: p (adj.) | power | runs | time |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for experiment in EXPERIMENTS:
        out = RESULTS / experiment.stem
        if not (out / "manifest.json").is_file():
            continue
        analysis = analyse(out)
        runs = f"{analysis.manifest['replicates']} x {len(analysis.manifest['design'])}"
        timing = out / "rerun.json"
        seconds = json.loads(timing.read_text())["seconds"] if timing.is_file() else math.nan
        for line in analysis.claims:
            lines.append(f"| {experiment.stem[:2].upper()} | *{line.claim}* | "
                         f"**{line.reading}** | | | | | | | |")  # fmt: skip
        for r in analysis.results:
            lines.append(_row(experiment.stem[:2].upper(), r, runs, seconds))
    return "\n".join(lines)


def _row(label: str, r: ComparisonResult, runs: str, seconds: float) -> str:
    if r.insufficient:
        return f"| {label} | {r.name} | {r.verdict} ({r.counts()}) | | | | | | {runs} | |"
    equivalence = "–" if r.sesoi is None else f"{r.sesoi_text()}: {r.tost_text()}"
    return (
        f"| {label} | {r.name} | {r.verdict} | {r.interval_text()} | {r.arms_text()} | "
        f"{r.p_text()} | {equivalence} | {r.power_text()} | {runs} | {seconds:.0f} s |"
    )


def write_table() -> None:
    """Put the table between the markers of docs/hypotheses.md."""
    text = DOC.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        sys.exit(f"{DOC}: the markers {BEGIN} and {END} are missing")
    DOC.write_text(pattern.sub(lambda _: f"{BEGIN}\n{table()}\n{END}", text), encoding="utf-8")


def variance(experiment: Path) -> None:
    """Sweep the experiment with independent and with common seeds at its starting
    replicates (no precision rounds); print each comparison's standard error."""
    text = experiment.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[precision\].*?(?=^\[|\Z)", "", text)
    errors = {}
    with tempfile.TemporaryDirectory() as folder:
        for pairing in ("independent", "common_seeds"):
            copy = experiment.with_name(f".{experiment.stem}_{pairing}.toml")
            copy.write_text(re.sub(r'(?m)^pairing = "\w+"', f'pairing = "{pairing}"', text))
            try:
                out = Path(folder) / pairing
                assert frontline(["sweep", str(copy), "--out", str(out), "--no-report"]) == 0
            finally:
                copy.unlink()
            errors[pairing] = {r.name: r for r in analyse(out).results}
    for name, independent in errors["independent"].items():
        paired = errors["common_seeds"][name]
        ratio = (paired.standard_error / independent.standard_error) ** 2
        print(
            f"{name}: standard error {independent.standard_error:.4g} (independent, "
            f"{independent.counts()}) -> {paired.standard_error:.4g} (common seeds, "
            f"{paired.counts()}): variance x {ratio:.3f}; 95 % interval "
            f"{independent.interval_text()} -> {paired.interval_text()}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiments", nargs="*", help="file name prefixes, e.g. h2 h5")
    parser.add_argument("--table", action="store_true", help="only rewrite the table")
    parser.add_argument("--variance", action="store_true", help="independent vs common seeds")
    args = parser.parse_args()
    if args.variance:
        for experiment in chosen(args.experiments):
            variance(experiment)
        return
    if not args.table:
        for experiment in chosen(args.experiments):
            rerun(experiment)
    write_table()


if __name__ == "__main__":
    main()
