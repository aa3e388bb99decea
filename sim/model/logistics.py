"""Logistics: supply, its reach, and manpower moving along roads.

**Supply** is connection: a place held by a faction's side is supplied for the faction
if a chain of places held by its side (joined by roads, sea routes or air bridges) joins
it to a supply source of the faction or an ally that its side still holds. A force
attacking a place draws supply from an adjacent supplied place. Forces cut off lose
morale and fire less (see `sim.model.morale`, `sim.model.combat`) and get no
reinforcements.

**Reach** (the culminating point of an offensive): a supplied force at road distance d
from its side's nearest source fights and is reinforced at the factor
`supply_range_km / (supply_range_km + d)` of its strength; a force supplied through a
link with a `capacity` below the forces it supplies fights at capacity / forces of it.
The factor never falls below `unsupplied_effectiveness`, what the same force fights at
cut off: however long or thin, a supply line is never worse than none.

**Movement.** Reserves sit at the rear (the supply sources of the faction and its
allies). Orders travel by road at the faction's speed and arrive after whole days
(plus a Poisson delay of mean `travel_delay_days` in a random run); deployed forces
redeployed, withdrawing or fleeing move the same way from where they stand. Manpower in
transit is kept in a ring buffer indexed by arrival day, with the morale it carries.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.model.routes import supply_routes

MAX_TRAVEL_DAYS = 60


@njit(cache=True)
def supply_status(state, world, rules, books):
    """Recompute `state.supplied`, `state.supply_km` and `state.supply_via` (F, P) for
    every faction; factions whose side and sources are the same share one search."""
    controller, supplied, km = state.controller, state.supplied, state.supply_km
    friendly = world.friendly
    n_factions, n_places = supplied.shape
    heap_keys, heap_values = books.heap_keys, books.heap_values
    done = np.zeros(n_factions, dtype=np.bool_)
    for f in range(n_factions):
        if done[f]:
            continue
        supply_routes(f, state, world, km[f], state.supply_via[f], heap_keys, heap_values)
        for g in range(f + 1, n_factions):
            if not done[g] and _same_side(f, g, friendly):
                km[g, :] = km[f, :]
                state.supply_via[g, :] = state.supply_via[f, :]
                done[g] = True
    for f in range(n_factions):
        for p in range(n_places):
            c = controller[p]
            if c >= 0 and friendly[f, c]:
                supplied[f, p] = km[f, p] < np.inf
                continue
            best, via = np.inf, -1  # an attack draws supply from a supplied neighbour
            for k in range(world.neighbours_start[p], world.neighbours_start[p + 1]):
                q = world.neighbours[k]
                cq = controller[q]
                if cq >= 0 and friendly[f, cq] and km[f, q] + world.neighbour_km[k] < best:
                    best, via = km[f, q] + world.neighbour_km[k], state.supply_via[f, q]
            km[f, p] = best
            state.supply_via[f, p] = via
            supplied[f, p] = best < np.inf


@njit(cache=True)
def _same_side(f, g, friendly):
    """Whether factions f and g have the same friends (so the same ground and sources)."""
    return (friendly[f] == friendly[g]).all()


@njit(cache=True)
def supply_factors(state, world, rules):
    """The day's supply factor (F, P) of every force: its reach (culmination) and the
    capacity of the link it is supplied through, if any, at least what it would fight
    at cut off (`unsupplied_effectiveness`)."""
    _reach_and_capacity(state, world, rules)
    factor, km = state.supply_factor, state.supply_km
    floor = rules.unsupplied_effectiveness
    for f in range(factor.shape[0]):
        for p in range(factor.shape[1]):
            if km[f, p] < np.inf and factor[f, p] < floor:
                factor[f, p] = floor


@njit(cache=True)
def _reach_and_capacity(state, world, rules):
    """The supply factors before their floor: reach, then link capacity."""
    factor, km, via = state.supply_factor, state.supply_km, state.supply_via
    n_factions, n_places = factor.shape
    for f in range(n_factions):
        reach = rules.supply_range_km[f]
        for p in range(n_places):
            if rules.manoeuvre and reach > 0.0 and km[f, p] < np.inf:
                factor[f, p] = reach / (reach + km[f, p])
            else:
                factor[f, p] = 1.0
    n_links = world.link_ends.shape[0]
    if n_links == 0:
        return
    load = np.zeros((n_factions, n_links))
    for f in range(n_factions):
        for p in range(n_places):
            if via[f, p] >= 0:
                load[f, via[f, p]] += state.forces[f, p]
    for f in range(n_factions):
        for p in range(n_places):
            link = via[f, p]
            if link >= 0 and world.link_capacity[link] > 0.0:
                side = 0.0
                for g in range(n_factions):
                    if world.friendly[f, g]:
                        side += load[g, link]
                if side > world.link_capacity[link]:
                    factor[f, p] *= world.link_capacity[link] / side


def travel_days(rear_km: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """(F, P) whole days to reach each place from the rear (at least 1, at most the cap)."""
    with np.errstate(invalid="ignore"):
        days = np.ceil(rear_km / speed[:, None])
    return np.clip(np.nan_to_num(days, posinf=MAX_TRAVEL_DAYS), 1, MAX_TRAVEL_DAYS).astype(np.int64)


@njit(cache=True)
def dispatch(orders, day, state, world, rules, deterministic, by_reach):
    """Send ordered manpower from the reserves of its commanders (orders (C, P)); it
    arrives after the travel days from the rear. With `by_reach` (the doctrine's
    orders), a force far from supply gets the share its reach allows (the rest stays in
    the reserve); a player's explicit orders send what they say."""
    n_commands, n_places = orders.shape
    reserves = state.reserves
    for c in range(n_commands):
        f = world.command_faction[c]
        for p in range(n_places):
            amount = min(orders[c, p], reserves[c])
            if by_reach and rules.manoeuvre and state.supplied[f, p]:
                amount *= state.supply_factor[f, p]
            if amount > 0.0:
                days = world.travel[f, p] + delay(rules.travel_delay_days[f], deterministic)
                send(f, p, amount, state.base_morale[f], day, days, state)
                reserves[c] -= amount


@njit(cache=True, inline="always")
def delay(mean, deterministic):
    """Extra days of a movement: Poisson of the given mean (none when deterministic)."""
    if deterministic or mean <= 0.0:
        return 0
    return int(np.random.poisson(mean))


@njit(cache=True, inline="always")
def travel_time(km, speed):
    """Whole days to cover `km` at `speed` (at least 1, at most the cap)."""
    days = int(np.ceil(km / speed)) if speed > 0.0 else MAX_TRAVEL_DAYS
    return min(max(days, 1), MAX_TRAVEL_DAYS)


@njit(cache=True, inline="always")
def send(f, p, amount, morale, day, days, state):
    """Put `amount` of faction f on the road to place p, arriving after `days` with
    `morale`."""
    slot = (day + min(days, MAX_TRAVEL_DAYS)) % state.transit.shape[0]
    state.transit[slot, f, p] += amount
    state.transit_morale[slot, f, p] += amount * morale
    state.incoming[f, p] += amount


@njit(cache=True)
def deliver(day, state):
    """Forces due today arrive and mix with those there, morale weighted by men."""
    transit, carried = state.transit, state.transit_morale
    incoming, forces, morale = state.incoming, state.forces, state.morale
    slot = day % transit.shape[0]
    n_factions, n_places = forces.shape
    for f in range(n_factions):
        for p in range(n_places):
            arriving = transit[slot, f, p]
            if arriving > 0.0:
                total = forces[f, p] + arriving
                morale[f, p] = (forces[f, p] * morale[f, p] + carried[slot, f, p]) / total
                forces[f, p] = total
                incoming[f, p] = max(0.0, incoming[f, p] - arriving)
                transit[slot, f, p] = 0.0
                carried[slot, f, p] = 0.0
