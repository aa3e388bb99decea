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
the same way for one run. An override (`--set`, an experiment variant's `set`, a design
parameter, the dashboard) changes what the files define: it cannot add a faction,
place, grid cell or zone, event or metric, so that a misspelt name is refused (with the
closest name) rather than run as a new faction with default values.

`extends` is a path relative to the file that names it. It must lead (symlinks and `..`
resolved) into the folder of the file given to the command, or into the project's
`scenarios/` or `experiments/` folders; a file elsewhere (`/etc/passwd`,
`../../.ssh/config`) is refused, naming the file, the key and the resolved path, unless
the user allows it with `--allow-outside`. A chain of `extends` has at most 64 files.

Every problem in a file (syntax, unknown or misspelt key, wrong type, value out of
range, reference to an unknown place, faction or region, shares that do not sum to 1,
inconsistent relations, cyclic `extends`) is reported at once, naming the file and the
key path (or the line, for a syntax error, a binary or UTF-16 file, or tables nested more
than 32 deep). Units: manpower in fighters, distances in km, rates per day, morale and
shares between 0 and 1. Day 0 is `run.start_date`; the run covers days 1 to `run.days`.

Every number has a range of physical sense, given below: manpower up to 10,000,000
fighters (more than any army ever fielded), a place's population up to 100,000,000,
up to 10,000 sorties a day (the largest air campaigns flew about 3,000), distances up
to 20,000 km, a grid of at most 100,000 cells, horizons and days up to 100,000. A value
beyond them is refused: it is a typo, and would overflow the model's arithmetic.

Examples: `scenarios/teaching/valley.toml` (a grid map, three factions, air support,
events) and `scenarios/syria/` (a map of named places, and variants built with
`extends`). Every number in a shipped scenario carries a comment naming its source in
the reference data, or the word `assumption`.
"""

EVENTS_NOTE = """\
An event's `set` table changes faction keys by dotted path. The keys an event may set:
{keys}.
Events dated on or before day 0 take effect before the first day (a scenario that
starts mid-campaign begins with the campaign under way). An event after the run's last
day has no effect: `frontline validate` and `frontline run` warn about it (a warning,
not an error, since `--days` may shorten a run on purpose).
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
`numpy.random.SeedSequence(seed, spawn_key=(variant, point, replicate))` (with
`pairing = "common_seeds"`, the first variant's for every variant), so it does not
depend on the order of execution, and each stored run carries the `frontline run`
command that repeats it alone. Metric names: the standard ones of every run
(`places.F`, `population.F`, `peak_places.F`, `manpower.F` for each ground faction F,
`front_length_km`, `captures`, `strike_share.A.T` for air force A and target T) and
those of the scenario's `[metrics]` table. Every test is two-sided and their p-values
are corrected together (`multiplicity`). A comparison is supported when the adjusted
p < 0.05 and the 95 % interval of the difference lies on the predicted side of zero,
contradicted when it lies on the other side, equivalent when two one-sided tests put
the difference within +-`sesoi`, no response when the metric is the same in every run
of both arms (pair by pair with common seeds), inconclusive otherwise; with fewer than
two finished runs on a side (a variant whose runs failed, a sweep stopped early, a
metric a run cannot define) it has insufficient data, said with the counts, and the
rest of the report is written. A variant's `scenario` is a path relative to the
experiment file, confined like a scenario's `extends` (the experiment's folder and the
project's `scenarios/` and `experiments/`, unless `--allow-outside`); its `set` and the
design's parameters change keys the scenario defines and cannot add a faction, place or
event. A sweep holds at most 1,000,000 runs. `frontline validate` checks, before anything runs,
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
        return f"{_bound(low)} to {_bound(high)}"
    if low is not None:
        return f"at least {_bound(low)}"
    return f"at most {_bound(high)}" if high is not None else ""


def _bound(value: float) -> str:
    """A range's end, readable: `10,000,000`, `0.01`."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


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
