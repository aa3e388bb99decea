"""Parameter designs: which values of the uncertain parameters a sweep tries.

A full grid over given values, or `points` quasi-random points in the box of ranges:
a Latin hypercube or a scrambled Sobol sequence (`scipy.stats.qmc`), seeded from the
experiment's master seed so that the same file gives the same points.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import qmc

if TYPE_CHECKING:
    from sim.experiment import DesignSpec
    from sim.typed_tables import Report


def design_points(design: DesignSpec, seed: int, report: Report) -> list[dict[str, float]]:
    """The design's points, each a {dotted scenario key: value}; [] if it has problems."""
    names = list(design.parameters)
    if not names:
        report(("design", "parameters"), "no parameters: give at least one range")
        return []
    if design.method == "grid":
        return _grid(design, names, report)
    if not _check_ranges(design, names, report):
        return []
    if design.method == "sobol":
        if design.points & (design.points - 1):
            report(("design", "points"), f"a Sobol design needs a power of 2, got {design.points}")
            return []
        unit = qmc.Sobol(len(names), scramble=True, seed=seed).random_base2(
            int(math.log2(design.points))
        )
    else:
        unit = qmc.LatinHypercube(len(names), seed=seed).random(design.points)
    low = np.array([design.parameters[n].low for n in names])
    high = np.array([design.parameters[n].high for n in names])
    values = qmc.scale(unit, low, high)
    return [dict(zip(names, map(float, row), strict=True)) for row in values]


def _grid(design: DesignSpec, names: list[str], report: Report) -> list[dict[str, float]]:
    missing = [n for n in names if not design.parameters[n].values]
    for name in missing:
        report(("design", "parameters", name, "values"), "a grid needs the values to try")
    if missing:
        return []
    axes = [design.parameters[n].values for n in names]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes)]


def _check_ranges(design: DesignSpec, names: list[str], report: Report) -> bool:
    sound = True
    for name in names:
        parameter = design.parameters[name]
        if parameter.low is None or parameter.high is None or parameter.low >= parameter.high:
            report(
                ("design", "parameters", name),
                f"a {design.method} design needs `low` < `high`",
            )
            sound = False
    return sound
