"""Scenario discovery: PRIM, the box of the uncertain parameters in which an outcome holds.

The Patient Rule Induction Method (Friedman and Fisher, "Bump hunting in
high-dimensional data", Statistics and Computing 9, 1999), as scenario discovery uses it
(Bryant and Lempert 2010): starting from the box of all design points, *peeling*
repeatedly removes the slice (a share `peel_alpha` of the points in the box, at the low
or high end of one parameter) whose removal leaves the highest share of points where
the outcome holds, down to a minimum mass; the box chosen from this trajectory is the
one with the highest coverage among those whose density reaches `threshold` (of equal
coverage, the densest; if none reaches it, the densest), and *pasting* then widens it
again while that raises the density.

- coverage: the share of all points where the outcome holds that lie in the box;
- density: the share of the points in the box where it holds;
- mass: the share of all points in the box.

Written here rather than taken from a package: the `prim` package is GPL-3 (this
project is MIT) and the EMA Workbench needs Python 3.12 from version 3 on (2.5 on 3.11,
with scikit-learn, seaborn and platypus among its dependencies); the algorithm is a page.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

PEEL_ALPHA = 0.05
PASTE_ALPHA = 0.05
MIN_MASS = 0.05
THRESHOLD = 0.8


@dataclasses.dataclass(frozen=True)
class Box:
    """Limits per parameter (inclusive) of the points in the box, with its statistics;
    `restricted` names the parameters whose limits are inside the design's range."""

    limits: dict[str, tuple[float, float]]
    restricted: tuple[str, ...]
    coverage: float
    density: float
    mass: float

    def text(self) -> str:
        """E.g. "defend_ratio 1.2-1.38 (coverage 90 %, density 95 %, mass 40 %)"."""
        where = ", ".join(
            f"{name} {self.limits[name][0]:.4g}-{self.limits[name][1]:.4g}"
            for name in self.restricted
        )
        return (
            f"{where or 'the whole design'} (coverage {self.coverage:.0%}, density "
            f"{self.density:.0%}, mass {self.mass:.0%})"
        )


def prim_box(
    x: np.ndarray,
    y: np.ndarray,
    names: list[str],
    *,
    threshold: float = THRESHOLD,
    peel_alpha: float = PEEL_ALPHA,
    paste_alpha: float = PASTE_ALPHA,
    min_mass: float = MIN_MASS,
) -> Box | None:
    """The PRIM box of the points `x` (n, parameters) where `y` (n, bool) holds; None if
    it holds nowhere."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=bool)
    if not y.any():
        return None
    full = np.column_stack([x.min(axis=0), x.max(axis=0)])
    trajectory = _peel(x, y, full, peel_alpha, min_mass)
    box = _choose(trajectory, x, y, threshold)
    box = _paste(x, y, box, paste_alpha)
    return _described(x, y, box, full, names)


def inside(x: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """(n,) whether each point lies within the (parameters, 2) limits."""
    return np.all((x >= limits[:, 0]) & (x <= limits[:, 1]), axis=1)


def _peel(
    x: np.ndarray, y: np.ndarray, limits: np.ndarray, alpha: float, min_mass: float
) -> list[np.ndarray]:
    """The boxes of the peeling trajectory, from the whole design inwards."""
    trajectory = [limits]
    n = len(y)
    while True:
        best, best_density, best_count = None, -1.0, 0
        members = inside(x, limits)
        for candidate in _peels(x[members], limits, alpha):
            kept = inside(x, candidate)
            count = int(kept.sum())
            if count == 0 or count < min_mass * n:
                continue
            density = y[kept].mean()
            if density > best_density or (density == best_density and count > best_count):
                best, best_density, best_count = candidate, density, count
        if best is None:
            return trajectory
        limits = best
        trajectory.append(limits)


def _peels(x_in: np.ndarray, limits: np.ndarray, alpha: float):
    """Each candidate box: the lowest or highest share `alpha` of the points in the box
    (at least one distinct value) cut off along one parameter."""
    for j in range(x_in.shape[1]):
        values = np.unique(x_in[:, j])
        if len(values) < 2:
            continue
        k = max(math.ceil(alpha * len(x_in)), 1)
        ordered = np.sort(x_in[:, j])
        peeled = limits.copy()
        peeled[j, 0] = max(ordered[min(k, len(ordered) - 1)], values[1])
        yield peeled
        peeled = limits.copy()
        peeled[j, 1] = min(ordered[max(len(ordered) - 1 - k, 0)], values[-2])
        yield peeled


def _choose(trajectory: list[np.ndarray], x: np.ndarray, y: np.ndarray, threshold: float):
    """The box of highest coverage among those of density >= threshold (of equal
    coverage, the densest), else the densest (of equals, the first: the larger box)."""
    stats = [_statistics(x, y, box) for box in trajectory]
    dense = [i for i, (_, density, _) in enumerate(stats) if density >= threshold]
    if dense:
        return trajectory[max(dense, key=lambda i: (stats[i][0], stats[i][1], -i))]
    return trajectory[max(range(len(stats)), key=lambda i: (stats[i][1], -i))]


def _paste(x: np.ndarray, y: np.ndarray, limits: np.ndarray, alpha: float) -> np.ndarray:
    """Widen the box, one side at a time, while that raises its density."""
    while True:
        members = inside(x, limits)
        density = y[members].mean()
        count = int(members.sum())
        best, best_density = None, density
        for candidate in _pastes(x, limits, count, alpha):
            kept = inside(x, candidate)
            if y[kept].mean() > best_density:
                best, best_density = candidate, y[kept].mean()
        if best is None:
            return limits
        limits = best


def _pastes(x: np.ndarray, limits: np.ndarray, count: int, alpha: float):
    """Each candidate: one side of the box moved out to take in about `alpha` x count
    of the nearest points beyond it (among those within the other limits)."""
    k = max(math.ceil(alpha * count), 1)
    for j in range(x.shape[1]):
        others = np.delete(np.arange(x.shape[1]), j)
        within = inside(x[:, others], limits[others])
        below = np.sort(x[within & (x[:, j] < limits[j, 0]), j])
        above = np.sort(x[within & (x[:, j] > limits[j, 1]), j])
        if len(below):
            pasted = limits.copy()
            pasted[j, 0] = below[max(len(below) - k, 0)]
            yield pasted
        if len(above):
            pasted = limits.copy()
            pasted[j, 1] = above[min(k, len(above)) - 1]
            yield pasted


def _statistics(x: np.ndarray, y: np.ndarray, limits: np.ndarray) -> tuple[float, float, float]:
    """Coverage, density and mass of a box."""
    members = inside(x, limits)
    held = (y & members).sum()
    return held / y.sum(), held / max(members.sum(), 1), members.mean()


def _described(
    x: np.ndarray, y: np.ndarray, limits: np.ndarray, full: np.ndarray, names: list[str]
) -> Box:
    coverage, density, mass = _statistics(x, y, limits)
    restricted = tuple(
        name for j, name in enumerate(names) if not np.array_equal(limits[j], full[j])
    )
    return Box(
        limits={name: (float(limits[j, 0]), float(limits[j, 1])) for j, name in enumerate(names)},
        restricted=restricted,
        coverage=float(coverage),
        density=float(density),
        mass=float(mass),
    )
