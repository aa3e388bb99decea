"""What the Compare page shows of a sweep: the report's verdicts, and per variant the
outcome distributions, the territory fan charts and the capture probability of each place.

The statistics and verdicts are `frontline report`'s own (`sim.experiments.analysis`), so
the page and the report cannot disagree; this module only gathers the stored tables into
the shapes the SVG plots draw.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.analysis import Analysis, analyse, metric_values
from sim.experiments.comparison import ComparisonResult
from sim.experiments.report import Bands, territory_bands
from sim.experiments.results import ResultStore
from sim.formats.problems import InputError, Problem
from sim.formats.scenario import load_scenario
from sim.model.model import FrontlineModel


@dataclasses.dataclass
class SweepView:
    """A results directory, read for display."""

    directory: Path
    analysis: Analysis
    variants: list[str]
    fans: Bands  # variant -> faction -> (days, 3) percentiles
    fan_top: float
    capture_share: dict[str, np.ndarray]  # variant -> (P,) share of runs a place changed hands
    world: object | None  # the baseline scenario's map (None if it no longer loads)
    colors: dict[str, str]
    labels: dict[str, str]
    notes: list[str]

    @property
    def manifest(self) -> dict:
        return self.analysis.manifest

    @property
    def runs(self) -> pd.DataFrame:
        return self.analysis.runs

    @property
    def results(self) -> list[ComparisonResult]:
        return self.analysis.results


def open_sweep(directory: Path | str) -> SweepView:
    """Read a sweep's results; raises InputError (or the reader's error) if it cannot."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError([Problem(directory, "directory", "no such directory")])
    analysis = analyse(directory)
    manifest, runs = analysis.manifest, analysis.runs
    store = ResultStore(directory)
    variants = list(manifest["variants"])
    notes: list[str] = []
    world, colors, labels = None, {}, {}
    baseline = manifest["variants"][manifest["baseline"]]["scenario"]
    try:
        scenario = load_scenario(Path(manifest["experiment"]).parent / baseline)
        model = FrontlineModel(scenario)
        world = scenario.map
        colors = {f.key: f.color for f in model.factions}
        labels = {f.key: f.label for f in model.factions}
    except InputError as error:
        notes.append(f"The baseline scenario no longer loads ({error.problems[0]}): no maps.")
    fans, top = _fans(directory, runs)
    captures = store.read("captures", ["run_id", "place"])
    shares = _capture_shares(captures, runs, variants, world)
    return SweepView(directory, analysis, variants, fans, top, shares, world, colors, labels, notes)


def _fans(directory: Path, runs: pd.DataFrame) -> tuple[Bands, float]:
    """Places held per variant, faction and day (10th, 50th and 90th percentile over runs,
    streamed from the stored parts by `territory_bands`), and the top of the common axis."""
    fans = territory_bands(directory, runs)
    top = max((float(np.nanmax(b[:, 2])) for f in fans.values() for b in f.values()), default=0)
    return fans, max(top, 1.0)


def _capture_shares(
    captures: pd.DataFrame, runs: pd.DataFrame, variants: list[str], world: object | None
) -> dict[str, np.ndarray]:
    """Per variant, the share of its finished runs in which each place changed hands."""
    if world is None:
        return {}
    finished = runs[runs["status"] == "ok"]
    shares = {}
    for variant in variants:
        ids = set(finished.loc[finished["variant"] == variant, "run_id"])
        if not ids:
            continue
        taken = captures[captures["run_id"].isin(ids)].drop_duplicates(["run_id", "place"])
        counts = taken.groupby("place").size()
        shares[variant] = np.array([counts.get(name, 0) / len(ids) for name in world.names])
    return shares


def distributions(view: SweepView) -> dict[str, dict[str, np.ndarray]]:
    """Each compared metric's values per variant (finished runs)."""
    finished = view.runs[view.runs["status"] == "ok"]
    found = {}
    for metric in dict.fromkeys(r.metric for r in view.results):
        column = f"metric.{metric}"
        if column in finished:
            found[metric] = {v: metric_values(finished, v, metric) for v in view.variants}
    return found
