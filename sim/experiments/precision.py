"""Enough runs: a sweep that adds replicates until its intervals are narrow enough.

A comparison with a smallest effect of interest (sesoi) is precise enough when its 95 %
interval is narrower than sesoi: then the interval cannot both contain zero and reach
beyond +-sesoi, so the comparison ends "supported", "contradicted" or "equivalent"
rather than "inconclusive" (up to the multiplicity correction). Each round runs the
sweep (`sim.experiments.sweep`) with the current number of replicates per variant and
design point, analyses it (`sim.experiments.analysis`), and if some interval is still too
wide adds replicates: at least one batch, or as many batches as the widest interval
needs if widths shrink as one over the square root of the runs. It stops when every
interval is narrow enough or the cap is reached. The rounds are recorded in the
manifest after each one, and a stopped precision sweep resumes like any sweep (`resume`):
it finishes the round in hand and goes on.
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

from sim.experiments.analysis import analyse
from sim.experiments.comparison import ComparisonResult
from sim.experiments.experiment import Experiment
from sim.experiments.results import ResultStore
from sim.experiments.sweep import SweepResult, sweep
from sim.formats.experiment import PrecisionSpec


@dataclasses.dataclass
class PrecisionResult:
    """How a precision sweep went: each round's sweep, and why it stopped."""

    directory: Path
    replicates: int
    rounds: list[SweepResult]
    stopped: str
    seconds: float

    @property
    def ran(self) -> int:
        return sum(r.ran for r in self.rounds)

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.rounds)


def precise_enough(result: ComparisonResult) -> bool:
    """Whether the comparison's interval is narrower than its sesoi (comparisons without
    a sesoi set no target; a constant metric has a zero-width interval)."""
    if result.sesoi is None or result.no_response:
        return True
    if result.insufficient:
        return False
    return result.ci_high - result.ci_low < result.sesoi


def next_replicates(replicates: int, unmet: list[ComparisonResult], settings: PrecisionSpec) -> int:
    """The next round's replicates: whole batches more, as many as the widest interval
    needs if its width shrinks as 1 / sqrt(runs), at least one; at most the cap."""
    needed = replicates + settings.batch
    for result in unmet:
        width = result.ci_high - result.ci_low
        if math.isfinite(width) and width > 0:
            needed = max(needed, math.ceil(replicates * (width / result.sesoi) ** 2))
    batches = math.ceil((needed - replicates) / settings.batch)
    return min(settings.max_replicates, replicates + batches * settings.batch)


def sweep_to_precision(
    experiment: Experiment,
    directory: Path,
    *,
    settings: PrecisionSpec | None = None,
    replicates: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
) -> PrecisionResult:
    """Sweep, then add replicates in rounds until every comparison with a sesoi has an
    interval narrower than it, or the cap (`settings`, default the experiment's
    `[precision]`) is reached."""
    started = time.perf_counter()
    settings = settings or experiment.spec.precision or PrecisionSpec()
    replicates = replicates or experiment.spec.replicates
    history: list[dict] = []
    if resume and ResultStore.holds_sweep(directory):
        stored = ResultStore(directory).manifest()
        replicates = max(replicates, stored["replicates"])
        history = stored.get("precision", {}).get("rounds", [])
        history = [r for r in history if r["replicates"] < replicates]  # redone below
    replicates = min(replicates, settings.max_replicates)
    rounds = []
    while True:
        rounds.append(
            sweep(experiment, directory, replicates=replicates, workers=workers,
                  scheduler=scheduler, resume=resume or bool(rounds), progress=progress,
                  grow=True)
        )  # fmt: skip
        unmet = [r for r in analyse(directory).results if not precise_enough(r)]
        history.append({"replicates": replicates, "too_wide": [r.name for r in unmet]})
        stopped = _stopped(unmet, replicates, settings)
        _record(directory, settings, history, stopped)
        if stopped:
            break
        replicates = next_replicates(replicates, unmet, settings)
    return PrecisionResult(
        Path(directory), replicates, rounds, stopped, time.perf_counter() - started
    )


def _stopped(unmet: list[ComparisonResult], replicates: int, settings: PrecisionSpec) -> str:
    """Why the rounds stop ("" while they go on)."""
    if not unmet:
        return "every interval is narrower than its sesoi"
    if replicates >= settings.max_replicates:
        names = ", ".join(r.name for r in unmet)
        return f"the cap was reached with intervals still wider than their sesoi: {names}"
    return ""


def _record(directory: Path, settings: PrecisionSpec, rounds: list[dict], stopped: str) -> None:
    """Keep the rounds in the manifest, for the report and for resuming."""
    ResultStore(directory).update_manifest(
        precision={
            "batch": settings.batch,
            "max_replicates": settings.max_replicates,
            "rounds": rounds,
            "stopped": stopped or "stopped before the intervals were narrow enough",
        }
    )
