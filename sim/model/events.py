"""Scheduled events: parameter changes at a date or day (interventions, surges, ceasefires).

An event dated before or on the start date (day 0 or earlier) takes effect before the
first day, so a scenario starting mid-campaign begins with the campaign under way.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass

from sim.formats.schema import EventSpec


@dataclass(frozen=True)
class ScheduledEvent:
    """An event with the day it happens on."""

    name: str
    day: int
    spec: EventSpec


def event_day(spec: EventSpec, start_date: dt.date | None) -> int:
    """The model day of an event given by `day` or by `date`."""
    if spec.day is not None:
        return spec.day
    return (spec.date - start_date).days


class EventQueue:
    """The enabled events of a scenario in the order they happen."""

    def __init__(self, events: dict[str, EventSpec], start_date: dt.date | None):
        scheduled = [
            ScheduledEvent(name, event_day(spec, start_date), spec)
            for name, spec in events.items()
            if spec.enabled
        ]
        self._pending = deque(sorted(scheduled, key=lambda e: e.day))

    def pop_due(self, day: int) -> list[ScheduledEvent]:
        """Remove and return the events due on or before `day`."""
        due = []
        while self._pending and self._pending[0].day <= day:
            due.append(self._pending.popleft())
        return due
