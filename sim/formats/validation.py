"""Checks that need the whole scenario: references between tables, shares, consistency.

`sim.formats.typed_tables` has already checked each key's type and range; this module checks
what no single key can: that places, factions and regions named anywhere exist, that
roads join known places, that supply sources are held by their faction, that relations
agree both ways, that targeting shares sum to 1, and that events change real keys.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Collection

from sim.formats.map import Map, expand_grid, grid_cell_name
from sim.formats.schema import (
    AirSpec,
    EventSpec,
    FactionSpec,
    GridSpec,
    MapSpec,
    MetricSpec,
    PlaceSpec,
    ScenarioSpec,
)
from sim.formats.typed_tables import (
    INVALID,
    KeyPath,
    Report,
    convert,
    did_you_mean,
    fields_by_key,
    type_hints,
)
from sim.formats.uncertainty import Distribution, expected_spec

SHARE_TOLERANCE = 1e-6
NOT_SETTABLE_BY_EVENTS = {
    "label",
    "color",
    "reserve",  # use `add_reserve`
    "forces",  # use `add_forces`
    "relations",  # use the event's `relations`
    "home_region",
    "air_only",
}
AIR_REFERENCE_KEYS = ("targeting", "place_weights", "region_weights")
STANDARD_METRIC_NAMES = ("captures", "front_length_km")  # and dotted `places.red` etc.


def check_scenario(spec: ScenarioSpec, report: Report) -> tuple[dict[str, PlaceSpec], Map] | None:
    """Report every cross-reference problem; return the places (a grid expanded) and the
    map built from them, if the map is sound.

    A broken map does not stop the other checks: with a bad road or coordinates the place
    names are still known; with a broken grid, checks of place names are skipped.
    """
    places, roads, place_paths, sound = _check_map(spec.map, report)
    context = _Context(spec, places, place_paths, report)
    context.check_controllers()
    for name, faction in spec.factions.items():
        context.check_faction(name, faction, ("factions", name))
    context.check_relations()
    for name, event in spec.events.items():
        context.check_event(event, ("events", name))
    for name, metric in spec.metrics.items():
        context.check_metric(metric, ("metrics", name))
    if places is None or not sound:
        return None
    return places, Map.build(expected_spec(places), expected_spec(roads))


def _known(name: str, choices: Collection[str], path: KeyPath, what: str, report: Report) -> bool:
    if name in choices:
        return True
    report(path, f"unknown {what} {name!r}" + did_you_mean(name, choices))
    return False


def _check_map(spec: MapSpec, report: Report):
    """Check places/roads or the grid; return (places, roads, key path of each place,
    whether a map can be built). Places are None when their names are not known."""
    if spec.grid is not None and (spec.places or spec.roads):
        report(("map",), "give either `places` and `roads` or `grid`, not both")
        return None, None, None, False
    if spec.grid is not None:
        if not _check_grid(spec.grid, report):
            return None, None, None, False
        places, roads = expand_grid(spec.grid)
        return places, roads, _grid_place_paths(spec.grid), True
    if not spec.places:
        report(("map",), "no places: give `map.places` (with `map.roads`) or `map.grid`")
        return None, None, None, False
    sound = _check_coordinates(spec.places, report)
    seen: dict[frozenset, int] = {}
    for i, road in enumerate(spec.roads):
        path = ("map", "roads", i)
        sound &= None not in (road.from_place, road.to_place, road.km)  # reported as missing
        for end, key in ((road.from_place, "from"), (road.to_place, "to")):
            if end is not None:
                sound &= _known(end, spec.places, (*path, key), "place", report)
        if road.from_place == road.to_place:
            report(path, f"a road must join two different places, got {road.from_place!r} twice")
            sound = False
        pair = frozenset((road.from_place, road.to_place))
        if pair in seen:
            report(path, f"duplicate of map.roads[{seen[pair]}] (same two places)")
        seen.setdefault(pair, i)
    paths = {name: ("map", "places", name) for name in spec.places}
    return spec.places, spec.roads, paths, sound


def _check_coordinates(places: dict[str, PlaceSpec], report: Report) -> bool:
    kinds = set()
    sound = True
    for name, place in places.items():
        path = ("map", "places", name)
        has_geo = (place.lat is not None, place.lon is not None)
        has_xy = (place.x is not None, place.y is not None)
        if all(has_geo) and not any(has_xy):
            kinds.add("geo")
        elif all(has_xy) and not any(has_geo):
            kinds.add("xy")
        else:
            report(path, "give coordinates as `lat` and `lon`, or as `x` and `y` (not a mix)")
            sound = False
    if len(kinds) > 1:
        report(("map", "places"), "all places need the same kind of coordinates (lat/lon or x/y)")
        return False
    return sound


def _check_grid(grid: GridSpec, report: Report) -> bool:
    if grid.width is None or grid.height is None:  # reported as missing
        return False
    sound = True
    taken: dict[tuple[int, int], str] = {}
    for name, cell in grid.cells.items():
        path = ("map", "grid", "cells", name)
        if cell.x is None or cell.y is None:
            sound = False
            continue
        if cell.x >= grid.width or cell.y >= grid.height:
            report(
                path, f"cell ({cell.x}, {cell.y}) lies outside the {grid.width}x{grid.height} grid"
            )
            sound = False
        elif (cell.x, cell.y) in taken:
            report(path, f"cell ({cell.x}, {cell.y}) is already named {taken[cell.x, cell.y]!r}")
            sound = False
        taken.setdefault((cell.x, cell.y), name)
    for name, zone in grid.zones.items():
        for axis, size in (("x", grid.width), ("y", grid.height)):
            span = getattr(zone, axis)
            if span is None:
                sound = False
            elif len(span) != 2 or not 0 <= span[0] <= span[1] < size:
                report(
                    ("map", "grid", "zones", name, axis),
                    f"must be [first, last] with 0 <= first <= last < {size}, got {span}",
                )
                sound = False
    return sound


def _grid_place_paths(grid: GridSpec) -> dict[str, KeyPath]:
    """Key path to blame for each expanded grid place's controller: its named cell if that
    sets one, else the last zone covering it that sets one, else the grid."""
    paths: dict[str, KeyPath] = {}
    for y in range(grid.height):
        for x in range(grid.width):
            paths[grid_cell_name(x, y)] = ("map", "grid")
            for zone_name, zone in grid.zones.items():
                covers = zone.x[0] <= x <= zone.x[1] and zone.y[0] <= y <= zone.y[1]
                if covers and zone.controller is not None:
                    paths[grid_cell_name(x, y)] = ("map", "grid", "zones", zone_name)
    for name, cell in grid.cells.items():
        own = cell.controller is not None
        paths[name] = (
            ("map", "grid", "cells", name) if own else paths[grid_cell_name(cell.x, cell.y)]
        )
    return paths


class _Context:
    """What the reference checks need to know about the scenario."""

    def __init__(
        self, spec: ScenarioSpec, places: dict | None, place_paths: dict | None, report: Report
    ):
        self.spec = spec
        self.map_known = places is not None
        self.places = places or {}
        self.place_paths = place_paths or {}
        self.regions = {p.region for p in self.places.values()}
        self.report = report

    def known_place(self, name: str, path: KeyPath) -> bool:
        """Whether a place exists; with a broken map, no place is known (and none reported)."""
        return self.map_known and _known(name, self.places, path, "place", self.report)

    def known_region(self, name: str, path: KeyPath) -> bool:
        """Whether a region exists; with a broken map, no region is known (and none reported)."""
        return self.map_known and _known(name, self.regions, path, "region", self.report)

    def known_faction(self, name: str, path: KeyPath) -> bool:
        return _known(name, self.spec.factions, path, "faction", self.report)

    def check_controllers(self) -> None:
        """Check each place's controller once per key that sets it (a zone sets many)."""
        checked = set()
        for name, place in self.places.items():
            path = (*self.place_paths[name], "controller")
            if place.controller is None or path in checked:
                continue
            checked.add(path)
            known = self.known_faction(place.controller, path)
            if known and self.spec.factions[place.controller].air_only:
                self.report(path, f"{place.controller!r} is air-only and cannot hold places")

    def check_faction(self, name: str, faction: FactionSpec, path: KeyPath) -> None:
        if faction.home_region is not None:
            self.known_region(faction.home_region, (*path, "home_region"))
        recruits = may_exceed(faction.reserve, 0) or may_exceed(faction.recruitment.rate, 0)
        if faction.air_only and recruits:
            self.report(path, "an air-only faction has no reserve and no recruitment")
        for place, _ in faction.forces.items():
            self.check_deployment(name, faction, place, (*path, "forces", place))
        for i, source in enumerate(faction.supply_sources):
            where = (*path, "supply_sources", i)
            if self.known_place(source, where) and self.places[source].controller != name:
                holder = self.places[source].controller
                held = f"held by {holder!r}" if holder is not None else "unheld"
                self.report(where, f"{name!r} does not hold {source!r} on day 0 ({held})")
        for other in faction.relations:
            if self.known_faction(other, (*path, "relations", other)) and other == name:
                self.report((*path, "relations", other), "a faction has no relation to itself")
        self.check_air(name, faction.air, (*path, "air"))

    def check_deployment(self, name: str, faction: FactionSpec, place: str, path: KeyPath) -> None:
        if not self.known_place(place, path):
            return
        if faction.air_only:
            self.report(path, f"{name!r} is air-only and has no ground forces")
        region = self.places[place].region
        if faction.home_region is not None and region != faction.home_region:
            self.report(
                path,
                f"{name!r} is a local militia of {faction.home_region!r}; "
                f"{place!r} lies in {region!r}",
            )

    def check_air(self, name: str, air: AirSpec, path: KeyPath) -> None:
        for key in AIR_REFERENCE_KEYS:
            self.check_air_key(name, air, key, (*path, key))

    def check_air_key(self, name: str, air: AirSpec, key: str, path: KeyPath) -> None:
        """Check one air key that names factions, places or regions; `path` is the key's."""
        if key == "targeting":
            for target in air.targeting:
                if self.known_faction(target, (*path, target)) and target == name:
                    self.report((*path, target), "a faction cannot target itself")
            total = sum(air.targeting.values())
            if air.targeting and not math.isclose(total, 1.0, abs_tol=SHARE_TOLERANCE):
                self.report(path, f"shares must sum to 1, got {total:g}")
        elif key == "place_weights":
            for place in air.place_weights:
                self.known_place(place, (*path, place))
        elif key == "region_weights":
            for region in air.region_weights:
                self.known_region(region, (*path, region))

    def check_relations(self) -> None:
        factions = self.spec.factions
        for a, spec_a in factions.items():
            for b, relation in spec_a.relations.items():
                back = factions[b].relations.get(a) if b in factions else None
                if back is not None and back != relation and a < b:
                    self.report(
                        ("factions", a, "relations", b),
                        f"{a!r} calls {b!r} {relation!r} but {b!r} calls {a!r} {back!r}",
                    )

    def check_event(self, event: EventSpec, path: KeyPath) -> None:
        if (event.day is None) == (event.date is None):
            self.report(path, "give exactly one of `day` and `date`")
        if event.date is not None and self.spec.run.start_date is None:
            self.report((*path, "date"), "an event by date needs `run.start_date`")
        acts = event.set or event.add_reserve or event.add_forces or event.relations
        if event.faction is None:
            if acts:
                self.report(path, "missing `faction`: the faction this event changes")
            return
        if not self.known_faction(event.faction, (*path, "faction")):
            return
        faction = self.spec.factions[event.faction]
        for place in event.add_forces:
            self.check_deployment(event.faction, faction, place, (*path, "add_forces", place))
        for other in event.relations:
            if self.known_faction(other, (*path, "relations", other)) and other == event.faction:
                self.report((*path, "relations", other), "a faction has no relation to itself")
        self.check_settings(event.faction, faction, event.set, (*path, "set"))

    def check_metric(self, metric: MetricSpec, path: KeyPath) -> None:
        """Check a metric's name leaves the standard metrics alone, and that it names what
        its kind needs, and only known things."""
        name = path[-1]
        if "." in name or name in STANDARD_METRIC_NAMES:
            self.report(
                path,
                "a scenario metric's name has no dots and is not "
                f"{' or '.join(STANDARD_METRIC_NAMES)}: those name the standard metrics "
                "every run reports",
            )
        for needed in METRIC_NEEDS.get(metric.kind, ()):
            if getattr(metric, needed) is None:
                self.report((*path, needed), f"missing: a `{metric.kind}` metric needs it")
        for key in ("faction", "target"):
            if getattr(metric, key) is not None:
                self.known_faction(getattr(metric, key), (*path, key))
        for key in ("place", "to_place"):
            if getattr(metric, key) is not None:
                self.known_place(getattr(metric, key), (*path, key))
        if metric.region is not None:
            self.known_region(metric.region, (*path, "region"))

    def check_settings(
        self, name: str, faction: FactionSpec, settings: dict, path: KeyPath
    ) -> None:
        """Check an event's `set` table: real keys, right types, and a coherent result."""
        changed = copy.deepcopy(faction)
        applied = []
        for dotted, value in settings.items():
            where = (*path, dotted)
            target = resolve_setting(changed, dotted)
            if target is None:
                self.report(
                    where, f"not a faction key that an event can set{_settable_hint(dotted)}"
                )
                continue
            owner, field = target
            hint = type_hints(type(owner))[field.name]
            uncertain = getattr(type(owner), "UNCERTAIN", False) and not field.metadata.get("fixed")
            meta = {**field.metadata, "uncertain": uncertain}
            converted = convert(value, hint, where, meta, self.report)
            if converted is not INVALID:
                setattr(owner, field.name, converted)
                settings[dotted] = converted  # a distribution is kept as one
                applied.append(dotted)
        for dotted in applied:
            key = dotted.removeprefix("air.")
            if dotted.startswith("air.") and key in AIR_REFERENCE_KEYS:
                self.check_air_key(name, changed.air, key, (*path, dotted))
            elif dotted == "supply_sources":
                for i, source in enumerate(changed.supply_sources):
                    self.known_place(source, (*path, dotted, i))


METRIC_NEEDS = {
    "capture_day": ("place",),
    "holds": ("place", "faction"),
    "places_taken": ("faction",),
    "population_taken": ("faction",),
    "route_cut": ("place", "to_place", "faction"),
    "front_length": (),
    "territory": ("faction",),
    "peak_territory": ("faction",),
    "strike_share": ("faction", "target"),
    "manpower": ("faction",),
}


def may_exceed(value, bound: float) -> bool:
    """Whether a number, or some value of a distribution, exceeds `bound`."""
    return value.high > bound if isinstance(value, Distribution) else value > bound


def resolve_setting(faction: FactionSpec, dotted: str) -> tuple[object, dataclasses.Field] | None:
    """Find the table and field that an event's dotted key (e.g. `air.targeting`) sets."""
    owner: object = faction
    parts = dotted.split(".")
    for depth, part in enumerate(parts):
        field = fields_by_key(type(owner)).get(part)
        if field is None or (depth == 0 and part in NOT_SETTABLE_BY_EVENTS):
            return None
        value = getattr(owner, field.name)
        if depth == len(parts) - 1:
            return None if dataclasses.is_dataclass(value) else (owner, field)
        if not dataclasses.is_dataclass(value):
            return None
        owner = value
    return None


def settable_keys(cls: type = FactionSpec, prefix: str = "") -> list[str]:
    """Every dotted faction key that an event may set."""
    keys = []
    for name, field in fields_by_key(cls).items():
        if not prefix and name in NOT_SETTABLE_BY_EVENTS:
            continue
        sub = field.default_factory if field.default_factory is not dataclasses.MISSING else None
        if sub is not None and dataclasses.is_dataclass(sub):
            keys += settable_keys(sub, f"{prefix}{name}.")
        else:
            keys.append(prefix + name)
    return keys


def _settable_hint(dotted: str) -> str:
    return did_you_mean(dotted, settable_keys())
