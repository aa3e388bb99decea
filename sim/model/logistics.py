"""Logistics: which forces are supplied, and reserves moving along roads to their orders.

Supply is connection: a place held by a faction's side is supplied for the faction if
a chain of places held by its side joins it to a supply source of the faction or an
ally that its side still holds. A force attacking a place draws supply from an adjacent
supplied place. Forces cut off lose morale and fire less (see `sim.model.morale`,
`sim.model.combat`) and get no reinforcements.

Reserves sit at the rear (the supply sources of the faction and its allies). Orders
travel by road at the faction's speed and arrive after whole days; the in-transit
manpower is kept in a ring buffer indexed by arrival day.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MAX_TRAVEL_DAYS = 60


@njit(cache=True)
def supply_status(state, world):
    """Recompute `state.supplied` (F, P): whether each faction's forces at each place are
    supplied."""
    controller, supplied = state.controller, state.supplied
    friendly, sources = world.friendly, world.sources
    starts, neighbours = world.neighbours_start, world.neighbours
    n_factions = friendly.shape[0]
    n_places = controller.shape[0]
    supplied[:] = False
    queue = np.empty(n_places, dtype=np.int64)
    for f in range(n_factions):
        tail = 0
        for p in range(n_places):
            c = controller[p]
            if c < 0 or not friendly[f, c]:
                continue
            for g in range(n_factions):
                if friendly[f, g] and sources[g, p]:
                    supplied[f, p] = True
                    queue[tail] = p
                    tail += 1
                    break
        head = 0
        while head < tail:
            p = queue[head]
            head += 1
            for k in range(starts[p], starts[p + 1]):
                q = neighbours[k]
                c = controller[q]
                if c >= 0 and friendly[f, c] and not supplied[f, q]:
                    supplied[f, q] = True
                    queue[tail] = q
                    tail += 1
        for p in range(n_places):
            c = controller[p]
            if c >= 0 and friendly[f, c]:
                continue
            for k in range(starts[p], starts[p + 1]):
                q = neighbours[k]
                cq = controller[q]
                if cq >= 0 and friendly[f, cq] and supplied[f, q]:
                    supplied[f, p] = True
                    break


def travel_days(rear_km: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """(F, P) whole days to reach each place from the rear (at least 1, at most the cap)."""
    with np.errstate(invalid="ignore"):
        days = np.ceil(rear_km / speed[:, None])
    return np.clip(np.nan_to_num(days, posinf=MAX_TRAVEL_DAYS), 1, MAX_TRAVEL_DAYS).astype(np.int64)


@njit(cache=True)
def dispatch(orders, day, state, world):
    """Send ordered manpower (F, P) from the reserves; it arrives `travel` days later."""
    travel, transit = world.travel, state.transit
    incoming, reserve = state.incoming, state.reserve
    n_factions, n_places = orders.shape
    slots = transit.shape[0]
    for f in range(n_factions):
        for p in range(n_places):
            amount = min(orders[f, p], reserve[f])
            if amount > 0.0:
                transit[(day + travel[f, p]) % slots, f, p] += amount
                incoming[f, p] += amount
                reserve[f] -= amount


@njit(cache=True)
def deliver(day, state):
    """Forces due today arrive; their morale (the faction's baseline) mixes in."""
    transit, incoming, forces = state.transit, state.incoming, state.forces
    morale, base_morale = state.morale, state.base_morale
    slot = day % transit.shape[0]
    n_factions, n_places = forces.shape
    for f in range(n_factions):
        for p in range(n_places):
            arriving = transit[slot, f, p]
            if arriving > 0.0:
                total = forces[f, p] + arriving
                morale[f, p] = (forces[f, p] * morale[f, p] + arriving * base_morale[f]) / total
                forces[f, p] = total
                incoming[f, p] = max(0.0, incoming[f, p] - arriving)
                transit[slot, f, p] = 0.0
