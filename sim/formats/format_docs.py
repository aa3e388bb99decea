"""Write the file format references in docs/ from the dataclasses that define them.

    python -m sim.formats.format_docs scenario > docs/scenario-format.md
    python -m sim.formats.format_docs experiment > docs/experiment-format.md

Run them after changing `sim.formats.schema` or `sim.experiments.experiment`; a test fails
while a committed reference differs from what these print.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from typing import Any, Literal, Union

from sim.formats.schema import ScenarioSpec
from sim.formats.typed_tables import default_of, has_default, toml_name, type_hints
from sim.formats.validation import settable_keys

INTRO = """\
# Scenario file format

A scenario is a TOML file: data only, never code. This reference lists every table and
key, with its type, unit, allowed range and default. It is generated from
`sim/formats/schema.py` (`python -m sim.formats.format_docs > docs/scenario-format.md`), so it
always matches what `frontline validate` checks.

A variant is a few lines: `extends = "base.toml"` merges the base file's tables into
this one key by key, this file's values winning (tables merge; lists, other values and
distributions `{ dist = ... }` replace). Tables keyed by name (`map.places`, `factions`,
`events`) let a variant change one entry: `[factions.russia.air] sorties_per_day = 90`, or
cancel an event:
`[events.amnesty] enabled = false`. `frontline run --set KEY=VALUE` overrides any key
the same way for one run.

Every problem in a file (syntax, unknown or misspelt key, wrong type, value out of
range, reference to an unknown place, faction or region, shares that do not sum to 1,
inconsistent relations, cyclic `extends`) is reported at once, naming the file and the
key path. Units: manpower in fighters, distances in km, rates per day, morale and
shares between 0 and 1. Day 0 is `run.start_date`; the run covers days 1 to `run.days`.

Examples: `scenarios/teaching/valley.toml` (a grid map, three factions, air support,
events) and `scenarios/syria/` (a map of named places, and variants built with
`extends`). Every number in a shipped scenario carries a comment naming its source in
the reference data, or the word `assumption`.
"""

EVENTS_NOTE = """\
An event's `set` table changes faction keys by dotted path. The keys an event may set:
{keys}.
Events dated on or before day 0 take effect before the first day.
"""


EXPERIMENT_INTRO = """\
# Experiment file format

An experiment is a TOML file, data only, that says which scenario variants to compare,
how many runs of each, which metrics to record and which comparisons to test. It is
generated from `sim/experiments/experiment.py` (`python -m sim.formats.format_docs experiment >
docs/experiment-format.md`). `frontline validate` checks it and every variant's scenario
(with its overrides); `frontline sweep EXPERIMENT --out DIR` runs it and `frontline
report DIR` writes the statistics and verdicts.

Runs are (variant, design point, replicate); each run's seed is derived from `seed` by
`numpy.random.SeedSequence(seed, spawn_key=(variant, point, replicate))`, so it does not
depend on the order of execution, and each stored run carries the `frontline run`
command that repeats it alone. Metric names: the standard ones of every run
(`places.F`, `population.F`, `peak_places.F`, `manpower.F` for each ground faction F,
`front_length_km`, `captures`, `strike_share.A.T` for air force A and target T) and
those of the scenario's `[metrics]` table. A comparison is supported when the test's
p < 0.05 and the bootstrap 95 % interval of the difference lies on the predicted side
of zero, contradicted when the interval lies on the other side, inconclusive otherwise;
with fewer than two finished runs on a side (a variant whose runs failed, a sweep stopped
early, a metric a run cannot define) it has insufficient data, said with the counts, and
the rest of the report is written. `frontline validate` checks, before anything runs,
every design value against each variant's scenario (both ends of a range, each grid
value), the recorded metric names against those the variants' runs produce, and that the
compared metrics are recorded.

Example: `experiments/quick.toml`.
"""


def reference(kind: str = "scenario") -> str:
    """The whole reference of `kind` ("scenario" or "experiment") as Markdown."""
    if kind == "experiment":
        from sim.formats.experiment import ExperimentSpec

        root, sections = ExperimentSpec, [EXPERIMENT_INTRO]
    else:
        root, sections = ScenarioSpec, [INTRO]
    for path, cls in _tables(root, ""):
        sections.append(_section(path, cls))
        if cls.__name__ == "EventSpec":
            keys = ", ".join(f"`{k}`" for k in settable_keys())
            sections.append(EVENTS_NOTE.format(keys=keys))
    return "\n".join(sections)


def _tables(cls: type, path: str) -> list[tuple[str, type]]:
    """Every table reachable from `cls`, with the path under which it appears."""
    found = [(path or "(top level)", cls)]
    hints = type_hints(cls)
    for field in dataclasses.fields(cls):
        inner = _inner_dataclass(hints[field.name])
        if inner is None:
            continue
        name = toml_name(field)
        keyed = typing.get_origin(_strip_optional(hints[field.name])) is dict
        listed = typing.get_origin(_strip_optional(hints[field.name])) is list
        sub = f"{path}.{name}" if path else name
        sub += ".NAME" if keyed else "[]" if listed else ""
        found += _tables(inner, sub)
    return found


def _strip_optional(tp: Any) -> Any:
    if typing.get_origin(tp) in (Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return inner
    return tp


def _inner_dataclass(tp: Any) -> type | None:
    tp = _strip_optional(tp)
    origin = typing.get_origin(tp)
    if origin in (dict, list):
        tp = typing.get_args(tp)[-1]
    return tp if dataclasses.is_dataclass(tp) else None


def _section(path: str, cls: type) -> str:
    hints = type_hints(cls)
    lines = [f"## `{path}`", "", (cls.__doc__ or "").strip(), ""]
    lines += ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for field in dataclasses.fields(cls):
        meta = field.metadata
        meaning = meta.get("doc", "")
        limits = _limits(meta)
        if limits:
            meaning += f" Range: {limits}."
        if meta.get("unit"):
            meaning += f" Unit: {meta['unit']}."
        lines.append(
            f"| `{toml_name(field)}` | {_type_name(hints[field.name])} | "
            f"{_default_text(field)} | {meaning} |"
        )
    return "\n".join(lines) + "\n"


def _limits(meta: typing.Mapping) -> str:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and high is not None:
        return f"{low:g} to {high:g}"
    if low is not None:
        return f"at least {low:g}"
    return f"at most {high:g}" if high is not None else ""


def _type_name(tp: Any) -> str:
    tp = _strip_optional(tp)
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " or ".join(f'`"{a}"`' for a in typing.get_args(tp))
    if origin is list:
        item = typing.get_args(tp)[0]
        return "list of tables" if dataclasses.is_dataclass(item) else f"list of {_type_name(item)}"
    if origin is dict:
        item = typing.get_args(tp)[1]
        if dataclasses.is_dataclass(item):
            return "tables by name"
        return f"table of {_type_name(item)}"
    if dataclasses.is_dataclass(tp):
        return "table"
    names = {str: "text", int: "integer", float: "number", bool: "boolean", dt.date: "date"}
    return names.get(tp, "any value")


def _default_text(field: dataclasses.Field) -> str:
    if not has_default(field):
        return "required"
    value = default_of(field)
    if dataclasses.is_dataclass(value):
        return "see below"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`' if value else '`""`'
    if isinstance(value, list | dict):
        return "`[]`" if isinstance(value, list) else "`{}`"
    return f"`{value:g}`"


if __name__ == "__main__":
    import sys

    print(reference(sys.argv[1] if len(sys.argv) > 1 else "scenario"), end="")
