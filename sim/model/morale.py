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
defeats move the faction's baseline (see `FrontlineModel`).
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def update_morale(
    morale, forces, combat_losses, strike_losses, morale_hit, supplied, engaged, base_morale,
    break_point, reserve, deserted, routs, loss_sensitivity, recovery, siege_penalty,
    rout_desertion,
):  # fmt: skip
    """Move every force's morale and rout the broken ones, counting routs per faction."""
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
