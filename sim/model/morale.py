"""Morale: what breaks forces and what restores them.

Each force (a faction at a place) has morale m in [0, 1]. In a day it first loses

    loss_sensitivity x (share of the force lost today, to combat and strikes)
    + the shock of air strikes (see `sim.model.air`)
    + siege_penalty, if the force is cut off from supply,

then recovers a share `recovery` of the gap between what is left and the faction's
baseline, and is clipped to [0, 1].

A force in combat whose morale falls below its faction's break point routs: it "melts
away". A share `rout_desertion` deserts and the survivors flee along the roads to the
nearest place their side holds (`sim.model.manoeuvre`; without manoeuvre they fall back
to the reserve the same day); a routing force that is cut off cannot flee and is lost
entirely. Victories and
defeats move the faction's baseline: each place a faction takes raises its baseline by
`victory_bonus`, each place it loses lowers it by `defeat_penalty` (clipped to [0, 1]).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.model.manoeuvre import flee


@njit(cache=True)
def update_morale(day, state, world, rules, books, deterministic):
    """Move every force's morale and rout the broken ones, counting routs per faction.

    A routing force loses `rout_desertion` of its men to desertion; with manoeuvre the
    survivors flee along the roads (`sim.model.manoeuvre.flee`), without it they fall
    back to their commander's reserve; cut off from supply, all are lost."""
    morale, forces, supplied, engaged = state.morale, state.forces, state.supplied, state.engaged
    base_morale = state.base_morale
    combat_losses, strike_losses = books.day_combat_losses, books.day_strike_losses
    morale_hit, routs = books.day_morale_hit, books.routs
    break_point, loss_sensitivity = rules.break_point, rules.loss_sensitivity
    recovery = rules.recovery
    siege_penalty = rules.siege_penalty
    n_factions, n_places = forces.shape
    broken = np.zeros((n_factions, n_places), dtype=np.bool_)
    for f in range(n_factions):
        for p in range(n_places):
            lost = combat_losses[f, p] + strike_losses[f, p]
            before = forces[f, p] + lost
            if before <= 0.0:
                continue
            m = morale[f, p] - loss_sensitivity * lost / before - morale_hit[f, p]
            if not supplied[f, p]:
                m -= siege_penalty
            m += recovery * (base_morale[f] - m)
            m = min(1.0, max(0.0, m))
            morale[f, p] = m
            broken[f, p] = engaged[f, p] and m < break_point[f] and forces[f, p] > 0.0
    for p in range(n_places):  # all break at once: whoever breaks does not pursue
        pursuer, share = 0.0, 0.0
        for f in range(n_factions):
            if broken[f, p]:
                pursuer, share = _pursuers(f, p, broken, state, world, rules)
                _rout(f, p, pursuer, share, day, state, world, rules, books, deterministic)
                routs[f] += 1


@njit(cache=True)
def _pursuers(f, p, broken, state, world, rules):
    """The strongest force at p hostile to f that did not break, and its `pursuit`."""
    pursuer, share = 0.0, 0.0
    for g in range(state.forces.shape[0]):
        if world.hostile[f, g] and not broken[g, p] and state.forces[g, p] > pursuer:
            pursuer, share = state.forces[g, p], rules.pursuit[g]
    return pursuer, share


@njit(cache=True)
def _rout(f, p, pursuer, share, day, state, world, rules, books, deterministic):
    """Faction f's force at p breaks: desertion, then flight (pursued by `pursuer` men
    with that `share`) or the fall-back."""
    men = state.forces[f, p]
    state.forces[f, p] = 0.0
    if not state.supplied[f, p]:
        books.deserted[f] += men
        return
    gone = men * rules.rout_desertion
    books.deserted[f] += gone
    survivors = men - gone
    if not rules.manoeuvre:
        state.reserves[state.commander[f, p]] += survivors
        return
    escaped = flee(f, p, survivors, pursuer, share, day, state, world, rules, books, deterministic)
    if escaped <= 0.0:  # nowhere to flee: the survivors scatter
        books.deserted[f] += survivors


@njit(cache=True)
def shift_baselines(state, rules, books, taken):
    """Move the baseline morale of the day's victors and losers (`taken` captures)."""
    base_morale, captures = state.base_morale, books.day_captures
    for i in range(taken):
        previous, new = captures[i, 1], captures[i, 2]
        base_morale[new] = min(1.0, base_morale[new] + rules.victory_bonus)
        if previous >= 0:
            base_morale[previous] = max(0.0, base_morale[previous] - rules.defeat_penalty)
