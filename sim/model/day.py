"""One day of the war, compiled: logistics, decisions, air, combat, morale, recruitment,
and the day's accounts.

This is the daily sequence of DESIGN.md after the events (which the model applies in
Python first). It is one compiled function so that a day costs one call from Python:
at tens of microseconds a day, the cost of calling a compiled kernel matters as much as
the work. The arrays it works on travel in one `DayArrays` record, built once per
parameter refresh: passing them one by one cost about 0.1 us each, 7 us a day. Each
phase lives in the module named after it.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.core import types
from numba.experimental import structref

from sim.model.air import fly_sorties
from sim.model.combat import fight, settle_control
from sim.model.factions import plan_orders
from sim.model.logistics import deliver, dispatch, supply_status
from sim.model.morale import update_morale
from sim.model.recruitment import recruit_and_desert

DAY_ARRAYS = (
    # state
    "controller", "forces", "morale", "reserve", "base_morale", "incoming", "transit",
    "supplied", "engaged",
    # map
    "population", "terrain", "region", "value", "vital", "starts", "neighbours",
    # relations, supply, and where each faction may attack
    "friendly", "hostile", "sources", "travel", "reachable", "allowed", "ordered",
    # faction parameters
    "ground", "home_region", "break_point", "lethality", "recruitment_rate", "desertion",
    "commit", "aggression", "attack_ratio", "defend_ratio", "garrison", "max_offensives",
    "min_attack", "vital_only_below", "sorties", "casualties_per_sortie", "morale_shock",
    "engaged_bonus", "targeting", "air_weight",
    # shared combat and morale parameters
    "morale_weight", "unsupplied_effectiveness", "min_force", "loss_sensitivity", "recovery",
    "siege_penalty", "rout_desertion",
    # outputs: ledger and the day's records
    "recruited", "deserted", "routs", "combat_lost", "strike_lost", "strike_losses",
    "combat_losses", "morale_hit", "strikes_received", "strike_log", "captures", "tally",
)  # fmt: skip


@structref.register
class DayArraysType(types.StructRef):
    """The compiled type of `DayArrays` (one field per name of DAY_ARRAYS)."""

    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(kind)) for name, kind in fields)


class DayArrays(structref.StructRefProxy):
    """The model's arrays and parameters that the compiled day reads and changes, by the
    names of DAY_ARRAYS. It holds the arrays themselves, not copies: the model changes
    them in place between days, and the day's changes are the model's."""


structref.define_proxy(DayArrays, DayArraysType, list(DAY_ARRAYS))


@njit(cache=True)
def day_arrays(values):
    """A DayArrays of `values` (a tuple in the order of DAY_ARRAYS). Compiled and cached
    here: DayArrays(...) called from Python compiles its constructor afresh in every
    process, about 2.5 s."""
    return DayArrays(*values)


@njit(cache=True)
def advance_day(day, seed, deterministic, refresh_supply, w):
    """Advance every array of `w` (a DayArrays) by one day, every draw following from
    `seed`; return (strikes logged, places taken)."""
    np.random.seed(seed)
    deliver(day, w.transit, w.incoming, w.forces, w.morale, w.base_morale)
    if refresh_supply:
        w.supplied[:] = supply_status(w.controller, w.friendly, w.sources, w.starts, w.neighbours)
    orders = plan_orders(
        w.forces, w.incoming, w.reserve, w.controller, w.friendly, w.hostile, w.supplied,
        w.reachable, w.allowed, w.ordered, w.value, w.terrain, w.vital, w.region, w.starts,
        w.neighbours, w.ground, w.home_region, w.commit, w.aggression, w.attack_ratio,
        w.defend_ratio, w.garrison, w.max_offensives, w.min_attack, w.vital_only_below,
    )  # fmt: skip
    dispatch(orders, day, w.travel, w.transit, w.incoming, w.reserve)
    strikes = fly_sorties(
        w.forces, w.engaged, w.hostile, w.sorties, w.casualties_per_sortie, w.morale_shock,
        w.engaged_bonus, w.targeting, w.air_weight, deterministic, w.strike_losses,
        w.morale_hit, w.strikes_received, w.strike_log,
    )  # fmt: skip
    fight(
        w.forces, w.morale, w.supplied, w.controller, w.friendly, w.hostile, w.terrain,
        w.lethality, w.morale_weight, w.unsupplied_effectiveness, deterministic,
        w.combat_losses, w.engaged,
    )  # fmt: skip
    update_morale(
        w.morale, w.forces, w.combat_losses, w.strike_losses, w.morale_hit, w.supplied,
        w.engaged, w.base_morale, w.break_point, w.reserve, w.deserted, w.routs,
        w.loss_sensitivity, w.recovery, w.siege_penalty, w.rout_desertion,
    )  # fmt: skip
    taken = settle_control(
        w.forces, w.reserve, w.controller, w.friendly, w.hostile, w.min_force, w.captures
    )
    recruit_and_desert(
        w.forces, w.reserve, w.controller, w.friendly, w.population, w.region, w.ground,
        w.home_region, w.recruitment_rate, w.desertion, w.recruited, w.deserted, deterministic,
    )  # fmt: skip
    tally_day(
        w.controller, w.population, w.forces, w.morale, w.reserve, w.incoming, w.base_morale,
        w.combat_losses, w.strike_losses, w.strikes_received, w.combat_lost, w.strike_lost,
        w.tally,
    )  # fmt: skip
    return strikes, taken


@njit(cache=True)
def tally_day(
    controller, population, forces, morale, reserve, incoming, base_morale, combat_losses,
    strike_losses, strikes_received, ledger_combat, ledger_strikes, tally,
):  # fmt: skip
    """Book the day's losses in the ledger and fill the per-faction tally: places and
    population held, manpower, mean morale, sorties received, losses (one row each)."""
    n_factions, n_places = forces.shape
    tally[:] = 0.0
    for p in range(n_places):
        if controller[p] >= 0:
            tally[0, controller[p]] += 1.0
            tally[1, controller[p]] += population[p]
    for f in range(n_factions):
        deployed, weighted, combat_lost, strike_lost = 0.0, 0.0, 0.0, 0.0
        for p in range(n_places):
            deployed += forces[f, p]
            weighted += forces[f, p] * morale[f, p]
            combat_lost += combat_losses[f, p]
            strike_lost += strike_losses[f, p]
            tally[2, f] += incoming[f, p]
        tally[2, f] += reserve[f] + deployed
        tally[3, f] = weighted / deployed if deployed > 0.0 else base_morale[f]
        tally[4, f] = strikes_received[f]
        tally[5, f] = combat_lost + strike_lost
        ledger_combat[f] += combat_lost
        ledger_strikes[f] += strike_lost
