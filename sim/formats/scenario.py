"""Load a scenario file: parse the TOML, follow `extends`, apply overrides, validate.

A scenario is data, never code. Loading either returns a complete, checked
`Scenario` or raises `InputError` listing every problem with the file and key path
where it was written (a key inherited through `extends` is blamed on the file that
set it).
"""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from pathlib import Path
from typing import Any

from sim.formats import validation
from sim.formats.map import Map
from sim.formats.problems import InputError, Problem
from sim.formats.schema import PlaceSpec, ScenarioSpec
from sim.formats.typed_tables import MISSING_KEY, KeyPath, format_path, from_table, toml_value

OVERRIDE_SOURCE = Path("<override>")


@dataclasses.dataclass
class Scenario:
    """A checked scenario: its spec, its places (a grid expanded), its map, its file."""

    spec: ScenarioSpec
    places: dict[str, PlaceSpec]
    map: Map
    source: Path
    files: tuple[Path, ...] = ()  # the file and those it extends

    @property
    def name(self) -> str:
        return self.spec.name


class _Origins:
    """Which file set each key, so a problem is blamed on the file that wrote it."""

    def __init__(self) -> None:
        self.files: dict[KeyPath, Path] = {}

    def record(self, data: dict, file: Path, prefix: KeyPath = ()) -> None:
        for name, value in data.items():
            self.files[(*prefix, name)] = file
            if isinstance(value, dict):
                self.record(value, file, (*prefix, name))

    def file_of(self, path: KeyPath, default: Path) -> Path:
        for end in range(len(path), 0, -1):
            if path[:end] in self.files:
                return self.files[path[:end]]
        return default


def parse_overrides(assignments: list[str] | dict[str, Any]) -> dict:
    """Turn `key.path=value` assignments (TOML syntax) or a {path: value} dict into a table.

    >>> parse_overrides(["run.days=30", 'factions.red.forces."Hill 3"=500'])
    {'run': {'days': 30}, 'factions': {'red': {'forces': {'Hill 3': 500}}}}
    """
    if isinstance(assignments, dict):
        lines = [f"{path} = {toml_value(value)}" for path, value in assignments.items()]
    else:
        lines = list(assignments)
    table: dict = {}
    problems = []
    for line in lines:
        try:
            _merge(table, tomllib.loads(line))
        except tomllib.TOMLDecodeError as error:
            message = f"expected `key.path = value` in TOML syntax, text in quotes ({error})"
            problems.append(Problem(OVERRIDE_SOURCE, line, message))
    if problems:
        raise InputError(problems)
    return table


def _merge(base: dict, override: dict) -> dict:
    """Merge `override` into `base` key by key: tables merge, other values replace. A
    distribution (`{ dist = ... }`) is a value: it replaces whatever was there whole."""
    for name, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(name), dict) and "dist" not in value:
            _merge(base[name], value)
        else:
            base[name] = value
    return base


def _read_chain(path: Path, chain: tuple[Path, ...], origins: _Origins) -> tuple[dict, list]:
    """Read a file and, recursively, the files it extends; return the merged table."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        return {}, [Problem(path, "file", f"cannot be read ({error.strerror})")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error).split(" (at line ")[0]
        return {}, [Problem(path, _toml_error_place(error), f"TOML syntax error: {message}")]
    parent = data.pop("extends", None)
    broken = None if parent is None else _broken_extends(path, parent, chain)
    if parent is None or broken is not None:
        origins.record(data, path)
        return data, [] if broken is None else [broken]
    base, problems = _read_chain((path.parent / parent).resolve(), (*chain, path), origins)
    origins.record(data, path)
    return _merge(base, data), problems


def _broken_extends(path: Path, parent: Any, chain: tuple[Path, ...]) -> Problem | None:
    """What is wrong with a file's `extends`, if anything."""
    if not isinstance(parent, str):
        return Problem(path, "extends", "must be a file path in quotes")
    parent_path = (path.parent / parent).resolve()
    if parent_path in (*chain, path):
        cycle = " -> ".join(p.name for p in (*chain, path, parent_path))
        return Problem(path, "extends", f"files extend each other in a cycle: {cycle}")
    if not parent_path.is_file():
        return Problem(path, "extends", f"no such file: {parent_path}")
    return None


def _toml_error_place(error: tomllib.TOMLDecodeError) -> str:
    lineno = getattr(error, "lineno", None)
    if lineno is None:  # Python < 3.14 puts the position in the message only
        text = str(error)
        if "(at line " in text:
            return "line " + text.rsplit("(at line ", 1)[1].split(",")[0]
        return "file"
    return f"line {lineno}, column {error.colno}"


def check_scenario(path: Path | str, overrides: dict | None = None) -> tuple[Scenario | None, list]:
    """Load and check a scenario; return it (None if it has problems) and all problems."""
    path = Path(path)
    origins = _Origins()
    data, problems = _read_chain(path.resolve(), (), origins)
    if problems:
        return None, _relative(problems + _own_key_problems(data, path, origins))
    if overrides:
        origins.record(overrides, OVERRIDE_SOURCE)
        _merge(data, overrides)
    return _check_table(data, path, origins)


def scenario_from_table(data: dict, source: Path | str) -> Scenario:
    """Check a scenario given as an in-memory table (e.g. a generated one)."""
    source = Path(source)
    origins = _Origins()
    origins.record(data, source)
    scenario, problems = _check_table(copy.deepcopy(data), source, origins)
    if problems:
        raise InputError(problems)
    return scenario


def _own_key_problems(data: dict, path: Path, origins: _Origins) -> list[Problem]:
    """The problems of the keys the files set (unknown keys, wrong types, values out of
    range), found even when an `extends` is broken, so that a file's problems all come at
    once. Missing keys are not reported: the broken base may have given them."""
    problems: list[Problem] = []

    def report(key_path: KeyPath, message: str) -> None:
        if message != MISSING_KEY:
            problems.append(
                Problem(origins.file_of(key_path, path), format_path(key_path), message)
            )

    from_table(ScenarioSpec, data, (), report)
    return problems


def _check_table(data: dict, path: Path, origins: _Origins) -> tuple[Scenario | None, list]:
    problems: list[Problem] = []

    def report(key_path: KeyPath, message: str) -> None:
        file = origins.file_of(key_path, path)
        problems.append(Problem(file, format_path(key_path), message))

    spec = from_table(ScenarioSpec, data, (), report)
    spec.name = spec.name or path.stem
    checked = validation.check_scenario(spec, report)
    if problems:
        return None, _relative(problems)
    places, built_map = checked
    files = tuple(sorted({f for f in origins.files.values() if f != OVERRIDE_SOURCE}))
    return Scenario(spec=spec, places=places, map=built_map, source=path, files=files), []


def load_scenario(path: Path | str, overrides: dict | None = None) -> Scenario:
    """Load a checked scenario, or raise `InputError` naming every problem."""
    scenario, problems = check_scenario(path, overrides)
    if problems:
        raise InputError(problems)
    return scenario


def _relative(problems: list[Problem]) -> list[Problem]:
    """Show files relative to the working directory when they are under it."""
    cwd = Path.cwd()
    return [
        dataclasses.replace(p, file=p.file.relative_to(cwd))
        if p.file.is_absolute() and p.file.is_relative_to(cwd)
        else p
        for p in problems
    ]
