"""Manoeuvre: forces that move where they stand — withdrawal, flight, pursuit, transfers.

- **Withdrawal.** Before the day's fighting, a force whose enemies at its place have a
  Lanchester strength (fire x men^2, as the square law weighs them; the fire as the day
  before left it, air suppression included) R times `withdraw_ratio` times its side's
  (counting its side's men still on the road there), R > 1, gives up that day with
  probability 1 - exp(3 (1 - R)) (deterministic: once R > 1.23) and falls back to the
  nearest place its side holds and supplies, losing `withdraw_loss` of its men on the
  way; it never leaves a place it is ordered to hold or a vital place of its side. Its
  men still on the road to the place turn to the refuge. An attack that has become
  hopeless ends the same way, and the place is not attacked again for `ABANDONED_DAYS`.
- **Flight.** A routed force's survivors flee along roads to the nearest place their
  side holds and supplies, arriving shaken (morale halfway between the break point and
  the baseline) after the travel time; a pursuing enemy takes a share of them on the
  way (the victor's `pursuit` x its strength / (its strength + theirs)). A force with
  nowhere to flee is lost.
- **Pursuit.** When a place falls and its defenders fled to a neighbouring place, the
  victor sends `pursuit` of its force there after them, if that place is one it may
  attack (in its area, a militia's region, and among its objectives when under orders).
- **Transfers** (events' `moves`) move men between places and reserves.

With `manoeuvre.enabled = false` none of this happens: a routed force's survivors fall
back to the reserve the same day (cut off: lost), as in the model of v0.1.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.model.combat import fire_per_fighter
from sim.model.logistics import delay, send, travel_time
from sim.model.routes import own_side, reset_search, search_friendly

MAX_FLIGHT_KM = 300.0  # how far by road a withdrawing or routed force looks for refuge
ABANDONED_DAYS = 7  # an attack given up is not opened again for this long
GIVE_UP_RATE = 3.0  # how fast the daily chance of giving up grows with the odds beyond bearing


@njit(cache=True)
def refuge(f, p, state, world, books):
    """The nearest place to p that f's side holds and supplies (-1: none within
    `MAX_FLIGHT_KM`), and its distance in km."""
    km, found = books.search_km, books.search_found
    n = search_friendly(
        f, p, MAX_FLIGHT_KM, state, world, km, found, books.heap_keys, books.heap_values
    )
    best, distance = -1, np.inf
    for i in range(n):
        q = found[i]
        if state.supplied[f, q] and km[q] < distance:
            best, distance = q, km[q]
    reset_search(km, found, n, p)
    return best, distance


@njit(cache=True)
def withdraw_hopeless(day, state, world, rules, books, deterministic):
    """Forces facing hopeless odds fall back to a refuge (decided for all at once from
    the state at dawn, then carried out)."""
    forces = state.forces
    n_factions, n_places = forces.shape
    books.day_refuge[:] = -1
    if not rules.manoeuvre:
        return
    leaving = np.zeros((n_factions, n_places), dtype=np.bool_)
    for p in range(n_places):
        if _factions_present(forces, p) < 2:
            continue  # no enemy to withdraw from
        holder = state.controller[p]
        for f in range(n_factions):
            if forces[f, p] <= 0.0 or rules.withdraw_ratio[f] <= 0.0:
                continue
            if state.hold_men[f, p] > 0.0 or (world.vital[p] and own_side(f, p, state, world)):
                continue  # ordered to hold, or a vital place of its side: no withdrawal
            own, theirs = 0.0, 0.0
            for g in range(n_factions):
                men = forces[g, p]
                if world.friendly[f, g]:
                    men += state.incoming[g, p]  # the waves still on the road count too
                if men <= 0.0:
                    continue
                fire = fire_per_fighter(
                    g, p, state.morale[g, p], state.supplied[g, p], holder, world, rules
                )
                fire *= state.supply_factor[g, p] * (1.0 - books.day_suppression[g, p])
                strength = fire * men**2
                if world.friendly[f, g]:
                    own += strength
                elif world.hostile[f, g]:
                    theirs += strength
            leaving[f, p] = _gives_up(theirs, rules.withdraw_ratio[f] * own, deterministic)
    for p in range(n_places):
        for f in range(n_factions):
            if leaving[f, p]:
                _fall_back(f, p, day, state, world, rules, books, deterministic)


@njit(cache=True, inline="always")
def _factions_present(forces, p):
    """How many factions have men at place p."""
    n = 0
    for f in range(forces.shape[0]):
        if forces[f, p] > 0.0:
            n += 1
    return n


@njit(cache=True, inline="always")
def _gives_up(theirs, bearable, deterministic):
    """Whether a force gives up today against enemies of strength `theirs`, when it can
    bear `bearable`: with probability 1 - exp(-3 (theirs / bearable - 1)) beyond it (so
    the worse the odds, the sooner), or, in a deterministic run, once that reaches 1/2."""
    if theirs <= bearable:
        return False
    if bearable <= 0.0:  # it cannot fire at all (wholly suppressed): it gives up
        return True
    hazard = 1.0 - np.exp(GIVE_UP_RATE * (1.0 - theirs / bearable))
    if deterministic:
        return hazard >= 0.5
    return np.random.random() < hazard


@njit(cache=True)
def _fall_back(f, p, day, state, world, rules, books, deterministic):
    q, km = refuge(f, p, state, world, books)
    if q < 0:
        return  # nowhere to go: it fights on
    men = state.forces[f, p]
    lost = men * rules.withdraw_loss[f]
    books.flight_losses[f] += lost
    days = travel_time(km, rules.speed[f]) + delay(rules.travel_delay_days[f], deterministic)
    send(f, q, men - lost, state.morale[f, p], day, days, state)
    state.forces[f, p] = 0.0
    books.day_refuge[f, p] = q
    books.withdrawals[f] += 1
    _redirect(f, p, q, state)  # its men still on the road to p go to q too
    holder = state.controller[p]
    if holder < 0 or world.hostile[f, holder]:  # an attack given up: not again for a while
        state.blocked_until[f, p] = day + ABANDONED_DAYS


@njit(cache=True)
def _redirect(f, p, q, state):
    """Men of f still on the road to p go to q instead (arriving when they would have)."""
    transit, carried = state.transit, state.transit_morale
    for slot in range(transit.shape[0]):
        transit[slot, f, q] += transit[slot, f, p]
        carried[slot, f, q] += carried[slot, f, p]
        transit[slot, f, p] = 0.0
        carried[slot, f, p] = 0.0
    state.incoming[f, q] += state.incoming[f, p]
    state.incoming[f, p] = 0.0


@njit(cache=True)
def flee(f, p, survivors, pursuers, share, day, state, world, rules, books, deterministic):
    """The survivors of a rout at p flee to a refuge, pursued by `pursuers` men who
    catch up to `share` of them; return the men who got away (the rest are counted as
    lost in flight), 0 if there was nowhere to go."""
    q, km = refuge(f, p, state, world, books)
    if q < 0:
        return 0.0
    caught = survivors * share * pursuers / (pursuers + survivors) if pursuers > 0 else 0.0
    books.flight_losses[f] += caught
    shaken = 0.5 * (rules.break_point[f] + state.base_morale[f])
    days = travel_time(km, rules.speed[f]) + delay(rules.travel_delay_days[f], deterministic)
    send(f, q, survivors - caught, shaken, day, days, state)
    books.day_refuge[f, p] = q
    return survivors - caught


@njit(cache=True)
def pursue(day, taken, state, world, rules, books):
    """After the day's captures: the victor of each follows the defenders who fled to a
    neighbouring place still held by its enemies."""
    if not rules.manoeuvre:
        return
    n_factions = state.forces.shape[0]
    for i in range(taken):
        p, g = books.day_captures[i, 0], books.day_captures[i, 2]
        share = rules.pursuit[g]
        if share <= 0.0 or state.forces[g, p] <= 0.0:
            continue
        for f in range(n_factions):
            q = books.day_refuge[f, p]
            if q < 0 or not _adjacent(p, q, world):
                continue
            if not (world.faction_area[g, q] and state.allowed_targets[g, q]):
                continue  # outside the victor's area (a militia's region), or not ordered
            holder = state.controller[q]
            if holder >= 0 and world.hostile[g, holder]:
                sent = share * state.forces[g, p]
                state.forces[g, p] -= sent
                send(g, q, sent, state.morale[g, p], day, 1, state)
                break


@njit(cache=True, inline="always")
def _adjacent(p, q, world):
    for k in range(world.neighbours_start[p], world.neighbours_start[p + 1]):
        if world.neighbours[k] == q:
            return True
    return False
