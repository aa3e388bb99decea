"""Uncertain numbers: a scenario value given as a distribution, drawn once per run.

Where a figure is not known (most of a war's are not), a scenario may give it as a
distribution instead of a value, as an inline table:

    reserve = { dist = "uniform", low = 20000, high = 30000 }
    lethality = { dist = "triangular", low = 0.005, mode = 0.01, high = 0.02 }
    morale = { dist = "normal", mean = 0.6, sd = 0.1 }          # truncated to the key's range
    max_offensives = { dist = "choice", values = [1, 2, 3], weights = [0.2, 0.5, 0.3] }

Every run draws each such value once, from its own seed (a stream apart from the one the
war's daily draws come from, so pinning a drawn value with `--set` repeats the run
exactly), and records what it drew. A deterministic run takes expected values. The
support of a distribution must lie inside the key's allowed range; a normal is truncated
to [`low`, `high`] when given, else to the key's range.

Which keys may be uncertain: the numbers of factions, their doctrine, air, recruitment,
events (an event's day is an arrival delay), places (population, terrain), roads (km),
and the shared combat, morale and objective-value parameters. Run settings, coordinates,
grid sizes and metric days are fixed.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import typing
import weakref
from typing import Any, Literal

import numpy as np

DistributionKind = Literal["uniform", "triangular", "normal", "choice"]
KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # kind: (required, optional)
    "uniform": (("low", "high"), ()),
    "triangular": (("low", "mode", "high"), ()),
    "normal": (("mean", "sd"), ("low", "high")),
    "choice": (("values",), ("weights",)),
}
PARAMETER_STREAM = 0x5CE7A210  # spawn key of the parameters' draws, apart from the war's
MAX_REJECTIONS = 10_000
_ATOMIC = (str, int, float, type(None))  # values that hold no distribution


@dataclasses.dataclass(frozen=True)
class Distribution:
    """A distribution of one number; `whole` for a whole-number key."""

    kind: DistributionKind
    low: float = -math.inf  # the support: [low, high]
    high: float = math.inf
    mode: float = math.nan
    mean: float = math.nan
    sd: float = math.nan
    values: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()
    whole: bool = False

    def expected(self) -> float | int:
        """The expected value (rounded for a whole-number key)."""
        if self.kind == "uniform":
            value = (self.low + self.high) / 2
        elif self.kind == "triangular":
            value = (self.low + self.mode + self.high) / 3
        elif self.kind == "normal":
            value = _truncated_normal_mean(self.mean, self.sd, self.low, self.high)
        else:
            value = float(np.dot(self.values, self.weights))
        return round(value) if self.whole else value

    def draw(self, rng: np.random.Generator) -> float | int:
        """One value drawn with `rng`."""
        if self.kind == "uniform":
            value = rng.uniform(self.low, self.high)
        elif self.kind == "triangular":
            value = rng.triangular(self.low, self.mode, self.high)
        elif self.kind == "normal":
            value = self._draw_normal(rng)
        else:
            value = self.values[rng.choice(len(self.values), p=self.weights)]
        return round(value) if self.whole else float(value)

    def _draw_normal(self, rng: np.random.Generator) -> float:
        for _ in range(MAX_REJECTIONS):
            value = rng.normal(self.mean, self.sd)
            if self.low <= value <= self.high:
                return value
        return min(max(self.mean, self.low), self.high)  # a window far in the tail


def _truncated_normal_mean(mean: float, sd: float, low: float, high: float) -> float:
    """E[X] of N(mean, sd^2) truncated to [low, high]."""
    a, b = (low - mean) / sd, (high - mean) / sd
    mass = _phi_cdf(b) - _phi_cdf(a)
    if mass <= 1e-12:
        return min(max(mean, low), high)
    return mean + sd * (_phi(a) - _phi(b)) / mass


def _phi(x: float) -> float:
    return 0.0 if math.isinf(x) else math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _phi_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def is_distribution_table(value: Any) -> bool:
    """Whether a TOML value is written as a distribution (a table with `dist`)."""
    return isinstance(value, dict) and "dist" in value


def parse_distribution(table: dict, whole: bool, key_range: tuple, path, report) -> Any:
    """A `Distribution` of a TOML table, checked against the key's range (min, max);
    problems are reported at `path` and below (None is returned if there are any)."""
    kind = table.get("dist")
    if kind not in KEYS:
        expected = ", ".join(KEYS)
        report((*path, "dist"), f"unknown distribution {kind!r}; expected one of: {expected}")
        return None
    required, optional = KEYS[kind]
    problems = [
        ((*path, name), f"not a key of a {kind} distribution ({', '.join(required + optional)})")
        for name in table
        if name != "dist" and name not in required + optional
    ]
    problems += [
        ((*path, name), f"missing: a {kind} distribution needs {', '.join(required)}")
        for name in required
        if name not in table
    ]
    dist = None
    if not problems:
        dist, problems = _build(kind, table, whole, key_range, path)
    for where, message in problems:
        report(where, message)
    return None if problems else dist


def _build(kind: str, table: dict, whole: bool, key_range: tuple, path) -> tuple[Any, list]:
    problems: list = []

    def number(name: str) -> float:
        return number_of(table.get(name), (*path, name), problems)

    low_key, high_key = (-math.inf if key_range[0] is None else key_range[0],
                         math.inf if key_range[1] is None else key_range[1])  # fmt: skip
    if kind == "choice":
        values = table["values"]
        if not isinstance(values, list) or not values:
            problems.append(((*path, "values"), "must be a non-empty list of numbers"))
            return None, problems
        numbers = tuple(number_of(v, (*path, "values", i), problems) for i, v in enumerate(values))
        weights = table.get("weights", [1.0] * len(values))
        if not isinstance(weights, list) or len(weights) != len(values):
            problems.append(((*path, "weights"), f"must be a list of {len(values)} numbers"))
            return None, problems
        w = tuple(number_of(x, (*path, "weights", i), problems) for i, x in enumerate(weights))
        if not problems and (min(w) < 0 or sum(w) <= 0):
            problems.append(((*path, "weights"), "must be non-negative, not all zero"))
        if problems:
            return None, problems
        dist = Distribution("choice", low=min(numbers), high=max(numbers), values=numbers,
                            weights=tuple(x / sum(w) for x in w), whole=whole)  # fmt: skip
        if whole and any(v != round(v) for v in numbers):
            problems.append(((*path, "values"), "must be whole numbers for this key"))
    elif kind in ("uniform", "triangular"):
        low, high = number("low"), number("high")
        mode = number("mode") if kind == "triangular" else math.nan
        if problems:
            return None, problems
        if not low < high:
            problems.append(((*path, "high"), f"must be above `low` ({low:g}), got {high:g}"))
        elif kind == "triangular" and not low <= mode <= high:
            problems.append(((*path, "mode"), f"must lie from `low` to `high`, got {mode:g}"))
        dist = Distribution(kind, low=low, high=high, mode=mode, whole=whole)
    else:
        mean, sd = number("mean"), number("sd")
        low = number("low") if "low" in table else low_key
        high = number("high") if "high" in table else high_key
        if problems:
            return None, problems
        if not sd > 0:
            problems.append(((*path, "sd"), f"must be above 0, got {sd:g}"))
        if not low < high:
            problems.append((path, f"the truncation [{low:g}, {high:g}] is empty"))
        dist = Distribution("normal", low=low, high=high, mean=mean, sd=sd, whole=whole)
    if not problems and (dist.low < low_key or dist.high > high_key):
        problems.append((path, f"its values must lie {_range_text(key_range)}, "
                               f"but it spans [{dist.low:g}, {dist.high:g}]"))  # fmt: skip
    return (None if problems else dist), problems


def number_of(value: Any, where, problems: list) -> float:
    """`value` as a float, or NaN with a problem added if it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.append((where, f"must be a finite number, got {value!r}"))
        return math.nan
    return float(value)


def _range_text(key_range: tuple) -> str:
    low, high = key_range
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


# --- realising a scenario --------------------------------------------------------------


def has_distributions(spec: Any) -> bool:
    """Whether any value of a spec (dataclasses, dicts, lists) is a distribution."""
    return next(_distributions(spec, ()), None) is not None


def realise(spec: Any, seed: int, deterministic: bool) -> tuple[Any, dict[str, float]]:
    """A copy of `spec` with every distribution replaced by a value drawn from `seed`'s
    parameter stream (expected values if `deterministic`), and the values drawn by key
    path (dotted, as `--set` takes them). The spec itself is returned when it has none.

    Only the tables on the way to a distribution are copied; the rest (most of a map)
    is shared with `spec`, as all of it is when there is none: a run builds a model in
    a few milliseconds rather than deep-copying the scenario."""
    from sim.formats.typed_tables import format_path

    sequence = np.random.SeedSequence(seed, spawn_key=(PARAMETER_STREAM,))
    rng = np.random.default_rng(sequence)
    drawn: dict[str, float] = {}

    def draw(path: tuple, dist: Distribution) -> float | int:
        value = dist.expected() if deterministic else dist.draw(rng)
        drawn[format_path(path)] = value
        return value

    skeleton = _skeleton_of(spec)
    return (spec if skeleton is None else _drawn(spec, skeleton, (), draw)), drawn


def _drawn(value: Any, skeleton: Any, path: tuple, draw) -> Any:
    """`value` with each distribution inside replaced by `draw(path, distribution)`, in
    the order of `_distributions`, following `value`'s skeleton (`_skeleton`): only the
    tables on the way to a distribution are copied, and only those are visited."""
    if skeleton is _HERE:
        return draw(path, value)
    if isinstance(value, dict | list):
        copied = dict(value) if isinstance(value, dict) else list(value)
        for key, name, inner in skeleton:
            copied[key] = _drawn(value[key], inner, (*path, name), draw)
        return copied
    copied = copy.copy(value)
    for attribute, name, inner in skeleton:
        new = _drawn(getattr(value, attribute), inner, (*path, name), draw)
        object.__setattr__(copied, attribute, new)  # a frozen table too: it is our copy
    return copied


_HERE = "distribution"  # the skeleton of a distribution itself
_SKELETONS: dict[int, Any] = {}  # by id of a live spec (removed when the spec is freed)


def _skeleton_of(spec: Any) -> Any:
    """`spec`'s skeleton, worked out once per spec object: a sweep's worker realises
    the same scenario thousands of times, and a 235-place map has thousands of values
    that hold no distribution."""
    key = id(spec)
    if key not in _SKELETONS:
        skeleton = _skeleton(spec)
        try:
            weakref.finalize(spec, _SKELETONS.pop, key, None)
        except TypeError:  # a spec that cannot be watched is not remembered
            return skeleton
        _SKELETONS[key] = skeleton
    return _SKELETONS[key]


def _skeleton(value: Any) -> Any:
    """Where the distributions inside `value` are: None for nowhere, `_HERE` for a
    distribution itself, else (key or attribute, key-path name, inner skeleton) for
    each part holding one, in the order `_distributions` visits them."""
    if isinstance(value, _ATOMIC):
        return None
    if isinstance(value, Distribution):
        return _HERE
    names = _table_fields(type(value))
    if names:
        parts = [(attribute, name, getattr(value, attribute)) for attribute, name in names]
    elif isinstance(value, dict):
        parts = [(key, key, item) for key, item in value.items()]
    elif isinstance(value, list):
        parts = [(i, i, item) for i, item in enumerate(value)]
    else:
        return None
    inner = [(key, name, _skeleton(item)) for key, name, item in parts]
    return tuple(part for part in inner if part[2] is not None) or None


def distributions_by_path(spec: Any) -> dict[tuple, Distribution]:
    """Every distribution of a spec by its key path (keys and list indexes), in the
    order `realise` draws them: the uncertain parameters a calibration can fit."""
    return {path: dist for path, dist, _, _ in _distributions(spec, ())}


def expected_spec(spec: Any) -> Any:
    """A copy of `spec` with every distribution at its expected value."""
    return realise(spec, 0, True)[0]


@functools.cache
def _table_fields(cls: type) -> tuple[tuple[str, str], ...]:
    """(attribute, key) of each field of a dataclass (empty for any other type)."""
    if not dataclasses.is_dataclass(cls):
        return ()
    return tuple((f.name, f.metadata.get("toml_name") or f.name) for f in dataclasses.fields(cls))


def _distributions(value: Any, path: tuple):
    """(path, distribution, owner, key) of every distribution inside `value`, in a fixed
    order (fields in declaration order, tables in file order)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            name = field.metadata.get("toml_name") or field.name
            yield from _inside(getattr(value, field.name), (*path, name), value, field.name)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _inside(item, (*path, key), value, key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _inside(item, (*path, i), value, i)


def _inside(item: Any, path: tuple, owner: Any, name: Any):
    if isinstance(item, _ATOMIC):
        return
    if isinstance(item, Distribution):
        yield path, item, owner, name
    else:
        yield from _distributions(item, path)


def _set(owner: Any, name: Any, value: Any) -> None:
    if isinstance(owner, dict | list):
        owner[name] = value
    else:
        setattr(owner, name, value)


def whole_number_type(tp: Any) -> bool:
    """Whether a schema type is a whole number (int, or int | None)."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return tp is int or args == [int]
