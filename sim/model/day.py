"""One day of the war, compiled: logistics, decisions, air, combat, morale, recruitment,
and the day's accounts.

This is the daily sequence of DESIGN.md after the events (which the model applies in
Python first). It is compiled so that a day costs one call from Python: at tens of
microseconds a day, the cost of calling a compiled kernel matters as much as the work.
The arrays travel in four named records (`sim.model.records`): the state, the world,
the rules and the books. Each phase lives in the module named after it.

A day is two halves: `begin_day` (arrivals and supply) and `end_day` (decisions, air,
combat, morale, control, recruitment, tally). A model whose factions all follow the
compiled doctrine runs both in one call (`advance_day`); one with a Python doctrine
runs them apart and lets the doctrine decide in between (`sim.model.doctrine`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.model.air import fly_sorties
from sim.model.combat import fight, settle_control
from sim.model.doctrine import plan_orders
from sim.model.logistics import deliver, dispatch, supply_factors, supply_status
from sim.model.manoeuvre import pursue, withdraw_hopeless
from sim.model.morale import shift_baselines, update_morale
from sim.model.recruitment import recruit_and_desert


@njit(cache=True)
def advance_day(day, seed, deterministic, refresh_supply, state, world, rules, books):
    """Advance the records by one day, every draw following from `seed`; return
    (strikes logged, places taken)."""
    begin_day(day, seed, refresh_supply, state, world, rules, books)
    return end_day(day, deterministic, state, world, rules, books)


@njit(cache=True)
def advance_days(first, seeds, deterministic, stale, state, world, rules, books, series, logs):
    """Advance the records by one day per seed from day `first`, as `advance_day` would
    day by day (the days between two events: the model applies events in Python).

    Each day's tally goes to `series[day]`; its captures (day, place, previous holder,
    new) and strikes (day, air faction, target faction, place, sorties, casualties) are
    appended to `logs`: (capture log, its rows used, strike log, its rows used), each
    log's storage doubling when full (`log_rows`). Return (whether supply is stale after
    the last day, the logs)."""
    captures, n_captures, strikes, n_strikes = logs
    for i in range(seeds.shape[0]):
        day = first + i
        struck, taken = advance_day(day, seeds[i], deterministic, stale, state, world, rules, books)
        series[day] = books.tally
        captures = log_rows(captures, n_captures, day, books.day_captures[:taken])
        n_captures += taken
        strikes = log_rows(strikes, n_strikes, day, books.day_strike_log[:struck])
        n_strikes += struck
        stale = taken > 0
    return stale, (captures, n_captures, strikes, n_strikes)


@njit(cache=True)
def log_rows(log, n, day, rows):
    """Append `rows`, each headed by `day`, to the first `n` rows of `log`; return the
    log (a new one, twice as large or more, if it was full)."""
    if n + rows.shape[0] > log.shape[0]:
        grown = np.zeros((max(2 * log.shape[0], n + rows.shape[0]), log.shape[1]), log.dtype)
        grown[:n] = log[:n]
        log = grown
    for k in range(rows.shape[0]):
        log[n + k, 0] = day
        log[n + k, 1:] = rows[k]
    return log


@njit(cache=True)
def begin_day(day, seed, refresh_supply, state, world, rules, books):
    """Seed the day's draws; forces due today arrive; supply is recomputed if control
    or relations changed, and every force's supply factor (reach, link capacity)."""
    np.random.seed(seed)
    deliver(day, state)
    if refresh_supply:
        supply_status(state, world, rules, books)
    supply_factors(state, world, rules)


@njit(cache=True)
def end_day(day, deterministic, state, world, rules, books):
    """The rest of the day after arrivals and supply; return (strikes, places taken)."""
    withdraw_hopeless(day, state, world, rules, books, deterministic)
    orders = plan_orders(day, state, world, rules, books, deterministic)
    dispatch(orders, day, state, world, rules, deterministic, True)
    strikes = fly_sorties(state, world, rules, books, deterministic)
    fight(state, world, rules, books, deterministic)
    update_morale(day, state, world, rules, books, deterministic)
    taken = settle_control(state, world, rules, books, deterministic)
    pursue(day, taken, state, world, rules, books)
    recruit_and_desert(state, world, rules, books, deterministic)
    tally_day(state, world, books)
    shift_baselines(state, rules, books, taken)
    return strikes, taken


@njit(cache=True)
def tally_day(state, world, books):
    """Book the day's losses in the ledger and fill the per-faction tally: places and
    population held, manpower, mean morale, sorties received, losses (one row each)."""
    controller, forces, morale = state.controller, state.forces, state.morale
    tally = books.tally
    n_factions, n_places = forces.shape
    tally[:] = 0.0
    for p in range(n_places):
        if controller[p] >= 0:
            tally[0, controller[p]] += 1.0
            tally[1, controller[p]] += world.population[p]
    for f in range(n_factions):
        deployed, weighted, combat_lost, strike_lost = 0.0, 0.0, 0.0, 0.0
        for p in range(n_places):
            deployed += forces[f, p]
            weighted += forces[f, p] * morale[f, p]
            combat_lost += books.day_combat_losses[f, p]
            strike_lost += books.day_strike_losses[f, p]
            tally[2, f] += state.incoming[f, p]
        tally[2, f] += deployed
        tally[3, f] = weighted / deployed if deployed > 0.0 else state.base_morale[f]
        tally[4, f] = books.day_strikes_received[f]
        tally[5, f] = combat_lost + strike_lost
        books.combat_losses[f] += combat_lost
        books.strike_losses[f] += strike_lost
    for c in range(state.reserves.shape[0]):
        tally[2, world.command_faction[c]] += state.reserves[c]
