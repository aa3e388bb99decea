"""Fog of war: what a faction can see of the war.

A faction knows who holds every place (control is public), its own forces, supply and
morale everywhere, and its enemies' forces only where it can observe them: at and next
to the places its side holds, and where its air force struck during the turn. It never
sees its enemies' morale: where it must reckon with it (the odds of an attack), it
assumes the morale their factions start the scenario with, which the briefing states.
"""

from __future__ import annotations

import numpy as np

from sim.model.model import FrontlineModel


def observed(model: FrontlineModel, faction: str, since_day: int = 0) -> np.ndarray:
    """(P,) bool: the places where the faction sees every force."""
    f = model.faction_number(faction)
    world = model.map
    holders = model.controller
    ours = np.array([h >= 0 and model.friendly[f, h] for h in holders])
    seen = ours.copy()
    for p in np.flatnonzero(ours):
        seen[world.neighbours[world.neighbours_start[p] : world.neighbours_start[p + 1]]] = True
    seen |= model.forces[f] > 0
    strikes = model.strike_log()
    struck = strikes[(strikes[:, 1] == f) & (strikes[:, 0] > since_day), 3].astype(int)
    seen[struck] = True
    return seen


def enemies_seen(model: FrontlineModel, faction: str, place: str) -> np.ndarray | None:
    """(F,) the enemy forces at `place` as the faction sees them, or None where it does
    not observe the place (what it observes now, without the strikes of the turn)."""
    p = model.map.index(place)
    if not observed(model, faction, since_day=model.day)[p]:
        return None
    return np.where(model.hostile[model.faction_number(faction)], model.forces[:, p], 0.0)


def assumed_morale(model: FrontlineModel, faction: str) -> float:
    """The morale a faction's enemies assume it has: its morale at the start of the
    scenario (public), as its true morale is hidden by the fog."""
    return float(model.spec.factions[faction].morale)


def faction_view(model: FrontlineModel, faction: str, since_day: int = 0) -> dict:
    """The state of the war as the faction sees it (JSON-ready)."""
    f = model.faction_number(faction)
    seen = observed(model, faction, since_day)
    keys = [x.key for x in model.factions]
    places = []
    for p, name in enumerate(model.map.names):
        holder = model.controller[p]
        entry = {
            "place": name,
            "holder": keys[holder] if holder >= 0 else None,
            "observed": bool(seen[p]),
            "own_forces": float(model.forces[f, p]),
            "own_morale": float(model.morale[f, p]) if model.forces[f, p] > 0 else None,
            "supplied": bool(model.supplied[f, p]),
            "incoming": float(model.incoming[f, p]),
        }
        if seen[p]:
            entry["forces"] = {
                keys[g]: float(model.forces[g, p])
                for g in np.flatnonzero(model.forces[:, p] > 0)
                if g != f
            }
        places.append(entry)
    return {
        "faction": faction,
        "day": model.day,
        "date": None if model.start_date is None else model.date_of(model.day).isoformat(),
        "reserve": float(model.reserve[f]),
        "morale": float(model.base_morale[f]),
        "sorties_per_day": float(model.params.sorties[f]),
        "places": places,
    }
