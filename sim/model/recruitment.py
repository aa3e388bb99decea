"""Recruitment and desertion: where manpower comes from and where it leaks away.

A faction recruits `rate` fighters per 1,000 inhabitants per day from the places it
holds; a local militia recruits from the places of its home region held by its side.
Recruits join the reserve. Every day a share `desertion` of its reserve and of its
deployed forces deserts, the deployed deserters taken from each force in proportion to
its size. The numbers of recruits and deserters are Poisson draws unless the run is
deterministic.
"""

from __future__ import annotations

from numba import njit

from sim.model.draws import poisson


@njit(cache=True)
def recruit_and_desert(state, world, rules, books, deterministic):
    """Add the day's recruits to each reserve and remove the day's deserters."""
    forces, reserve, controller = state.forces, state.reserve, state.controller
    friendly, population, region = world.friendly, world.population, world.region
    ground, home_region = rules.ground, rules.home_region
    rate, desertion = rules.recruitment_rate, rules.desertion
    recruited, deserted = books.recruited, books.deserted
    n_factions, n_places = forces.shape
    for f in range(n_factions):
        if not ground[f]:
            continue
        if rate[f] > 0.0:
            people = 0.0
            for p in range(n_places):
                c = controller[p]
                if home_region[f] < 0:
                    if c == f:
                        people += population[p]
                elif c >= 0 and friendly[f, c] and region[p] == home_region[f]:
                    people += population[p]
            joined = poisson(rate[f] * people / 1000.0, deterministic)
            reserve[f] += joined
            recruited[f] += joined
        if desertion[f] > 0.0:
            gone = min(poisson(reserve[f] * desertion[f], deterministic), reserve[f])
            reserve[f] -= gone
            deserted[f] += gone
            deployed = forces[f].sum()
            if deployed > 0.0:
                gone = min(poisson(deployed * desertion[f], deterministic), deployed)
                forces[f] *= 1.0 - gone / deployed
                deserted[f] += gone
