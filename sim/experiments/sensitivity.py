"""Where in the uncertain space a verdict flips: a comparison over a parameter design.

Per design point, the mean difference of that point's runs, and whether it is what the
claim predicts (beyond the sesoi on the predicted side, or within +-sesoi for a claim of
little or no effect: a point has too few runs for a test of its own). From these points:

- the share of points where the difference is as predicted;
- Spearman's rho of the per-point difference with each parameter (any design);
- first-order and total Sobol indices of the per-point difference, with 95 % bootstrap
  intervals (SALib), when the design is Saltelli's scheme (`method = "sobol"`): the share
  of the difference's variance over the design due to each parameter alone, and with
  all its interactions;
- the PRIM box (`sim.experiments.prim`) of the parameters where it is as predicted.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import stats

from sim.experiments.comparison import MIN_RUNS, Arms, ComparisonResult, SobolIndex
from sim.experiments.prim import prim_box

SOBOL_RESAMPLES = 1000
SOBOL_SEED = 12345


@dataclasses.dataclass(frozen=True)
class DesignPoint:
    """One point of a design: its number, parameter values and the compared runs there."""

    point: int
    parameters: dict[str, float]
    arms: Arms


def design_effects(result: ComparisonResult, points: list[DesignPoint], method: str) -> None:
    """Fill in the result's design effects from its comparison at each design point;
    `method` is the design's ("sobol" gives Sobol indices)."""
    table = point_table(result, points)
    if table.empty:
        return
    names = list(points[0].parameters)
    parameters = [f"param.{name}" for name in names]
    result.points_supported = float(table["holds"].mean())
    result.sensitivity = spearman_ranking(table, parameters)
    if method == "sobol" and len(table) == len(points):
        result.sobol = sobol_indices(table["difference"].to_numpy(float), names)
    values = table[parameters].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    result.box = prim_box(values, table["holds"].to_numpy(bool), names)


def point_table(result: ComparisonResult, points: list[DesignPoint]) -> pd.DataFrame:
    """Per design point with enough runs: its parameters, the mean difference there and
    whether it is as the claim predicts (`as_predicted`)."""
    rows = []
    for point in points:
        x, y = point.arms.x, point.arms.y
        if min(len(x), len(y)) < MIN_RUNS:
            continue
        difference = float(np.mean(x) - np.mean(y))
        row = {"point": point.point, "difference": difference}
        row["holds"] = as_predicted(difference, result.expect, result.sesoi)
        rows.append(row | {f"param.{k}": v for k, v in point.parameters.items()})
    return pd.DataFrame(rows)


def as_predicted(difference: float, expect: str, sesoi: float | None) -> bool:
    """Whether a point's mean difference is what the claim predicts: beyond the sesoi
    (zero without one) on the predicted side, or within +-sesoi for a claim of little or
    no effect. A point estimate, not a test: a design point has too few runs for one."""
    margin = sesoi or 0.0
    if expect == "greater":
        return difference > margin
    if expect == "less":
        return difference < -margin
    if expect == "different":
        return abs(difference) > margin
    return abs(difference) < margin


def spearman_ranking(table: pd.DataFrame, parameters: list[str]) -> list[tuple[str, float]]:
    """Parameters ranked by |Spearman's rho| of their value with the per-point difference."""
    ranking = []
    for parameter in parameters:
        values = pd.to_numeric(table[parameter], errors="coerce")
        if values.nunique() > 1 and table["difference"].nunique() > 1:
            rho = stats.spearmanr(values, table["difference"]).statistic
            ranking.append((parameter.removeprefix("param."), float(rho)))
    ranking.sort(key=lambda item: -abs(item[1]))
    return ranking


def sobol_indices(outputs: np.ndarray, names: list[str]) -> list[SobolIndex]:
    """First-order and total Sobol indices of `outputs`, given in the order of the
    design's points (Saltelli's scheme as `sim.experiments.design` draws it)."""
    from SALib.analyze import sobol  # imported only for a Sobol design

    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    if np.ptp(outputs) == 0:  # no variance to share out
        return [SobolIndex(name, 0.0, 0.0, 0.0, 0.0) for name in names]
    found = sobol.analyze(
        problem,
        np.asarray(outputs, dtype=float),
        calc_second_order=False,
        num_resamples=SOBOL_RESAMPLES,
        conf_level=0.95,
        seed=SOBOL_SEED,
    )
    return [
        SobolIndex(
            name,
            float(found["S1"][i]),
            float(found["S1_conf"][i]),
            float(found["ST"][i]),
            float(found["ST_conf"][i]),
        )
        for i, name in enumerate(names)
    ]
