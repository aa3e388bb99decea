"""Parameter designs: which values of the uncertain parameters a sweep tries.

A full grid over given values, `points` quasi-random points in the box of ranges (a
Latin hypercube, `scipy.stats.qmc`), or Saltelli's scheme for Sobol indices (SALib's
sampler: `points` base samples x (parameters + 2) points, so that the report can compute
first-order and total indices); all seeded from the experiment's master seed, so that
the same file gives the same points.

A scenario key that must be a whole number (`is_whole_number`, e.g.
`factions.F.doctrine.max_offensives`) gets whole numbers: its grid values are used as
integers, and a draw u in [0, 1) becomes floor(low + u (high + 1 - low)), so that every
whole number from `low` to `high` is equally likely (and a Latin hypercube of k times
as many points as there are whole numbers tries each exactly k times).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import tomllib
import types
import typing
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, Union

import numpy as np
from scipy.stats import qmc

from sim.formats.schema import EventSpec, FactionSpec, ScenarioSpec
from sim.formats.typed_tables import fields_by_key, type_hints

if TYPE_CHECKING:
    from sim.formats.experiment import DesignSpec, ParameterRange
    from sim.formats.typed_tables import Report

Value = float | int  # a design value: an int for a whole-number key


def design_points(
    design: DesignSpec, seed: int, report: Report, whole: Collection[str] = ()
) -> list[dict[str, Value]]:
    """The design's points, each a {dotted scenario key: value}; [] if it has problems.

    `whole` names the parameters that are whole numbers (see the module docstring).
    """
    names = list(design.parameters)
    if not names:
        report(("design", "parameters"), "no parameters: give at least one range")
        return []
    if design.method == "grid":
        return _grid(design, names, whole, report)
    if not _check_ranges(design, names, report):
        return []
    if design.method == "sobol":
        if design.points & (design.points - 1):
            report(("design", "points"), f"a Sobol design needs a power of 2, got {design.points}")
            return []
        unit = saltelli_unit(len(names), design.points, seed)
    else:
        unit = qmc.LatinHypercube(len(names), seed=seed).random(design.points)
    return [_point(design, names, row, whole) for row in unit]


def saltelli_unit(dimensions: int, base: int, seed: int) -> np.ndarray:
    """Saltelli's scheme in the unit cube, as SALib draws it for first-order and total
    Sobol indices (no second order): `base` x (dimensions + 2) rows, in the order
    `SALib.analyze.sobol` reads the outputs back (`sim.experiments.sensitivity`)."""
    from SALib.sample import sobol as saltelli  # imported only for a Sobol design

    problem = {"num_vars": dimensions, "names": [f"x{i}" for i in range(dimensions)],
               "bounds": [[0.0, 1.0]] * dimensions}  # fmt: skip
    return saltelli.sample(problem, base, calc_second_order=False, scramble=True, seed=seed)


def key_value(value: float, whole: bool) -> Value:
    """A design value as the scenario key takes it: an int for a whole-number key.

    A fractional value stays a float, so that the scenario check rejects it.
    """
    return int(value) if whole and float(value).is_integer() else value


def _point(
    design: DesignSpec, names: list[str], draws: Any, whole: Collection[str]
) -> dict[str, Value]:
    """The point of one row of draws in [0, 1), one draw per parameter."""
    return {
        name: _from_unit(float(u), design.parameters[name], name in whole)
        for name, u in zip(names, draws, strict=True)
    }


def _from_unit(u: float, parameter: ParameterRange, whole: bool) -> Value:
    """The parameter's value for a draw u in [0, 1)."""
    low, high = parameter.low, parameter.high
    if not whole:
        return low + u * (high - low)
    # min(): guards against low + u * span rounding up to high + 1 for u just below 1
    return min(math.floor(low + u * (high + 1 - low)), int(high))


def _grid(
    design: DesignSpec, names: list[str], whole: Collection[str], report: Report
) -> list[dict[str, Value]]:
    missing = [n for n in names if not design.parameters[n].values]
    for name in missing:
        report(("design", "parameters", name, "values"), "a grid needs the values to try")
    if missing:
        return []
    axes = [[key_value(v, n in whole) for v in design.parameters[n].values] for n in names]
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


def key_parts(dotted: str) -> tuple[str, ...] | None:
    """The keys of a dotted TOML key path (`a."b.c"` -> a, b.c); None if it is not one."""
    try:
        table: Any = tomllib.loads(f"{dotted} = 0")
    except tomllib.TOMLDecodeError:
        return None
    parts = []
    while isinstance(table, dict):
        ((name, table),) = table.items()
        parts.append(name)
    return tuple(parts)


def is_whole_number(dotted: str) -> bool:
    """Whether the scenario schema makes the key at this dotted path a whole number."""
    parts = key_parts(dotted)
    return parts is not None and _schema_type(ScenarioSpec, list(parts)) is int


def _schema_type(tp: Any, parts: list[str]) -> Any:
    """The schema type of the key at `parts` below type `tp`; None if there is no such key.

    A table keyed by name (`factions`) takes any name; an event's `set` table takes a
    dotted faction key (`events.E.set."doctrine.max_offensives"`).
    """
    tp = _without_none(tp)
    if not parts:
        return tp
    head, *rest = parts
    if typing.get_origin(tp) is dict:
        return _schema_type(typing.get_args(tp)[1], rest)
    if not dataclasses.is_dataclass(tp) or head not in fields_by_key(tp):
        return None
    if tp is EventSpec and head == "set" and rest:
        return _schema_type(FactionSpec, [*rest[0].split("."), *rest[1:]])
    return _schema_type(type_hints(tp)[fields_by_key(tp)[head].name], rest)


def _without_none(tp: Any) -> Any:
    """`X` for an optional type `X | None`; other types unchanged."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return inner
    return tp
