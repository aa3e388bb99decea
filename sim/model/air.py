"""Air support: sorties spread over targets by a targeting policy, and what they do.

Each air-capable faction splits its day's sorties first between target factions, by
its targeting shares (renormalised over the enemies it can find; no shares means all
enemies alike), then over the places where each target has forces, in proportion to

    weight = place weight x (1 + engaged_bonus if the target fought there the day before)
             x forces / (forces + 1000),

so that large concentrations and close air support attract sorties and small pockets
few (tasking works from the previous day's reports). A sortie puts
`casualties_per_sortie` fighters out of action on average and shakes the target's
morale by `morale_shock` x 1000 / max(forces, 100), forces counted before the day's
strikes (a force of 1,000 loses `morale_shock` per sortie). Every strike is logged with
its target faction.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.model.draws import poisson

SIZE_SATURATION = 1000.0  # fighters at which a target's size weight reaches one half
SMALLEST_SHOCKED_FORCE = 100.0  # morale shock per sortie stops growing below this size

STRIKE_LOG_COLUMNS = ("air", "target", "place", "sorties", "casualties")


@njit(cache=True)
def fly_sorties(state, world, rules, books, deterministic):
    """Task every faction's sorties and strike; return the number of strikes logged.

    Takes the casualties off `state.forces` and records them in the books: the day's
    strike losses (F, P), morale hit (F, P), sorties received by each target faction
    (F,), and the first rows of the day's strike log, with the columns of
    `STRIKE_LOG_COLUMNS`. In a random run exactly the day's sorties fly, each landing on
    a cell drawn by weight (systematic sampling: one random offset, then evenly spaced
    draws through the cumulative weights); in a deterministic run every cell gets its
    expected share.
    """
    forces, engaged, hostile = state.forces, state.engaged, world.hostile
    sorties, casualties_per_sortie = rules.sorties, rules.casualties_per_sortie
    morale_shock, engaged_bonus = rules.morale_shock, rules.engaged_bonus
    targeting, air_weight = rules.targeting, rules.air_weight
    casualties, morale_hit = books.day_strike_losses, books.day_morale_hit
    received, log = books.day_strikes_received, books.day_strike_log
    n_factions, n_places = forces.shape
    casualties[:] = 0.0
    morale_hit[:] = 0.0
    received[:] = 0.0
    cumulative = np.empty(n_factions * n_places)
    cells = np.empty(n_factions * n_places, dtype=np.int64)
    flown = np.zeros(n_factions * n_places)
    rows = 0
    for a in range(n_factions):
        if sorties[a] <= 0.0:
            continue
        n_cells = _target_cells(
            a, forces, engaged, hostile, targeting, air_weight, engaged_bonus, cumulative, cells
        )
        if n_cells == 0:
            continue
        _allocate(sorties[a], cumulative[:n_cells], flown[:n_cells], deterministic)
        for i in range(n_cells):
            if flown[i] <= 0.0:
                continue
            g, p = cells[i] // n_places, cells[i] % n_places
            hit = poisson(flown[i] * casualties_per_sortie[a], deterministic)
            hit = min(hit, forces[g, p])
            forces[g, p] -= hit
            casualties[g, p] += hit
            shaken = max(forces[g, p] + casualties[g, p], SMALLEST_SHOCKED_FORCE)
            morale_hit[g, p] += morale_shock[a] * flown[i] * 1000.0 / shaken
            received[g] += flown[i]
            log[rows, 0], log[rows, 1], log[rows, 2] = a, g, p
            log[rows, 3], log[rows, 4] = flown[i], hit
            rows += 1
    return rows


@njit(cache=True)
def _target_cells(
    a, forces, engaged, hostile, targeting, air_weight, engaged_bonus, cumulative, cells
):
    """List faction a's target cells (target faction, place) with cumulative probabilities."""
    n_factions, n_places = forces.shape
    preferences = targeting[a].sum() > 0.0
    weight_total = np.zeros(n_factions)
    share = np.zeros(n_factions)
    share_total = 0.0
    n_cells = 0
    for g in range(n_factions):
        if not hostile[a, g] or (preferences and targeting[a, g] <= 0.0):
            continue
        for p in range(n_places):
            size = forces[g, p]
            if size > 0.0:
                bonus = engaged_bonus[a] if engaged[g, p] else 0.0
                weight = air_weight[a, p] * (1.0 + bonus) * size / (size + SIZE_SATURATION)
                if weight > 0.0:
                    weight_total[g] += weight
                    cumulative[n_cells] = weight
                    cells[n_cells] = g * n_places + p
                    n_cells += 1
        if weight_total[g] > 0.0:
            share[g] = targeting[a, g] if preferences else 1.0
            share_total += share[g]
    running = 0.0
    for i in range(n_cells):
        g = cells[i] // n_places
        running += share[g] / share_total * cumulative[i] / weight_total[g]
        cumulative[i] = running
    return n_cells


@njit(cache=True)
def _allocate(sorties, cumulative, flown, deterministic):
    """Spread the sorties over cells: expected shares, or one weighted draw per sortie."""
    flown[:] = 0.0
    if deterministic:
        previous = 0.0
        for i in range(cumulative.shape[0]):
            flown[i] = sorties * (cumulative[i] - previous)
            previous = cumulative[i]
        return
    count = int(sorties) + (1 if np.random.random() < sorties - int(sorties) else 0)
    if count == 0:
        return
    step = cumulative[-1] / count
    target = np.random.random() * step
    last = cumulative.shape[0] - 1
    i = 0
    for _ in range(count):
        while i < last and cumulative[i] <= target:
            i += 1
        flown[i] += 1.0
        target += step
