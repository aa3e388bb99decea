"""Combat: Lanchester square-law attrition at every place where enemies meet, and capture.

At a place, each faction's fire is spread over its enemies there in proportion to their
size, so with two sides A and B

    dA/dt = -b B,   dB/dt = -a A,

the square law, whose invariant a A^2 - b B^2 gives the winner's survivors in closed
form. A faction's per-fighter fire is

    lethality x (1 + morale_weight x (morale - 0.5)) x (1, or unsupplied_effectiveness)
    / terrain (for attackers only: forces not on the side holding the place).

A day is integrated with the midpoint rule (error O(fire^3) per day; a force that the
first half-day would wipe out is lost whole); the expected losses are drawn as Poisson
numbers unless the run is deterministic. A place whose defenders fall below
`min_force` goes to the strongest force there that is hostile to its holder (an unheld
place: the strongest force there); forces below `min_force` fall back to the reserve.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.model.draws import poisson


@njit(cache=True, inline="always")
def _loss_rates(strength, fire, hostile, present, n_present, rates):
    """Losses per day at one place given each present faction's strength and fire."""
    for i in range(n_present):
        rates[present[i]] = 0.0
    for g in range(n_present):
        shooter = present[g]
        targets = 0.0
        for h in range(n_present):
            if hostile[shooter, present[h]]:
                targets += strength[present[h]]
        if targets <= 0.0 or strength[shooter] <= 0.0:
            continue
        per_target = fire[shooter] * strength[shooter] / targets
        for h in range(n_present):
            target = present[h]
            if hostile[shooter, target]:
                rates[target] += per_target * strength[target]


@njit(cache=True, inline="always")
def fire_per_fighter(f, p, morale, supplied, holder, world, rules):
    """Faction f's casualties inflicted per fighter per day at place p: its lethality,
    scaled by morale, supply, and (for an attacker) the place's terrain."""
    fire = rules.lethality[f] * (1.0 + rules.morale_weight * (morale - 0.5))
    if not supplied:
        fire *= rules.unsupplied_effectiveness
    if holder >= 0 and not world.friendly[f, holder]:
        fire /= world.terrain[p]
    return fire


def fire_now(model, f: int, p: int, morale: float) -> float:
    """Faction f's fire per fighter at place p today, were its morale `morale` (what
    `fight` would use: supply and terrain as they stand)."""
    r = model.records
    supplied, holder = model.supplied[f, p], model.controller[p]
    return float(_fire(f, p, morale, supplied, holder, r.world, r.rules))


@njit(cache=True)
def _fire(f, p, morale, supplied, holder, world, rules):
    return fire_per_fighter(f, p, morale, supplied, holder, world, rules)


@njit(cache=True)
def fight(state, world, rules, books, deterministic):
    """One day of combat everywhere: take the losses off `state.forces`, record them in
    `books.day_combat_losses` (F, P) and who fought in `state.engaged` (F, P)."""
    forces, hostile = state.forces, world.hostile
    losses, engaged = books.day_combat_losses, state.engaged
    n_factions, n_places = forces.shape
    losses[:] = 0.0
    engaged[:] = False
    strength = np.zeros(n_factions)
    half = np.zeros(n_factions)
    fire = np.zeros(n_factions)
    rates = np.zeros(n_factions)
    present = np.zeros(n_factions, dtype=np.int64)
    for p in range(n_places):
        n = 0
        for f in range(n_factions):
            if forces[f, p] > 0.0:
                present[n] = f
                n += 1
        if n < 2:
            continue
        fighting = False
        for i in range(n):
            for j in range(n):
                if hostile[present[i], present[j]]:
                    engaged[present[i], p] = True
                    fighting = True
        if not fighting:
            continue
        holder = state.controller[p]
        for f in present[:n]:
            strength[f] = forces[f, p]
            fire[f] = fire_per_fighter(
                f, p, state.morale[f, p], state.supplied[f, p], holder, world, rules
            )
        _loss_rates(strength, fire, hostile, present, n, rates)
        for f in present[:n]:
            half[f] = max(0.0, strength[f] - 0.5 * rates[f])
        _loss_rates(half, fire, hostile, present, n, rates)
        for f in present[:n]:
            expected = strength[f] if half[f] <= 0.0 else min(rates[f], strength[f])
            losses[f, p] = min(poisson(expected, deterministic), strength[f])
            forces[f, p] -= losses[f, p]


@njit(cache=True)
def settle_control(state, world, rules, books):
    """Withdraw remnants below `min_force`; hand undefended places to the strongest enemy.

    Fills the first rows of `books.day_captures` (place, previous holder, new holder) and
    returns how many places changed hands.
    """
    forces, reserve, controller = state.forces, state.reserve, state.controller
    friendly, hostile, min_force = world.friendly, world.hostile, rules.min_force
    captures = books.day_captures
    n_factions, n_places = forces.shape
    n = 0
    for p in range(n_places):
        for f in range(n_factions):
            if 0.0 < forces[f, p] < min_force:
                reserve[f] += forces[f, p]
                forces[f, p] = 0.0
        holder = controller[p]
        if holder >= 0:
            defended = False
            for f in range(n_factions):
                if friendly[f, holder] and forces[f, p] > 0.0:
                    defended = True
            if defended:
                continue
        best, best_force = -1, 0.0
        for f in range(n_factions):
            if forces[f, p] > best_force and (holder < 0 or hostile[f, holder]):
                best, best_force = f, forces[f, p]
        if best >= 0:
            controller[p] = best
            captures[n, 0], captures[n, 1], captures[n, 2] = p, holder, best
            n += 1
    return n
