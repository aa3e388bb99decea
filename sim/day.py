"""One day of the war, compiled: logistics, decisions, air, combat, morale, recruitment,
and the day's accounts.

This is the daily sequence of DESIGN.md after the events (which the model applies in
Python first). It is one compiled function so that a day costs one call from Python:
at tens of microseconds a day, the cost of calling a compiled kernel (about 0.1 us per
argument) matters as much as the work. Each phase lives in the module named after it.
"""

from __future__ import annotations

from numba import njit

from sim.air import fly_sorties
from sim.combat import fight, settle_control
from sim.factions import plan_orders
from sim.logistics import deliver, dispatch, supply_status
from sim.morale import update_morale
from sim.recruitment import recruit_and_desert


@njit(cache=True)
def advance_day(
    day, deterministic, refresh_supply,
    # state
    controller, forces, morale, reserve, base_morale, incoming, transit, supplied, engaged,
    # map
    population, terrain, region, value, vital, starts, neighbours,
    # relations, supply, and where each faction may attack
    friendly, hostile, sources, travel, reachable, allowed, ordered,
    # faction parameters
    ground, home_region, break_point, lethality, recruitment_rate, desertion, commit,
    aggression, attack_ratio, defend_ratio, garrison, max_offensives, min_attack,
    vital_only_below, sorties, casualties_per_sortie, morale_shock, engaged_bonus, targeting,
    air_weight,
    # shared combat and morale parameters
    morale_weight, unsupplied_effectiveness, min_force, loss_sensitivity, recovery,
    siege_penalty, rout_desertion,
    # outputs: ledger and the day's records
    recruited, deserted, routs, combat_lost, strike_lost, strike_losses, combat_losses, morale_hit,
    strikes_received, strike_log, captures, tally,
):  # fmt: skip
    """Advance every array by one day; return (strikes logged, places taken)."""
    deliver(day, transit, incoming, forces, morale, base_morale)
    if refresh_supply:
        supplied[:] = supply_status(controller, friendly, sources, starts, neighbours)
    orders = plan_orders(
        forces, incoming, reserve, controller, friendly, hostile, supplied, reachable, allowed,
        ordered, value, terrain, vital, region, starts, neighbours, ground, home_region, commit,
        aggression, attack_ratio, defend_ratio, garrison, max_offensives, min_attack,
        vital_only_below,
    )  # fmt: skip
    dispatch(orders, day, travel, transit, incoming, reserve)
    strikes = fly_sorties(
        forces, engaged, hostile, sorties, casualties_per_sortie, morale_shock, engaged_bonus,
        targeting, air_weight, deterministic, strike_losses, morale_hit, strikes_received,
        strike_log,
    )  # fmt: skip
    fight(
        forces, morale, supplied, controller, friendly, hostile, terrain, lethality,
        morale_weight, unsupplied_effectiveness, deterministic, combat_losses, engaged,
    )  # fmt: skip
    update_morale(
        morale, forces, combat_losses, strike_losses, morale_hit, supplied, engaged,
        base_morale, break_point, reserve, deserted, routs, loss_sensitivity, recovery,
        siege_penalty, rout_desertion,
    )  # fmt: skip
    taken = settle_control(forces, reserve, controller, friendly, hostile, min_force, captures)
    recruit_and_desert(
        forces, reserve, controller, friendly, population, region, ground, home_region,
        recruitment_rate, desertion, recruited, deserted, deterministic,
    )  # fmt: skip
    tally_day(
        controller, population, forces, morale, reserve, incoming, base_morale, combat_losses,
        strike_losses, strikes_received, combat_lost, strike_lost, tally,
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
