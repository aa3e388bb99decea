"""Priors: the numbers a scenario gives as distributions, as parameters to calibrate.

A scenario's distributions (`sim.formats.uncertainty`) are the priors of a calibration.
This module gives each one what a sampler needs: a draw, a density, quantiles, and the
value a run is given. A whole-number key (e.g. `doctrine.max_offensives`) is sampled as
the continuous distribution it is written as and rounded when a run is given it, as a
run rounds its own draws; a `choice` is discrete (its density is its weight).

Only distributions that an override can pin (`--set KEY=VALUE`) can be calibrated: one
inside a list (a road's `km`, `map.roads[3].km`) has no such key and is left drawn per run.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import math
from typing import Any

import numpy as np
from scipy import stats

from sim.formats.scenario import Scenario
from sim.formats.typed_tables import format_path
from sim.formats.uncertainty import Distribution, distributions_by_path


@dataclasses.dataclass(frozen=True)
class Parameter:
    """An uncertain parameter: its key path (as `--set` takes it) and its prior."""

    key: str
    prior: Distribution

    @functools.cached_property
    def distribution(self):
        """The scipy distribution of a range prior (made once: making one costs more than
        evaluating it, and a calibration evaluates each prior thousands of times)."""
        return _continuous(self.prior)

    @property
    def discrete(self) -> bool:
        """Whether the prior is a `choice` (a few values) rather than a range."""
        return self.prior.kind == "choice"

    def sample(self, rng: np.random.Generator) -> float:
        """A draw from the prior (not rounded: see `value`)."""
        if self.discrete:
            return float(
                self.prior.values[rng.choice(len(self.prior.values), p=self.prior.weights)]
            )
        return float(self.distribution.rvs(random_state=rng))

    def density(self, x: float) -> float:
        """The prior's density at `x` (a `choice`: the weight of the value; 0 outside)."""
        if self.discrete:
            return sum(
                w for v, w in zip(self.prior.values, self.prior.weights, strict=True) if v == x
            )
        if not self.prior.low <= x <= self.prior.high:
            return 0.0
        return float(self.distribution.pdf(x))

    def densities(self, x: np.ndarray) -> np.ndarray:
        """`density` at each of `x`."""
        if self.discrete:
            return np.array([self.density(v) for v in x])
        inside = (self.prior.low <= x) & (x <= self.prior.high)
        return np.where(inside, self.distribution.pdf(x), 0.0)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """The prior's distribution function (before rounding)."""
        if self.discrete:
            values, weights = np.array(self.prior.values), np.array(self.prior.weights)
            return np.array([weights[values <= v].sum() for v in np.atleast_1d(x)])
        return self.distribution.cdf(x)

    def quantiles(self, q: list[float]) -> np.ndarray:
        """The prior's quantiles (before rounding)."""
        if self.discrete:
            return weighted_quantiles(np.array(self.prior.values), np.array(self.prior.weights), q)
        return self.distribution.ppf(q)

    def value(self, x: float) -> float | int:
        """The value a run is given for the sampled `x` (rounded for a whole-number key)."""
        return round(x) if self.prior.whole else float(x)

    def describe(self) -> str:
        """The prior in words, e.g. `uniform 0.04 to 0.07`."""
        p = self.prior
        whole = " (whole numbers)" if p.whole else ""
        if p.kind == "uniform":
            return f"uniform {p.low:g} to {p.high:g}{whole}"
        if p.kind == "triangular":
            return f"triangular {p.low:g} to {p.high:g}, mode {p.mode:g}{whole}"
        if p.kind == "normal":
            return f"normal {p.mean:g} ± {p.sd:g} in [{p.low:g}, {p.high:g}]{whole}"
        shown = ", ".join(f"{v:g}" for v in p.values)
        return f"choice of {shown}"

    def to_json(self) -> dict:
        return {"key": self.key, "prior": json_value(self.prior)}


def json_value(value: Any) -> Any:
    """A scenario value as JSON: a number as itself, a distribution as a table of its
    fields (inf and nan as strings, which JSON lacks), so that two can be compared."""
    if isinstance(value, Distribution):
        return {k: json_value(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, tuple | list):
        return [json_value(v) for v in value]
    return value


@functools.lru_cache(maxsize=256)
def _continuous(prior: Distribution):
    """The scipy distribution of a uniform, triangular or truncated normal prior."""
    width = prior.high - prior.low
    if prior.kind == "uniform":
        return stats.uniform(loc=prior.low, scale=width)
    if prior.kind == "triangular":
        return stats.triang(c=(prior.mode - prior.low) / width, loc=prior.low, scale=width)
    a, b = (prior.low - prior.mean) / prior.sd, (prior.high - prior.mean) / prior.sd
    return stats.truncnorm(a, b, loc=prior.mean, scale=prior.sd)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, q: list[float]) -> np.ndarray:
    """Quantiles of a weighted sample (the inverse of its step distribution function)."""
    order = np.argsort(values, kind="stable")
    values, weights = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cumulative = np.cumsum(weights) / weights.sum()
    index = np.searchsorted(cumulative, np.asarray(q) - 1e-12, side="left")
    return values[np.minimum(index, len(values) - 1)]


def distance_from_prior(parameter: Parameter, sample: np.ndarray, weights: np.ndarray) -> float:
    """The Kolmogorov-Smirnov distance between a weighted sample and the prior: the
    largest gap between their distribution functions."""
    order = np.argsort(sample, kind="stable")
    x, w = np.asarray(sample, float)[order], np.asarray(weights, float)[order] / np.sum(weights)
    after = np.cumsum(w)
    prior = parameter.cdf(x)
    return float(max(np.max(np.abs(after - prior)), np.max(np.abs(after - w - prior))))


def priors_of(scenario: Scenario, patterns: tuple[str, ...] = ()) -> tuple[list[Parameter], list]:
    """The scenario's calibratable parameters (those whose key matches one of `patterns`,
    shell-style as `factions.*.lethality`; all if none is given) and the keys of the
    other distributions, which stay drawn per run."""
    parameters, others = [], []
    for path, prior in distributions_by_path(scenario.spec).items():
        key = format_path(path)
        wanted = not patterns or any(fnmatch.fnmatchcase(key, p) for p in patterns)
        pinnable = not any(isinstance(part, int) for part in path)
        if wanted and pinnable:
            parameters.append(Parameter(key, prior))
        else:
            others.append(key)
    return parameters, others
