"""The analysis of a sweep's results: every comparison's statistics and verdict.

Reads the manifest and the run rows of a results directory, builds each comparison's
two arms (paired by design point and replicate under common seeds), computes its
statistics (`sim.experiments.comparison`), the design effects when there is a design
(`sim.experiments.sensitivity`), and the verdicts with the experiment's multiplicity
correction (`sim.experiments.verdicts`). `frontline report`, the precision loop and the
Compare page all read verdicts from here, so they cannot disagree.

Sweeps stored before these settings existed read as independent seeds, Holm's
correction and no binary metrics.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.comparison import Arms, ComparisonResult, compare
from sim.experiments.results import ResultStore
from sim.experiments.sensitivity import DesignPoint, design_effects
from sim.experiments.verdicts import ClaimLine, claim_lines, decide, rule_text
from sim.formats.problems import InputError, Problem


@dataclasses.dataclass(frozen=True)
class Settings:
    """How a sweep's comparisons are analysed (from its manifest)."""

    pairing: str = "independent"
    multiplicity: str = "holm"
    binary: tuple[str, ...] = ()
    design_method: str = ""

    @classmethod
    def of(cls, manifest: dict) -> Settings:
        return cls(
            pairing=manifest.get("pairing", "independent"),
            multiplicity=manifest.get("multiplicity", "holm"),
            binary=tuple(manifest.get("binary", ())),
            design_method=manifest.get("design_method", ""),
        )

    @property
    def paired(self) -> bool:
        return self.pairing == "common_seeds"


@dataclasses.dataclass
class Analysis:
    """A sweep's manifest, its runs in plan order, and the verdicts."""

    manifest: dict
    runs: pd.DataFrame
    results: list[ComparisonResult]
    settings: Settings

    @property
    def claims(self) -> list[ClaimLine]:
        """One line per claim of the hypothesis."""
        return claim_lines(self.results, self.manifest.get("name", "hypothesis"))

    @property
    def rule(self) -> str:
        """The verdict rule, as stated beside the verdicts."""
        return rule_text(self.settings.multiplicity, self.settings.pairing)


def analyse(directory: Path) -> Analysis:
    """The manifest, the stored runs and every comparison's statistics and verdict."""
    store = ResultStore(directory)
    manifest = store.manifest()
    runs = in_plan_order(store.read("runs"), list(manifest["variants"]))
    if runs.empty:
        raise InputError([Problem(Path(directory), "runs", "no finished runs in this directory")])
    settings = Settings.of(manifest)
    finished = runs[runs["status"] == "ok"]
    results = [
        comparison(name, spec, manifest, finished, settings, Path(directory))
        for name, spec in manifest["comparisons"].items()
    ]
    decide(results, settings.multiplicity)
    return Analysis(manifest, runs, results, settings)


def comparison(
    name: str,
    spec: dict,
    manifest: dict,
    finished: pd.DataFrame,
    settings: Settings,
    directory: Path,
) -> ComparisonResult:
    """One comparison's statistics (its verdict comes with the others': `decide`)."""
    baseline = manifest["baseline"]
    binary = spec["metric"] in settings.binary
    arms = arms_of(finished, spec["variant"], baseline, spec["metric"], settings.paired)
    if binary:
        check_binary(arms, spec["metric"], directory)
    result = compare(name, spec, baseline, arms, binary)
    design = manifest.get("design", [])
    if len(design) > 1 and result.tested:
        points = [
            DesignPoint(point, design[point], arms_of(group, spec["variant"], baseline,
                                                       spec["metric"], settings.paired))
            for point, group in finished.groupby("point")
        ]  # fmt: skip
        design_effects(result, points, settings.design_method)
    return result


def arms_of(runs: pd.DataFrame, variant: str, baseline: str, metric: str, paired: bool) -> Arms:
    """The metric's values in the variant and the baseline; paired: only design points
    and replicates where both runs have a value, in the same order."""
    if not paired:
        return Arms(metric_values(runs, variant, metric), metric_values(runs, baseline, metric))
    column = f"metric.{metric}"
    if column not in runs:
        return Arms(np.empty(0), np.empty(0), paired=True)
    keys = ["point", "replicate"]
    mine = runs.loc[runs["variant"] == variant, [*keys, column]]
    theirs = runs.loc[runs["variant"] == baseline, [*keys, column]]
    both = mine.merge(theirs, on=keys, suffixes=("_x", "_y")).dropna()
    both = both.sort_values(keys)
    x, y = both[f"{column}_x"].to_numpy(float), both[f"{column}_y"].to_numpy(float)
    return Arms(x, y, paired=True)


def metric_values(runs: pd.DataFrame, variant: str, metric: str) -> np.ndarray:
    """The metric's values in the variant's rows (empty if no run recorded the metric,
    e.g. when all runs failed: a thin comparison, not a broken report)."""
    column = f"metric.{metric}"
    if column not in runs:
        return np.empty(0)
    return runs.loc[runs["variant"] == variant, column].dropna().to_numpy(float)


def check_binary(arms: Arms, metric: str, directory: Path) -> None:
    """A metric declared binary must be 0 or 1 in every run."""
    values = np.concatenate([arms.x, arms.y])
    odd = values[(values != 0) & (values != 1)]
    if len(odd):
        message = f"{metric!r} is declared binary but a run has the value {odd[0]:g}"
        raise InputError([Problem(Path(directory) / "manifest.json", "binary", message)])


def in_plan_order(runs: pd.DataFrame, variants: list[str]) -> pd.DataFrame:
    """The runs in the sweep's plan order (variant as listed, design point, replicate), not
    in the order they finished: resampling then gives the same intervals for the same rows,
    whatever the workers, and tables list the runs as planned."""
    rank = {name: i for i, name in enumerate(variants)}
    return runs.sort_values(
        ["variant", "point", "replicate"],
        key=lambda column: column.map(rank) if column.name == "variant" else column,
        ignore_index=True,
    )
