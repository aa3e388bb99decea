"""Synthetic scenarios of any size, for benchmarks and tests.

Places are scattered at random in a square whose area grows with their number (so the
density, and hence road lengths, stay alike at every size); roads are the edges of
their Delaunay triangulation, a planar network like real roads. Each faction starts
with the places nearest its capital (a Voronoi partition), a garrison in each, and a
reserve. Factions come in allied pairs, every pair at war with every other, and the
first faction of the first two pairs flies air support. All numbers are assumptions.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import Delaunay

from sim.formats.scenario import Scenario, scenario_from_table

KM_PER_PLACE = 15.0  # typical distance between neighbouring places (assumption)


def synthetic_table(n_places: int, n_factions: int = 8, seed: int = 0, days: int = 365) -> dict:
    """A scenario table (as parsed from TOML) with `n_places` places and `n_factions` factions."""
    if n_places < max(3, n_factions):
        raise ValueError("need at least 3 places and one place per faction")
    rng = np.random.default_rng(seed)
    side = KM_PER_PLACE * np.sqrt(n_places)
    xy = rng.uniform(0, side, size=(n_places, 2))
    names = [f"p{i}" for i in range(n_places)]
    capitals = rng.choice(n_places, size=n_factions, replace=False)
    owner = np.argmin(((xy[:, None, :] - xy[capitals][None, :, :]) ** 2).sum(axis=2), axis=1)
    population = rng.lognormal(mean=8.5, sigma=1.2, size=n_places).round()
    keys = [f"f{i}" for i in range(n_factions)]
    places = {
        names[i]: {
            "x": float(xy[i, 0]),
            "y": float(xy[i, 1]),
            "population": float(population[i]),
            "terrain": float(rng.choice([1.0, 1.0, 1.5, 2.0])),
            "region": f"r{owner[i]}",
            "controller": keys[owner[i]],
            "tags": ["vital", "supply_source"] if i in capitals else [],
        }
        for i in range(n_places)
    }
    factions = {key: _faction(f, keys, names, owner, capitals, rng) for f, key in enumerate(keys)}
    return {
        "name": f"synthetic-{n_places}x{n_factions}",
        "description": f"Synthetic map: {n_places} places, {n_factions} factions (seed {seed}).",
        "run": {"days": days, "seed": seed},
        "map": {"places": places, "roads": _delaunay_roads(xy, names)},
        "factions": factions,
    }


def _faction(f, keys, names, owner, capitals, rng) -> dict:
    partner = f ^ 1
    relations = {
        other: ("allied" if g == partner else "enemy") for g, other in enumerate(keys) if g != f
    }
    held = np.flatnonzero(owner == f)
    faction = {
        "reserve": float(300 * len(held)),
        "morale": float(rng.uniform(0.45, 0.7)),
        "supply_sources": [names[capitals[f]]],
        "relations": relations,
        "forces": {names[p]: float(rng.integers(100, 600)) for p in held},
        "recruitment": {"rate": 0.02, "desertion": 0.0005},
        "doctrine": {"aggression": float(rng.uniform(0.3, 0.8)), "max_offensives": 3},
    }
    if f in (0, 2) and len(keys) > 2:
        enemies = [k for k, r in relations.items() if r == "enemy"]
        faction["air"] = {
            "sorties_per_day": 40.0,
            "targeting": {k: 1.0 / len(enemies) for k in enemies},
        }
    return faction


def _delaunay_roads(xy: np.ndarray, names: list[str]) -> list[dict]:
    edges = set()
    for a, b, c in Delaunay(xy).simplices:
        edges |= {tuple(sorted(pair)) for pair in ((a, b), (b, c), (a, c))}
    return [
        {"from": names[a], "to": names[b], "km": float(np.hypot(*(xy[a] - xy[b])) * 1.2 + 0.1)}
        for a, b in sorted(edges)
    ]


def synthetic_scenario(
    n_places: int, n_factions: int = 8, seed: int = 0, days: int = 365
) -> Scenario:
    """A checked synthetic scenario (see `synthetic_table`)."""
    table = synthetic_table(n_places, n_factions, seed, days)
    return scenario_from_table(table, f"<synthetic {n_places} places>")
