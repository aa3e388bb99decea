"""Interventions: what-if changes of a scenario stated as one idea, turned into overrides.

"Twice the sorties", "60 % of the sorties on ISIS", "no local militias" each touch
several keys of a scenario (the faction's own setting and every event that later
changes it). An intervention returns the override table (as for `load_scenario` or
`frontline run --set`) that carries the idea through the whole scenario, so that the
dashboard's sliders, an experiment's variants (`interventions` in an experiment file)
and a user's script change a scenario in the same way, and the loader checks the result
like any other override.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sim.formats.schema import ScenarioSpec, event_day


@dataclasses.dataclass
class InterventionSpec:
    """What-if changes applied to a scenario as a whole (each optional)."""

    sorties_factor: dict[str, float] = dataclasses.field(default_factory=dict)
    targeting_share: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    remove_militias: bool = False


def apply_interventions(spec: ScenarioSpec, interventions: InterventionSpec) -> dict:
    """The override table of all the interventions, in the order they are listed."""
    table: dict = {}
    for faction, factor in interventions.sorties_factor.items():
        merge(table, scale_sorties(spec, faction, factor))
    for faction, shares in interventions.targeting_share.items():
        for primary, share in shares.items():
            merge(table, targeting_share(spec, faction, primary, share))
    if interventions.remove_militias:
        merge(table, remove_militias(spec))
    return table


def scale_sorties(spec: ScenarioSpec, faction: str, factor: float) -> dict:
    """Multiply the faction's sorties per day by `factor`, at the start and at every
    event that changes the rate (surges, withdrawals keep their proportions)."""
    table: dict = {}
    own = spec.factions[faction].air.sorties_per_day
    _put(table, ("factions", faction, "air", "sorties_per_day"), round(own * factor, 2))
    for name, _, rate in air_events(spec, faction, "air.sorties_per_day"):
        _put(table, ("events", name, "set", "air.sorties_per_day"), round(rate * factor, 2))
    return table


def targeting_share(spec: ScenarioSpec, faction: str, primary: str, share: float) -> dict:
    """Put `share` of the faction's sorties on `primary` wherever its targeting splits
    sorties between several targets (at the start and in events), the rest over the
    other targets in their proportions."""
    table: dict = {}
    air = spec.factions[faction].air
    events = air_events(spec, faction, "air.targeting")
    reference = next(
        (mix for mix in [air.targeting, *(m for _, _, m in events)] if len(mix) > 1), {}
    )
    _put(table, ("factions", faction, "air", "targeting"), targeting_mix(reference, primary, share))
    for name, _, mix in events:
        if sum(1 for s in mix.values() if s > 0) >= 2:
            _put(
                table, ("events", name, "set", "air.targeting"), targeting_mix(mix, primary, share)
            )
    return table


def remove_militias(spec: ScenarioSpec) -> dict:
    """Local militias (factions with a `home_region`) get no men and recruit none, in
    the scenario and in its events."""
    table: dict = {}
    for key, faction in spec.factions.items():
        if faction.home_region is None:
            continue
        _put(table, ("factions", key, "reserve"), 0.0)
        _put(table, ("factions", key, "recruitment", "rate"), 0.0)
        for place in faction.forces:
            _put(table, ("factions", key, "forces", place), 0.0)
        for name, event in spec.events.items():
            if event.faction == key:
                _put(table, ("events", name, "add_reserve"), 0.0)
                for place in event.add_forces:
                    _put(table, ("events", name, "add_forces", place), 0.0)
    return table


def targeting_mix(reference: dict[str, float], primary: str, share: float) -> dict[str, float]:
    """`share` of the sorties on `primary`, the rest over the other targets of `reference`
    in their proportions (equally if they have none)."""
    others = [t for t in reference if t != primary]
    weights = {t: max(reference[t], 0.0) for t in others}
    total = sum(weights.values())
    if total <= 0:
        weights = dict.fromkeys(others, 1.0)
        total = float(len(others))
    mix = {t: round((1 - share) * w / total, 6) for t, w in weights.items()}
    mix[primary] = round(1 - sum(mix.values()), 6)
    return mix


def air_events(spec: ScenarioSpec, faction: str, setting: str) -> list[tuple[str, int, Any]]:
    """(name, day, value) of the enabled events of `faction` that set `setting`, by day."""
    start = spec.run.start_date
    found = [
        (name, event_day(event, start), event.set[setting])
        for name, event in spec.events.items()
        if event.enabled and event.faction == faction and setting in event.set
    ]
    return sorted(found, key=lambda item: item[1])


def merge(table: dict, other: dict) -> dict:
    """Merge override table `other` into `table` (its values win)."""
    for name, value in other.items():
        if isinstance(value, dict) and isinstance(table.get(name), dict):
            merge(table[name], value)
        else:
            table[name] = value
    return table


def _put(table: dict, path: tuple[str, ...], value) -> None:
    for part in path[:-1]:
        table = table.setdefault(part, {})
    table[path[-1]] = value
