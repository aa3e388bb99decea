"""Outcome metrics: numbers that say what a run did, by name, for reports and sweeps.

Every run gets the standard metrics (territory, peak territory and manpower per ground
faction, front-line length, captures, each air force's strike shares); a scenario adds
the ones its hypothesis needs in its `[metrics]` table (`sim.formats.schema.MetricSpec`). All
are computed after the run from the day-0 control, the capture log, the daily series
and the strike log, so any day's value can be read back.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from sim.formats.schema import MetricSpec
from sim.model.model import FACTION_SERIES, FrontlineModel


class RunRecord:
    """What the metrics read from a finished model, indexed for quick lookups."""

    def __init__(self, model: FrontlineModel):
        self.model = model
        self.keys = [f.key for f in model.factions]
        self.last_day = model.day
        self.series = model.faction_series()
        self.strikes = model.strike_log()

    def faction(self, key: str) -> int:
        return self.keys.index(key)

    def side(self, key: str, with_allies: bool) -> np.ndarray:
        """(F,) bool: the faction, and its allies if asked."""
        f = self.faction(key)
        return self.model.friendly[f] if with_allies else np.arange(len(self.keys)) == f

    def day(self, spec: MetricSpec) -> int | None:
        """The day a metric is read on, or None if the run did not reach it."""
        if spec.by_day is None:
            return self.last_day
        return spec.by_day if spec.by_day <= self.last_day else None

    def control_on(self, day: int) -> np.ndarray:
        """(P,) the holder of each place at the end of `day`."""
        control = self.model.initial_controller.copy()
        for capture in self.model.captures:
            if capture.day > day:
                break
            control[self.model.map.index(capture.place)] = self.faction(capture.new)
        return control


def standard_metrics(model: FrontlineModel, flown: np.ndarray) -> dict[str, MetricSpec]:
    """The metrics every run reports (`flown`: its strike log)."""
    metrics = {"front_length_km": MetricSpec(kind="front_length")}
    for faction in model.factions:
        if not model.params.ground[faction.index]:
            continue
        key = faction.key
        metrics[f"places.{key}"] = MetricSpec(kind="territory", faction=key)
        metrics[f"population.{key}"] = MetricSpec(
            kind="territory", faction=key, measure="population"
        )
        metrics[f"peak_places.{key}"] = MetricSpec(kind="peak_territory", faction=key)
        metrics[f"manpower.{key}"] = MetricSpec(kind="manpower", faction=key)
    for a in np.unique(flown[:, 1]).astype(int):
        for g in np.unique(flown[flown[:, 1] == a, 2]).astype(int):
            name = f"strike_share.{model.factions[a].key}.{model.factions[g].key}"
            metrics[name] = MetricSpec(
                kind="strike_share", faction=model.factions[a].key, target=model.factions[g].key
            )
    return metrics


def evaluate(model: FrontlineModel) -> dict[str, float | None]:
    """Every standard and scenario metric of a finished run (None: not defined here)."""
    record = RunRecord(model)
    metrics = standard_metrics(model, record.strikes) | model.spec.metrics
    values = {name: measure(record, spec) for name, spec in metrics.items()}
    values["captures"] = float(len(model.captures))
    values["places_changing_hands_3_times"] = float(_oscillating(model))
    return values


def _oscillating(model: FrontlineModel, times: int = 3) -> int:
    """How many places changed hands at least `times` times."""
    counts: dict[str, int] = {}
    for capture in model.captures:
        if capture.previous is not None:
            counts[capture.place] = counts.get(capture.place, 0) + 1
    return sum(1 for n in counts.values() if n >= times)


def measure(record: RunRecord, spec: MetricSpec) -> float | None:
    """One metric's value."""
    day = record.day(spec)
    if day is None:
        return None
    return _MEASURES[spec.kind](record, spec, day)


def _capture_day(record: RunRecord, spec: MetricSpec, day: int) -> float | None:
    for capture in record.model.captures:
        if capture.day > day:
            break
        if capture.place == spec.place and spec.faction in (None, capture.new):
            return float(capture.day)
    return None


def _holds(record: RunRecord, spec: MetricSpec, day: int) -> float:
    holder = record.control_on(day)[record.model.map.index(spec.place)]
    return float(holder >= 0 and record.side(spec.faction, spec.side)[holder])


def _taken(record: RunRecord, spec: MetricSpec, day: int) -> float:
    world = record.model.map
    total = 0.0
    for capture in record.model.captures:
        if capture.day > day:
            break
        p = world.index(capture.place)
        if capture.new != spec.faction or spec.target not in (None, capture.previous):
            continue
        if spec.region is not None and world.regions[world.region[p]] != spec.region:
            continue
        total += world.population[p] if spec.kind == "population_taken" else 1.0
    return total


def _route_cut(record: RunRecord, spec: MetricSpec, day: int) -> float:
    world = record.model.map
    control = record.control_on(day)
    side = record.side(spec.faction, with_allies=True)
    held = np.array([c >= 0 and side[c] for c in control])
    start, goal = world.index(spec.place), world.index(spec.to_place)
    if not (held[start] and held[goal]):
        return 1.0
    seen, queue = {start}, deque([start])
    while queue:
        p = queue.popleft()
        if p == goal:
            return 0.0
        for q in world.neighbours[world.neighbours_start[p] : world.neighbours_start[p + 1]]:
            if held[q] and q not in seen:
                seen.add(q)
                queue.append(q)
    return 1.0


def _front_length(record: RunRecord, spec: MetricSpec, day: int) -> float:
    world = record.model.map
    control = record.control_on(day)
    a, b = control[world.road_ends[:, 0]], control[world.road_ends[:, 1]]
    held = (a >= 0) & (b >= 0)
    enemies = np.zeros(len(a), dtype=bool)
    enemies[held] = record.model.hostile[a[held], b[held]]
    return float(world.road_km[enemies].sum())


def _territory(record: RunRecord, spec: MetricSpec, day: int) -> float:
    row = FACTION_SERIES.index("places_held" if spec.measure == "places" else "population_held")
    held = record.series[: day + 1, row][:, record.side(spec.faction, spec.side)].sum(axis=1)
    return float(held.max() if spec.kind == "peak_territory" else held[-1])


def _strike_share(record: RunRecord, spec: MetricSpec, day: int) -> float | None:
    log = record.strikes
    window = (
        (log[:, 1] == record.faction(spec.faction))
        & (log[:, 0] >= spec.from_day)
        & (log[:, 0] <= day)
    )
    total = log[window, 4].sum()
    if total == 0:
        return None
    return float(log[window & (log[:, 2] == record.faction(spec.target)), 4].sum() / total)


def _manpower(record: RunRecord, spec: MetricSpec, day: int) -> float:
    return float(record.series[day, FACTION_SERIES.index("manpower"), record.faction(spec.faction)])


def _changes(record: RunRecord, spec: MetricSpec, day: int) -> float:
    return float(
        sum(
            1
            for c in record.model.captures
            if c.day <= day and spec.place in (None, c.place) and c.previous is not None
        )
    )


def _last_capture_day(record: RunRecord, spec: MetricSpec, day: int) -> float | None:
    days = [c.day for c in record.model.captures if c.day <= day and c.place == spec.place]
    return float(days[-1]) if days else None


def _days_held(record: RunRecord, spec: MetricSpec, day: int) -> float:
    p = record.model.map.index(spec.place)
    side = record.side(spec.faction, spec.side)
    holder, since, held = record.model.initial_controller[p], 0, 0
    for capture in record.model.captures:
        if capture.day > day:
            break
        if capture.place == spec.place:
            held += (capture.day - since) if holder >= 0 and side[holder] else 0
            holder, since = record.faction(capture.new), capture.day
    return float(held + ((day - since) if holder >= 0 and side[holder] else 0))


def _captured_by(record: RunRecord, spec: MetricSpec, day: int) -> float:
    last = [c for c in record.model.captures if c.day <= day and c.place == spec.place]
    return float(bool(last) and last[-1].new == spec.faction)


def _front_advance(record: RunRecord, spec: MetricSpec, day: int) -> float:
    """Km per week that `spec.faction`'s front moved forward (see MetricSpec)."""
    world, f = record.model.map, record.faction(spec.faction)
    control = record.model.initial_controller.copy()
    advance = 0.0
    for capture in record.model.captures:
        if capture.day > day:
            break
        p, new = world.index(capture.place), record.faction(capture.new)
        previous = control[p]
        if f in (new, previous):
            before = np.flatnonzero(control == new)
            km = world.road_distance_from(before)[p] if len(before) else 0.0
            km = 0.0 if not np.isfinite(km) else km
            advance += km if new == f else -km
        control[p] = new
    return float(advance / max(day, 1) * 7.0)


_MEASURES = {
    "changes_of_control": _changes,
    "last_capture_day": _last_capture_day,
    "days_held": _days_held,
    "captured_by": _captured_by,
    "front_advance": _front_advance,
    "capture_day": _capture_day,
    "holds": _holds,
    "places_taken": _taken,
    "population_taken": _taken,
    "route_cut": _route_cut,
    "front_length": _front_length,
    "territory": _territory,
    "peak_territory": _territory,
    "strike_share": _strike_share,
    "manpower": _manpower,
}
