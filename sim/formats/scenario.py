"""Load a scenario file: parse the TOML, follow `extends`, apply overrides, validate.

A scenario is data, never code. Loading either returns a complete, checked
`Scenario` or raises `InputError` listing every problem with the file and key path
where it was written (a key inherited through `extends` is blamed on the file that
set it).
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

from sim.formats import validation
from sim.formats.input_files import parse_toml, read_toml
from sim.formats.map import Map
from sim.formats.overrides import unknown_names
from sim.formats.paths import OutsideRootsError, confine, outside_message, scenario_roots
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
    key_files: dict[KeyPath, Path | str] = dataclasses.field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.spec.name

    def file_of(self, path: KeyPath) -> Path | str:
        """The file (or override source) that set the key at `path`."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.key_files:
                return self.key_files[path[:end]]
        return self.source


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


def parse_overrides(
    assignments: list[str] | dict[str, Any], source: Path | str = OVERRIDE_SOURCE
) -> dict:
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
        parsed, problem = parse_toml(line, source)
        if parsed is None:
            message = (
                f"expected `key.path = value` in TOML syntax, text in quotes ({problem.message})"
            )
            problems.append(Problem(source, line, message))
        else:
            _merge(table, parsed)
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


MAX_EXTENDS = 64  # files in one `extends` chain, at most (the Syria scenarios use 5)


@dataclasses.dataclass(frozen=True)
class Confinement:
    """Where the files a scenario names (`extends`) may lie: inside `roots`
    (`sim.formats.paths.confine`), unless `allow_outside`."""

    roots: tuple[Path, ...]
    allow_outside: bool = False

    def locate(self, file: Path, named: str) -> Path:
        """The file `named` by `file`, resolved; raises `OutsideRootsError` if refused."""
        if self.allow_outside:
            return (file.parent / named).resolve()
        return confine(named, self.roots, base=file.parent)


def _read_chain(path: Path, confinement: Confinement, origins: _Origins) -> tuple[dict, list]:
    """Read a file and the files it extends, one after the other; return the merged table
    (as much of it as could be read) and what stopped the chain, if anything."""
    chain: list[tuple[Path, dict]] = []
    problems: list[Problem] = []
    file: Path | None = path
    while file is not None:
        table, problems = read_toml(file)
        if table is None:
            break
        chain.append((file, table))
        file, problems = _parent_of(file, table.pop("extends", None), chain, confinement)
    merged: dict = {}
    for file, table in reversed(chain):  # the deepest base first; each file wins over it
        origins.record(table, file)
        _merge(merged, table)
    return merged, problems


def _parent_of(
    file: Path, parent: Any, chain: list[tuple[Path, dict]], confinement: Confinement
) -> tuple[Path | None, list[Problem]]:
    """The file that `file` extends (None at the end of the chain), or what is wrong."""
    if parent is None:
        return None, []
    if not isinstance(parent, str):
        return None, [Problem(file, "extends", "must be a file path in quotes")]
    try:
        parent_path = confinement.locate(file, parent)
    except OutsideRootsError as refused:
        return None, [Problem(file, "extends", outside_message(refused.resolved, refused.roots))]
    files = [f for f, _ in chain]
    if parent_path in files:
        cycle = " -> ".join(p.name for p in (*files, parent_path))
        return None, [Problem(file, "extends", f"files extend each other in a cycle: {cycle}")]
    if len(files) >= MAX_EXTENDS:
        message = f"a chain of more than {MAX_EXTENDS} files extending each other"
        return None, [Problem(file, "extends", message)]
    if not parent_path.is_file():
        return None, [Problem(file, "extends", f"no such file: {parent_path}")]
    return parent_path, []


def check_scenario(
    path: Path | str,
    overrides: dict | None = None,
    *,
    overrides_source: Path | str = OVERRIDE_SOURCE,
    roots: tuple[Path, ...] | None = None,
    allow_outside: bool = False,
) -> tuple[Scenario | None, list]:
    """Load and check a scenario; return it (None if it has problems) and all problems.

    `overrides` (a table, see `parse_overrides`) change keys the files define and are
    blamed on `overrides_source` (e.g. `--set`); they may not add factions, places or
    events (`sim.formats.overrides`). The files that `extends` names must lie inside
    `roots` (default: `sim.formats.paths.scenario_roots(path)`), unless `allow_outside`.
    """
    path = Path(path)
    confinement = Confinement(roots or scenario_roots(path), allow_outside)
    origins = _Origins()
    data, problems = _read_chain(path.resolve(), confinement, origins)
    if problems:
        return None, _relative(problems + _own_key_problems(data, path, origins))
    if overrides:
        problems = unknown_names(data, overrides, overrides_source)
        if problems:
            return None, _relative(problems)
        origins.record(overrides, overrides_source)
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
    files = tuple(
        sorted({f for f in origins.files.values() if isinstance(f, Path) and f.is_absolute()})
    )
    scenario = Scenario(spec, places, built_map, path, files, key_files=dict(origins.files))
    return scenario, []


def load_scenario(
    path: Path | str,
    overrides: dict | None = None,
    *,
    overrides_source: Path | str = OVERRIDE_SOURCE,
    roots: tuple[Path, ...] | None = None,
    allow_outside: bool = False,
) -> Scenario:
    """Load a checked scenario, or raise `InputError` naming every problem (the options
    are those of `check_scenario`)."""
    scenario, problems = check_scenario(
        path,
        overrides,
        overrides_source=overrides_source,
        roots=roots,
        allow_outside=allow_outside,
    )
    if problems:
        raise InputError(problems)
    return scenario


def scenario_warnings(scenario: Scenario, days: int | None = None) -> list[Problem]:
    """What a checked scenario allows but a user probably did not mean, for a run of
    `days` days (default: the scenario's): events after the last day."""
    late = validation.late_events(scenario.spec, days or scenario.spec.run.days)
    return _relative([Problem(scenario.file_of(p), format_path(p), m) for p, m in late])


def _relative(problems: list[Problem]) -> list[Problem]:
    """Show files relative to the working directory when they are under it."""
    cwd = Path.cwd()
    return [
        dataclasses.replace(p, file=p.file.relative_to(cwd))
        if isinstance(p.file, Path) and p.file.is_absolute() and p.file.is_relative_to(cwd)
        else p
        for p in problems
    ]
