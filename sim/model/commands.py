"""Commands: who decides for which place — a faction's own reserve and its groupings —
and the standing objectives they pursue.

A faction fights with its own reserve everywhere, unless it has named groupings
(fronts): each grouping has a reserve of its own and an area (places and regions), and
decides for its area and the places next to it; the faction's own reserve decides for
the rest. So a siege on one front does not drain the reserve of another. Commanders
are numbered: first every faction's own (command f = faction f), then every grouping,
faction by faction in file order.

Standing objectives (`objectives` of a faction, given or ended by events) say which
places to take and which to hold, with how many men: the doctrine attacks a place to
take whatever its odds (with at least `men`), keeps at least `men` at a place to hold
and never withdraws from it; either adds `priority` to the place's value for that
faction. An objective naming a grouping is that grouping's, wherever the place lies.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.formats.map import Map
from sim.formats.schema import FactionSpec, ObjectiveSpec


@dataclasses.dataclass(frozen=True)
class Command:
    """A commander: a faction's own reserve (grouping None) or one of its groupings."""

    faction: int
    grouping: str | None


def commands_of(specs: list[FactionSpec]) -> list[Command]:
    """Every commander, in the order of the model's arrays."""
    own = [Command(f, None) for f in range(len(specs))]
    named = [Command(f, name) for f, spec in enumerate(specs) for name in spec.groupings]
    return own + named


def initial_reserves(specs: list[FactionSpec], commands: list[Command]) -> np.ndarray:
    """(C,) each commander's reserve on day 0."""
    return np.array(
        [
            specs[c.faction].reserve if c.grouping is None
            else specs[c.faction].groupings[c.grouping].reserve
            for c in commands
        ],
        dtype=float,
    )  # fmt: skip


def faction_areas(specs: list[FactionSpec], world: Map) -> np.ndarray:
    """(F, P) bool: where each faction may fight (a militia: its home region only)."""
    area = np.ones((len(specs), world.size), dtype=bool)
    for f, spec in enumerate(specs):
        if spec.home_region is not None:
            area[f] = world.in_region(spec.home_region)
    return area


def grouping_areas(spec: FactionSpec, world: Map) -> dict[str, np.ndarray]:
    """Each grouping's area (P,) bool: its places and the places of its regions."""
    areas = {}
    for name, grouping in spec.groupings.items():
        area = np.zeros(world.size, dtype=bool)
        for place in grouping.places:
            area[world.index(place)] = True
        for region in grouping.regions:
            area |= world.in_region(region)
        areas[name] = area
    return areas


def commander_map(
    specs: list[FactionSpec], commands: list[Command], world: Map, objectives: list[dict]
) -> np.ndarray:
    """(F, P) the commander deciding for each place: the grouping whose area holds it,
    else one whose area it borders, else the faction's own; an objective naming a
    grouping gives its place to that grouping."""
    number = {(c.faction, c.grouping): i for i, c in enumerate(commands)}
    commander = np.repeat(np.arange(len(specs))[:, None], world.size, axis=1)
    for f, spec in enumerate(specs):
        areas = grouping_areas(spec, world)
        for name, area in areas.items():  # bordering first, so that areas win below
            commander[f, _bordering(area, world) & ~area] = number[f, name]
        for name, area in areas.items():
            commander[f, area] = number[f, name]
        for objective in objectives[f].values():
            if objective.grouping is not None:
                commander[f, world.index(objective.place)] = number[f, objective.grouping]
    return commander


def _bordering(area: np.ndarray, world: Map) -> np.ndarray:
    """(P,) bool: the places next to a place of `area`."""
    near = np.zeros(world.size, dtype=bool)
    for p in np.flatnonzero(area):
        near[world.neighbours[world.neighbours_start[p] : world.neighbours_start[p + 1]]] = True
    return near


@dataclasses.dataclass
class ObjectiveArrays:
    """The standing objectives as arrays (F, P) for the kernels."""

    take_men: np.ndarray
    hold_men: np.ndarray
    objective_value: np.ndarray


def objective_arrays(objectives: list[dict[str, ObjectiveSpec]], world: Map) -> ObjectiveArrays:
    """The arrays of every faction's current objectives (an objective asks for at least
    one fighter, so that it counts even with `men` 0: a place to take is attacked, a place
    to hold is never given up)."""
    shape = (len(objectives), world.size)
    arrays = ObjectiveArrays(np.zeros(shape), np.zeros(shape), np.zeros(shape))
    for f, mine in enumerate(objectives):
        for objective in mine.values():
            p = world.index(objective.place)
            if objective.kind == "take":
                arrays.take_men[f, p] = max(arrays.take_men[f, p], objective.men, 1.0)
            else:
                arrays.hold_men[f, p] = max(arrays.hold_men[f, p], objective.men, 1.0)
            arrays.objective_value[f, p] += objective.priority
    return arrays
