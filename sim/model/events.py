"""Scheduled events: parameter changes at a date or day (interventions, surges, ceasefires).

An event dated before or on the start date (day 0 or earlier) takes effect before the
first day, so a scenario starting mid-campaign begins with the campaign under way. An
event may set a faction's keys (`set`), add or withdraw manpower from its reserve
(`add_reserve`, at most what the reserve holds), add forces at places (`add_forces`,
new men), change its relations (`relations`, both ways), give or end standing
objectives (`objectives`, `cancel_objectives`) and move its men between places and
reserves (`moves`: a transfer that travels by road, not new men).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from sim.formats.schema import EventSpec, event_day
from sim.formats.validation import resolve_setting
from sim.model.logistics import MAX_TRAVEL_DAYS, send, travel_time


@dataclass(frozen=True)
class ScheduledEvent:
    """An event with the day it happens on."""

    name: str
    day: int
    spec: EventSpec


class EventQueue:
    """The enabled events of a scenario in the order they happen."""

    def __init__(self, events: dict[str, EventSpec], start_date: dt.date | None):
        scheduled = [
            ScheduledEvent(name, event_day(spec, start_date), spec)
            for name, spec in events.items()
            if spec.enabled
        ]
        self._pending = deque(sorted(scheduled, key=lambda e: e.day))

    def next_day(self) -> int | float:
        """The day of the next event (infinity when none is left)."""
        return self._pending[0].day if self._pending else math.inf

    def pop_due(self, day: int) -> list[ScheduledEvent]:
        """Remove and return the events due on or before `day`."""
        due = []
        while self._pending and self._pending[0].day <= day:
            due.append(self._pending.popleft())
        return due


def apply_event(model, event: ScheduledEvent) -> None:
    """Carry out a scheduled event on `model`: new parameters, manpower, relations."""
    spec = event.spec
    model.event_log.append((model.day, event.name))
    if spec.faction is None:
        return
    faction = model.factions[model.faction_number(spec.faction)]
    f = faction.index
    for dotted, value in spec.set.items():
        owner, field = resolve_setting(faction.own_spec(), dotted)
        setattr(owner, field.name, value)
        if dotted == "morale":
            model.base_morale[f] = value
    added = max(spec.add_reserve, -model.reserve[f])
    model.reserve[f] += added
    model.ledger.added_by_events[f] += added
    for place, manpower in spec.add_forces.items():
        _add_forces(model, f, model.map.index(place), manpower)
    for other, relation in spec.relations.items():
        model.set_relation(f, model.faction_number(other), relation)
    if spec.objectives or spec.cancel_objectives:
        mine = model.objectives[f]
        for name in spec.cancel_objectives:
            mine.pop(name, None)
        mine.update(spec.objectives)
        model.update_objectives()
    for move in spec.moves:
        _move(model, f, move)
    if model._built:
        rear = bool(spec.relations) or "supply_sources" in spec.set
        model.refresh_parameters(rear=rear, faction=f)


def _move(model, f: int, move) -> None:
    """Move up to `move.men` of faction f between places and reserves (a transfer: the
    men were there, so the books do not change); to a place they travel by road."""
    commands = {c.grouping: i for i, c in enumerate(model.commands) if c.faction == f}
    commands["reserve"] = f
    source, target = move.from_place, move.to_place
    if source in commands:
        men = min(move.men, model.reserves[commands[source]])
        model.reserves[commands[source]] -= men
        morale, start = model.base_morale[f], None
    else:
        start = model.map.index(source)
        men = min(move.men, model.forces[f, start])
        model.forces[f, start] -= men
        morale = model.morale[f, start]
    if men <= 0:
        return
    if target in commands:
        model.reserves[commands[target]] += men
        return
    p = model.map.index(target)
    if not model._built:  # a day-0 move sets the starting positions: no road to travel yet
        _join(model, f, p, men, morale)
        return
    days = model.travel[f, p] if start is None else _road_days(model, f, start, p)
    send(f, p, men, morale, model.day, days, model.records.state)


def _road_days(model, f: int, start: int, end: int) -> int:
    km = model.map.road_distance_from(np.array([start]))[end]
    return travel_time(km, model.params.speed[f]) if np.isfinite(km) else MAX_TRAVEL_DAYS


def _add_forces(model, f: int, p: int, manpower: float) -> None:
    """New men of faction f arrive at place p, at the faction's baseline morale."""
    _join(model, f, p, manpower, model.base_morale[f])
    model.ledger.added_by_events[f] += manpower


def _join(model, f: int, p: int, men: float, morale: float) -> None:
    """`men` of faction f at `morale` join its force at place p (morale: the mean by men)."""
    total = model.forces[f, p] + men
    if total > 0:
        model.morale[f, p] = (model.forces[f, p] * model.morale[f, p] + men * morale) / total
    model.forces[f, p] = total
