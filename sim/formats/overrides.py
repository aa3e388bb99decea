"""Overrides change what a scenario defines; they never add a faction, place or event.

An override (`frontline run --set`, an experiment variant's `set`, a design parameter,
the dashboard's controls) is merged into the scenario's tables key by key. Merged
blindly, `factions.nobdy.morale = 0.5` would create a faction `nobdy` with default
values — a typo that silently runs a different experiment. So a name that an override
gives in a table of named things (factions, places, grid cells and zones, events,
metrics) must be one the scenario files define.

`unknown_names(base, overrides, source)` is the check; the scenario loader applies it
to every override (`sim.formats.scenario.check_scenario`), so the command line, the
experiments and the dashboard get the same message.
"""

from __future__ import annotations

from pathlib import Path

from sim.formats.problems import Problem
from sim.formats.typed_tables import KeyPath, did_you_mean, format_path

NAMED_TABLES: dict[KeyPath, str] = {
    ("factions",): "faction",
    ("map", "places"): "place",
    ("map", "grid", "cells"): "grid cell",
    ("map", "grid", "zones"): "grid zone",
    ("events",): "event",
    ("metrics",): "metric",
}


def unknown_names(base: dict, overrides: dict, source: Path | str) -> list[Problem]:
    """A problem for each name an override gives in a table of named things that the
    scenario's own tables (`base`, `extends` merged) do not define."""
    problems = []
    for path, what in NAMED_TABLES.items():
        given = _table_at(overrides, path)
        if not given:
            continue
        known = _table_at(base, path) or {}
        for name in given:
            if name not in known:
                message = (
                    f"unknown {what} {name!r}{did_you_mean(name, known)}: an override "
                    f"changes the scenario's {what}s, it cannot add one"
                )
                problems.append(Problem(source, format_path((*path, name)), message))
    return problems


def _table_at(table: dict, path: KeyPath) -> dict | None:
    """The sub-table at `path`, or None if there is none (or something else is there)."""
    for name in path:
        table = table.get(name) if isinstance(table, dict) else None
    return table if isinstance(table, dict) else None
