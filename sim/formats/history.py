"""History files: what happened, as dated facts a run can be scored against.

A history file is a CSV (`docs/history-format.md`) with one fact a line:

    kind,place,from,to,date_first,date_last,note,source

- `control`: `place` passes from `from` to `to` between `date_first` and `date_last`
  (a window; one day when both are equal). An empty `from` means a relief: `place`, held
  by `to`, is joined again to `to`'s supply (a siege lifted).
- `route_cut`: the route between the two places of `place` (`A|B`), held by `from`, is cut by
  `to` at some time in the window.
- `never`: `to` never takes `place` (from `from`, or from anyone when `from` is empty) at any
  time in the window.
- `holds`: `place` is held by `to` on `date_first` (a state, e.g. the period-end map).

`load_history` reads and checks a file on its own (columns, kinds, dates, factions of the
four sides, contradictions); `check_history_against` checks it against a scenario (unknown
places, unknown factions, dates outside the scenario's run). Every problem names the file
and the line, and all of them are reported together.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from pathlib import Path

from sim.formats.problems import InputError, Problem

COLUMNS = ("kind", "place", "from", "to", "date_first", "date_last", "note", "source")
KINDS = ("control", "route_cut", "never", "holds")
ROUTE_SEPARATOR = "|"


@dataclasses.dataclass(frozen=True)
class Fact:
    """One line of a history file."""

    line: int
    kind: str
    place: str
    previous: str | None  # the `from` column (None when empty)
    new: str  # the `to` column
    first: dt.date
    last: dt.date
    note: str = ""
    source: str = ""

    @property
    def places(self) -> tuple[str, ...]:
        """The places the fact names (two for a route)."""
        return (
            tuple(self.place.split(ROUTE_SEPARATOR)) if self.kind == "route_cut" else (self.place,)
        )

    @property
    def label(self) -> str:
        """A short readable name, e.g. `Mhin regime>isis 2015-10-31`."""
        if self.kind == "holds":
            return f"{self.place} held by {self.new} {self.first}"
        sides = f"{self.previous or ''}>{self.new}" if self.previous else f"relief {self.new}"
        if self.kind == "never":
            sides = f"never {self.previous or 'any'}>{self.new}"
        name = self.place.replace(ROUTE_SEPARATOR, "-")
        return f"{name} {sides} {self.first}" + (
            f"..{self.last}" if self.last != self.first else ""
        )


@dataclasses.dataclass(frozen=True)
class History:
    """The facts of a history file, in file order."""

    source: Path
    facts: tuple[Fact, ...]

    def of_kind(self, *kinds: str) -> list[Fact]:
        return [fact for fact in self.facts if fact.kind in kinds]

    @property
    def factions(self) -> set[str]:
        return {f.new for f in self.facts} | {f.previous for f in self.facts if f.previous}

    @property
    def places(self) -> set[str]:
        return {place for fact in self.facts for place in fact.places}

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        """First and last date that any fact names."""
        return min(f.first for f in self.facts), max(f.last for f in self.facts)


def load_history(path: Path | str) -> History:
    """Read and check a history file; raise InputError with every problem found."""
    history, problems = check_history(path)
    if problems:
        raise InputError(problems)
    return history


def check_history(path: Path | str) -> tuple[History | None, list[Problem]]:
    """The file's facts and its problems (the facts are None if it cannot be read)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(path, "file", f"cannot read it: {error}")]
    rows = list(csv.reader(text.splitlines()))
    if not rows or tuple(c.strip() for c in rows[0]) != COLUMNS:
        found = ",".join(rows[0]) if rows else "nothing"
        return None, [
            Problem(path, "line 1", f"the header must be {','.join(COLUMNS)}; found {found}")
        ]
    facts, problems = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        fact, found = _parse_row(path, number, row)
        problems += found
        if fact is not None:
            facts.append(fact)
    problems += _contradictions(path, facts)
    return History(path, tuple(facts)), problems


def _parse_row(path: Path, number: int, row: list[str]) -> tuple[Fact | None, list[Problem]]:
    where = f"line {number}"
    if len(row) != len(COLUMNS):
        message = f"has {len(row)} fields, expected {len(COLUMNS)} ({','.join(COLUMNS)})"
        return None, [Problem(path, where, message)]
    cells = dict(zip(COLUMNS, (cell.strip() for cell in row), strict=True))
    problems = []
    kind = cells["kind"]
    if kind not in KINDS:
        problems.append(
            Problem(path, where, f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        )
    if not cells["place"]:
        problems.append(Problem(path, where, "place is empty"))
    if kind == "route_cut" and len(cells["place"].split(ROUTE_SEPARATOR)) != 2:
        problems.append(
            Problem(
                path, where, f"a route_cut's place is two places, 'A|B'; got {cells['place']!r}"
            )
        )
    if not cells["to"]:
        problems.append(Problem(path, where, "to (the faction) is empty"))
    if kind == "route_cut" and not cells["from"]:
        problems.append(
            Problem(path, where, "a route_cut needs `from`, the side whose route is cut")
        )
    if kind == "holds" and cells["from"]:
        problems.append(
            Problem(path, where, "a holds fact has no `from` (it is a state, not a change)")
        )
    if cells["from"] and cells["from"] == cells["to"]:
        problems.append(Problem(path, where, f"from and to are the same faction ({cells['to']!r})"))
    first, last = (
        _date(path, where, name, cells[name], problems) for name in ("date_first", "date_last")
    )
    if first and last and last < first:
        problems.append(Problem(path, where, f"date_last {last} is before date_first {first}"))
    if kind == "holds" and first and last and first != last:
        problems.append(Problem(path, where, "a holds fact is one date: date_first = date_last"))
    if problems or first is None or last is None:
        return None, problems
    fact = Fact(
        line=number, kind=kind, place=cells["place"], previous=cells["from"] or None,
        new=cells["to"], first=first, last=last, note=cells["note"], source=cells["source"],
    )  # fmt: skip
    return fact, []


def _date(path: Path, where: str, name: str, text: str, problems: list[Problem]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(path, where, f"{name} {text!r} is not a date (YYYY-MM-DD)"))
        return None


def _contradictions(path: Path, facts: list[Fact]) -> list[Problem]:
    """A change that happens in a window where a `never` fact forbids it; two states of one
    place on one date."""
    problems = []
    nevers = [f for f in facts if f.kind == "never"]
    for fact in facts:
        if fact.kind != "control" or fact.previous is None:
            continue
        for never in nevers:
            same = never.place == fact.place and never.new == fact.new
            source_matches = never.previous in (None, fact.previous)
            overlap = fact.first <= never.last and never.first <= fact.last
            if same and source_matches and overlap:
                problems.append(Problem(
                    path, f"line {fact.line}",
                    f"{fact.new} takes {fact.place} here, but line {never.line} says it never "
                    f"does between {never.first} and {never.last}",
                ))  # fmt: skip
    states: dict[tuple[str, dt.date], Fact] = {}
    for fact in (f for f in facts if f.kind == "holds"):
        other = states.setdefault((fact.place, fact.first), fact)
        if other.new != fact.new:
            problems.append(Problem(
                path, f"line {fact.line}",
                f"{fact.place} held by {fact.new} on {fact.first}, "
                    f"but line {other.line} says {other.new}",
            ))  # fmt: skip
    return problems


def check_history_against(
    history: History, places: set[str], factions: set[str], start: dt.date | None, days: int
) -> list[Problem]:
    """Problems of a history read against a scenario: places and factions it does not have,
    dates outside its run (`start` + `days`), or a scenario without a calendar."""
    path, problems = history.source, []
    if start is None:
        return [Problem(path, "file", "the scenario has no run.start_date: facts cannot be dated")]
    end = start + dt.timedelta(days=days)
    for fact in history.facts:
        where = f"line {fact.line}"
        for place in fact.places:
            if place not in places:
                problems.append(
                    Problem(path, where, f"unknown place {place!r} (not on the scenario's map)")
                )
        for faction in filter(None, (fact.previous, fact.new)):
            if faction not in factions:
                problems.append(
                    Problem(
                        path,
                        where,
                        f"unknown faction {faction!r}; the scenario has "
                        + ", ".join(sorted(factions)),
                    )
                )
        if fact.first < start or fact.last > end:
            problems.append(Problem(
                path, where,
                f"dates {fact.first}..{fact.last} outside the scenario's run ({start} to {end})",
            ))  # fmt: skip
    return problems
