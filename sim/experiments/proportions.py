"""Shares of runs for 0/1 metrics: intervals and exact tests.

A metric that is 0 or 1 in every run (a place held or not on a day) is a share of runs,
not a number to average: each arm gets Wilson's score interval, the difference of two
shares Newcombe's hybrid score interval (his method 10 for independent samples, 1998a,
and its paired counterpart, 1998b, with the continuity-corrected phi), and the test is
Fisher's exact test (independent runs) or McNemar's exact test (pairs of runs with
common seeds: only the discordant pairs carry information). `equivalence_p` turns the
Newcombe interval into the p-value of two one-sided tests against +-sesoi, so that an
"equivalent" verdict on a share is exactly "the 90 % interval lies within +-sesoi".

Sources: R. G. Newcombe, Statistics in Medicine 17 (1998) 857-872 (Wilson), 873-890
(independent) and 2635-2650 (paired); tests/test_proportions.py checks the published
examples.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from statistics import NormalDist

import numpy as np

NORMAL = NormalDist()
Z95 = NORMAL.inv_cdf(0.975)


@dataclasses.dataclass(frozen=True)
class Counts:
    """0/1 outcomes of two arms: successes and runs, and for pairs the 2x2 table of
    (variant, baseline) outcomes: both 1, variant only, baseline only, neither."""

    successes: tuple[int, int]  # variant, baseline
    runs: tuple[int, int]
    pairs: tuple[int, int, int, int] | None = None

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray, paired: bool) -> Counts:
        """The counts of 0/1 arrays `x` (variant) and `y` (baseline); with `paired`,
        x[i] and y[i] are one pair."""
        x, y = np.asarray(x, dtype=bool), np.asarray(y, dtype=bool)
        pairs = None
        if paired:
            pairs = (
                int((x & y).sum()),
                int((x & ~y).sum()),
                int((~x & y).sum()),
                int((~x & ~y).sum()),
            )
        return cls((int(x.sum()), int(y.sum())), (len(x), len(y)), pairs)

    @property
    def shares(self) -> tuple[float, float]:
        pairs = zip(self.successes, self.runs, strict=True)
        return tuple(k / n if n else math.nan for k, n in pairs)

    @property
    def difference(self) -> float:
        variant, baseline = self.shares
        return variant - baseline


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval of a share (z = 1.96: 95 %)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def newcombe(counts: Counts, z: float = Z95) -> tuple[float, float]:
    """Newcombe's hybrid score interval of variant share minus baseline share: from the
    two Wilson intervals, with the paired correlation term when the runs are pairs."""
    (k1, k2), (n1, n2) = counts.successes, counts.runs
    p1, p2 = counts.shares
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    phi = _paired_phi(counts.pairs) if counts.pairs is not None else 0.0
    down = _combined(p1 - l1, u2 - p2, phi)
    up = _combined(u1 - p1, p2 - l2, phi)
    return (max(-1.0, p1 - p2 - down), min(1.0, p1 - p2 + up))


def _combined(first: float, second: float, phi: float) -> float:
    """The square-and-add of two Wilson half-widths, less the correlation term."""
    return math.sqrt(max(0.0, first**2 - 2 * phi * first * second + second**2))


def _paired_phi(pairs: tuple[int, int, int, int]) -> float:
    """Newcombe's continuity-corrected phi of a paired 2x2 table (1998b, method 10)."""
    a, b, c, d = pairs
    n = a + b + c + d
    denominator = (a + b) * (c + d) * (a + c) * (b + d)
    if denominator == 0:
        return 0.0
    cross = a * d - b * c
    numerator = max(cross - n / 2, 0.0) if cross > 0 else cross
    return numerator / math.sqrt(denominator)


def exact_p(counts: Counts) -> float:
    """Two-sided p of no difference: Fisher's exact test of the 2x2 table, or for pairs
    McNemar's exact test (a binomial test of the discordant pairs)."""
    from scipy import stats  # slow to import: not for the dashboard's charts

    if counts.pairs is not None:
        _, variant_only, baseline_only, _ = counts.pairs
        discordant = variant_only + baseline_only
        if discordant == 0:
            return 1.0
        return float(stats.binomtest(variant_only, discordant, 0.5).pvalue)
    (k1, k2), (n1, n2) = counts.successes, counts.runs
    table = [[k1, n1 - k1], [k2, n2 - k2]]
    return float(stats.fisher_exact(table).pvalue)


def equivalence_p(counts: Counts, sesoi: float) -> float:
    """p-value of two one-sided tests that the difference of shares lies within
    +-sesoi, from the Newcombe interval: each side's p is the one-sided level at which
    that bound of the interval reaches the margin (so p < 0.05 exactly when the 90 %
    interval lies within +-sesoi). 1 when the difference itself is at or beyond it."""
    if abs(counts.difference) >= sesoi:
        return 1.0
    below = _level_reaching(lambda z: newcombe(counts, z)[0] > -sesoi)
    above = _level_reaching(lambda z: newcombe(counts, z)[1] < sesoi)
    return max(below, above)


def _level_reaching(inside: Callable[[float], bool]) -> float:
    """One-sided p = 1 - Phi(z*), z* the largest z whose interval bound stays inside
    the margin (bisection: the bounds widen as z grows)."""
    low, high = 0.0, 40.0
    if inside(high):
        return 0.0
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if inside(middle) else (low, middle)
    return 1.0 - NORMAL.cdf(low)
