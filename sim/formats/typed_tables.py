"""Check parsed TOML against the dataclasses of `sim.formats.schema` and build them.

Every problem is passed to a `report(path, message)` callback instead of raising, so a
file's problems are all found in one pass. A value that fails its check is replaced by
the key's default, which lets later checks go on without cascading errors.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import json
import math
import re
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, Union

from sim.formats.uncertainty import is_distribution_table, parse_distribution

KeyPath = tuple[str | int, ...]
Report = Callable[[KeyPath, str], None]

INVALID = object()
MISSING_KEY = "missing (this key is required)"
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_path(path: KeyPath) -> str:
    """Render a key path the way TOML writes it: `factions.regime.forces."Mare'"`, `roads[3]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            text += f".{name}" if text else name
    return text or "(top level)"


def toml_value(value: Any) -> str:
    """`value` written as a TOML value, e.g. `{ "air.sorties_per_day" = 40 }`, so that
    `frontline run --set KEY=VALUE` reads back the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(float(value))  # TOML writes floats, inf and nan as Python does
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    if isinstance(value, dict):
        pairs = (f"{_toml_string(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + ", ".join(pairs) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__} {value!r}")


def _toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = "".join(_TOML_ESCAPES.get(c, c) for c in text)
    return f'"{escaped}"'


_TOML_ESCAPES = {
    **{chr(c): f"\\u{c:04X}" for c in [*range(0x20), 0x7F]},
    **{"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"},
    **{'"': '\\"', "\\": "\\\\"},
}


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    """A hint naming the closest valid choice, or listing them when none is close."""
    choices = sorted(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    if choices and len(choices) <= 12:
        return f"; expected one of: {', '.join(choices)}"
    return ""


def toml_name(field: dataclasses.Field) -> str:
    """The key under which a dataclass field appears in TOML."""
    return field.metadata.get("toml_name") or field.name


@functools.cache
def fields_by_key(cls: type) -> dict[str, dataclasses.Field]:
    """A dataclass's fields, by their TOML key."""
    return {toml_name(f): f for f in dataclasses.fields(cls)}


@functools.cache
def type_hints(cls: type) -> dict[str, Any]:
    """A dataclass's field types, resolved once."""
    return typing.get_type_hints(cls)


def has_default(field: dataclasses.Field) -> bool:
    """Whether a field may be left out of a table."""
    return (
        field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
    )


def default_of(field: dataclasses.Field) -> Any:
    """A field's default value (a fresh one for lists, dicts and tables)."""
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None if field.default is dataclasses.MISSING else field.default


def from_table(cls: type, data: Any, path: KeyPath, report: Report) -> Any:
    """Build dataclass `cls` from a TOML table, reporting unknown, missing and bad keys."""
    if not isinstance(data, dict):
        report(path, f"must be a table, got {_describe(data)}")
        data = {}
    fields = fields_by_key(cls)
    hints = type_hints(cls)
    for name in data:
        if name not in fields:
            report((*path, name), "unknown key" + did_you_mean(name, fields))
    values = {}
    uncertain = getattr(cls, "UNCERTAIN", False)  # may its numbers be distributions?
    for name, field in fields.items():
        if name in data:
            meta = {**field.metadata, "uncertain": uncertain and not field.metadata.get("fixed")}
            value = convert(data[name], hints[field.name], (*path, name), meta, report)
            values[field.name] = default_of(field) if value is INVALID else value
        elif not has_default(field):
            report((*path, name), MISSING_KEY)
            values[field.name] = None
    return cls(**values)


def convert(value: Any, tp: Any, path: KeyPath, meta: typing.Mapping, report: Report) -> Any:
    """Check `value` against type `tp` and the range in `meta`; return it or INVALID."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return convert(value, inner, path, meta, report)
    if origin is Literal:
        return _convert_choice(value, typing.get_args(tp), path, report)
    if origin is list:
        return _convert_list(value, typing.get_args(tp)[0], path, meta, report)
    if origin is dict:
        return _convert_dict(value, typing.get_args(tp)[1], path, meta, report)
    if dataclasses.is_dataclass(tp):
        return from_table(tp, value, path, report)
    return _convert_scalar(value, tp, path, meta, report)


def _convert_scalar(value: Any, tp: type, path: KeyPath, meta: typing.Mapping, report: Report):
    if tp is bool:
        if isinstance(value, bool):
            return value
        report(path, f"must be true or false, got {_describe(value)}")
        return INVALID
    if tp is str:
        if isinstance(value, str):
            return value
        report(path, f"must be text (in quotes), got {_describe(value)}")
        return INVALID
    if tp is dt.date:
        return _convert_date(value, path, report)
    if tp in (int, float):
        return _convert_number(value, tp, path, meta, report)
    raise TypeError(f"schema type {tp!r} has no converter")


def _convert_number(value: Any, tp: type, path: KeyPath, meta: typing.Mapping, report: Report):
    whole = tp is int
    if is_distribution_table(value):
        if not meta.get("uncertain"):
            report(path, "must be a number: this key cannot be given as a distribution")
            return INVALID
        dist = parse_distribution(value, whole, (meta.get("min"), meta.get("max")), path, report)
        return INVALID if dist is None else dist
    if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
        report(path, f"must be {'a whole number' if whole else 'a number'}, got {_describe(value)}")
        return INVALID
    if not math.isfinite(value):
        report(path, f"must be a finite number, got {value}")
        return INVALID
    low, high = meta.get("min"), meta.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        report(path, f"must be {_range_text(low, high)}, got {value}")
        return INVALID
    return tp(value)


def _convert_date(value: Any, path: KeyPath, report: Report):
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    report(path, f"must be a date such as 2015-10-01, got {_describe(value)}")
    return INVALID


def _convert_choice(value: Any, choices: tuple, path: KeyPath, report: Report):
    if value in choices and isinstance(value, str):
        return value
    hint = did_you_mean(value, choices) if isinstance(value, str) else ""
    report(path, f"must be one of {', '.join(map(repr, choices))}, got {value!r}{hint}")
    return INVALID


def _convert_list(value: Any, item_tp: Any, path: KeyPath, meta: typing.Mapping, report: Report):
    if not isinstance(value, list):
        report(path, f"must be a list, got {_describe(value)}")
        return INVALID
    items = [convert(v, item_tp, (*path, i), meta, report) for i, v in enumerate(value)]
    return [v for v in items if v is not INVALID]


def _convert_dict(value: Any, item_tp: Any, path: KeyPath, meta: typing.Mapping, report: Report):
    if not isinstance(value, dict):
        report(path, f"must be a table, got {_describe(value)}")
        return INVALID
    items = {k: convert(v, item_tp, (*path, k), meta, report) for k, v in value.items()}
    return {k: v for k, v in items.items() if v is not INVALID}


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


def _describe(value: Any) -> str:
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "text"}
    kinds |= {list: "a list", dict: "a table", dt.date: "a date", dt.datetime: "a date-time"}
    shown = repr(value) if not isinstance(value, dict | list) else ""
    return f"{kinds.get(type(value), type(value).__name__)} {shown}".strip()
