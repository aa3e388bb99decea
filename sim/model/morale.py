"""Morale: what breaks forces and what restores them.

Each force (a faction at a place) has morale m in [0, 1]. In a day it first loses

    loss_sensitivity x (share of the force lost today, to combat and strikes)
    + the shock of air strikes (see `sim.model.air`)
    + siege_penalty, if the force is cut off from supply,

then recovers a share `recovery` of the gap between what is left and the faction's
baseline, and is clipped to [0, 1].

A force in combat whose morale falls below its faction's break point routs: it "melts
away". A share `rout_desertion` deserts and the rest falls back to the reserve; a
routing force that is cut off cannot fall back and is lost entirely. Victories and
defeats move the faction's baseline: each place a faction takes raises its baseline by
`victory_bonus`, each place it loses lowers it by `defeat_penalty` (clipped to [0, 1]).
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def update_morale(state, rules, books):
    """Move every force's morale and rout the broken ones, counting routs per faction."""
    morale, forces, supplied, engaged = state.morale, state.forces, state.supplied, state.engaged
    base_morale, reserve = state.base_morale, state.reserve
    combat_losses, strike_losses = books.day_combat_losses, books.day_strike_losses
    morale_hit, deserted, routs = books.day_morale_hit, books.deserted, books.routs
    break_point, loss_sensitivity, recovery = (
        rules.break_point,
        rules.loss_sensitivity,
        rules.recovery,
    )
    siege_penalty, rout_desertion = rules.siege_penalty, rules.rout_desertion
    n_factions, n_places = forces.shape
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
            if engaged[f, p] and m < break_point[f] and forces[f, p] > 0.0:
                gone = forces[f, p] * rout_desertion if supplied[f, p] else forces[f, p]
                deserted[f] += gone
                reserve[f] += forces[f, p] - gone
                forces[f, p] = 0.0
                routs[f] += 1


@njit(cache=True)
def shift_baselines(state, rules, books, taken):
    """Move the baseline morale of the day's victors and losers (`taken` captures)."""
    base_morale, captures = state.base_morale, books.day_captures
    for i in range(taken):
        previous, new = captures[i, 1], captures[i, 2]
        base_morale[new] = min(1.0, base_morale[new] + rules.victory_bonus)
        if previous >= 0:
            base_morale[previous] = max(0.0, base_morale[previous] - rules.defeat_penalty)
