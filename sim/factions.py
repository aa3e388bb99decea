"""Factions: Mesa agents holding their parameters, and the doctrine they decide by.

A faction's hot state (forces and morale per place, its reserve) lives in the model's
arrays; the agent holds what the faction *is* (its `FactionSpec`, changed by events)
and the doctrine turns the day's situation into its orders: reinforcements for
threatened places and offensives against adjacent enemy places, sent from the reserve
along roads. The doctrine is one compiled kernel run for every faction at once, each
with its own parameters, so a year of decisions costs milliseconds.
"""

from __future__ import annotations

import copy
import dataclasses

import mesa
import numpy as np
from numba import njit

from sim.map import Map
from sim.schema import FactionSpec

PALETTE = ["#d62728", "#2ca02c", "#1f77b4", "#000000", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]
PALETTE += ["#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#98df8a", "#ff9896", "#c5b0d5"]


class Faction(mesa.Agent):
    """One side in the war: a Mesa agent whose parameters events may change."""

    def __init__(self, model: mesa.Model, key: str, spec: FactionSpec, index: int):
        super().__init__(model)
        self.key = key
        self.index = index
        self.spec = copy.deepcopy(spec)
        self.label = spec.label or key
        self.color = spec.color or PALETTE[index % len(PALETTE)]

    @property
    def is_militia(self) -> bool:
        """Whether it recruits and fights only in its home region."""
        return self.spec.home_region is not None

    def __repr__(self) -> str:
        return f"Faction({self.key!r})"


@dataclasses.dataclass
class FactionParameters:
    """Every faction's parameters as arrays indexed by faction number (for the kernels)."""

    ground: np.ndarray
    home_region: np.ndarray
    break_point: np.ndarray
    lethality: np.ndarray
    recruitment_rate: np.ndarray
    desertion: np.ndarray
    commit: np.ndarray
    aggression: np.ndarray
    attack_ratio: np.ndarray
    defend_ratio: np.ndarray
    max_offensives: np.ndarray
    min_attack: np.ndarray
    vital_only_below: np.ndarray
    speed: np.ndarray
    sorties: np.ndarray
    casualties_per_sortie: np.ndarray
    morale_shock: np.ndarray
    engaged_bonus: np.ndarray
    targeting: np.ndarray  # (F, F): share of a's sorties on g; rows of zeros: no preference
    air_weight: np.ndarray  # (F, P): place weight as a target of a's sorties

    @classmethod
    def from_factions(cls, factions: list[Faction], world: Map) -> FactionParameters:
        """Gather the factions' current specs into arrays."""
        specs = [f.spec for f in factions]
        keys = [f.key for f in factions]

        def column(get, dtype=float) -> np.ndarray:
            return np.array([get(s) for s in specs], dtype=dtype)

        targeting = np.zeros((len(specs), len(specs)))
        air_weight = np.ones((len(specs), world.size))
        for a, spec in enumerate(specs):
            for target, share in spec.air.targeting.items():
                targeting[a, keys.index(target)] = share
            for region, weight in spec.air.region_weights.items():
                air_weight[a, world.in_region(region)] *= weight
            for place, weight in spec.air.place_weights.items():
                air_weight[a, world.index(place)] *= weight
        return cls(
            ground=column(lambda s: not s.air_only, np.bool_),
            home_region=column(
                lambda s: -1 if s.home_region is None else world.regions.index(s.home_region),
                np.int64,
            ),
            break_point=column(lambda s: s.break_point),
            lethality=column(lambda s: s.lethality),
            recruitment_rate=column(lambda s: s.recruitment.rate),
            desertion=column(lambda s: s.recruitment.desertion),
            commit=column(lambda s: s.doctrine.commit),
            aggression=column(lambda s: s.doctrine.aggression),
            attack_ratio=column(lambda s: s.doctrine.attack_ratio),
            defend_ratio=column(lambda s: s.doctrine.defend_ratio),
            max_offensives=column(lambda s: s.doctrine.max_offensives, np.int64),
            min_attack=column(lambda s: s.doctrine.min_attack),
            vital_only_below=column(lambda s: s.doctrine.vital_only_below),
            speed=column(lambda s: s.doctrine.speed_km_per_day),
            sorties=column(lambda s: s.air.sorties_per_day),
            casualties_per_sortie=column(lambda s: s.air.casualties_per_sortie),
            morale_shock=column(lambda s: s.air.morale_shock),
            engaged_bonus=column(lambda s: s.air.engaged_bonus),
            targeting=targeting,
            air_weight=air_weight,
        )


@njit(cache=True, inline="always")
def _strength(forces, relation, f, p):
    """Total force at place p of the factions that faction f has `relation` with."""
    total = 0.0
    for g in range(forces.shape[0]):
        if relation[f, g]:
            total += forces[g, p]
    return total


@njit(cache=True, inline="always")
def _borders_supplied_ground(f, p, controller, friendly, supplied, starts, neighbours):
    """Whether place p is next to a place held by f's side and supplied for f."""
    for k in range(starts[p], starts[p + 1]):
        q = neighbours[k]
        c = controller[q]
        if c >= 0 and friendly[f, c] and supplied[f, q]:
            return True
    return False


@njit(cache=True)
def plan_orders(
    forces, incoming, reserve, controller, friendly, hostile, supplied, reachable,
    value, terrain, vital, region, starts, neighbours,
    ground, home_region, commit, aggression, attack_ratio, defend_ratio,
    max_offensives, min_attack, vital_only_below,
):  # fmt: skip
    """Each faction's orders for the day: manpower to send from its reserve to each place.

    Defence comes first: places held by its side and under attack get enough to reach
    `defend_ratio` against the attackers (only vital ones when the reserve is short).
    What remains, up to the `aggression` share of the day's commitment, goes to
    offensives: topping up attacks under way towards `attack_ratio`, then opening new
    ones, up to `max_offensives`, against the adjacent enemy or unheld place with the
    best value per fighter needed that it could carry through with its reserve.
    """
    n_factions, n_places = forces.shape
    orders = np.zeros((n_factions, n_places))
    need = np.zeros(n_places)
    for f in range(n_factions):
        if not ground[f] or reserve[f] < 1.0:
            continue
        budget = commit[f] * reserve[f]
        short = reserve[f] < vital_only_below[f]
        militia = home_region[f] >= 0

        total_need = 0.0
        for p in range(n_places):
            need[p] = 0.0
            c = controller[p]
            if c < 0 or not friendly[f, c] or not supplied[f, p] or not reachable[f, p]:
                continue
            if (militia and region[p] != home_region[f]) or (short and not vital[p]):
                continue
            attackers = _strength(forces, hostile, f, p)
            if attackers > 0.0:
                shortfall = defend_ratio[f] * attackers - _strength(forces, friendly, f, p)
                shortfall -= incoming[f, p]
                if shortfall > 0.0:
                    need[p] = shortfall
                    total_need += shortfall
        spent = 0.0
        if total_need > 0.0:
            scale = min(1.0, budget / total_need)
            for p in range(n_places):
                orders[f, p] = need[p] * scale
            spent = min(budget, total_need)

        offence = min(budget - spent, aggression[f] * budget)
        ongoing = 0
        total_need = 0.0
        for p in range(n_places):
            need[p] = 0.0
            c = controller[p]
            committed = forces[f, p] + incoming[f, p]
            if committed > 0.0 and (c < 0 or hostile[f, c]):
                ongoing += 1
                wanted = attack_ratio[f] * _strength(forces, hostile, f, p) * terrain[p]
                need[p] = max(0.0, max(wanted, min_attack[f]) - committed)
                total_need += need[p]
        if total_need > 0.0 and offence > 0.0:
            scale = min(1.0, offence / total_need)
            for p in range(n_places):
                orders[f, p] += need[p] * scale
            offence -= min(offence, total_need)

        willing = aggression[f] * reserve[f]
        while ongoing < max_offensives[f] and offence >= 1.0:
            best, best_score, best_need = -1, 0.0, 0.0
            for p in range(n_places):
                c = controller[p]
                if (c >= 0 and not hostile[f, c]) or not reachable[f, p]:
                    continue
                if forces[f, p] + incoming[f, p] + orders[f, p] > 0.0:
                    continue
                if militia and region[p] != home_region[f]:
                    continue
                if not _borders_supplied_ground(
                    f, p, controller, friendly, supplied, starts, neighbours
                ):
                    continue
                wanted = attack_ratio[f] * _strength(forces, hostile, f, p) * terrain[p]
                wanted = max(wanted, min_attack[f])
                if wanted > willing:
                    continue
                score = value[p] / wanted
                if score > best_score:
                    best, best_score, best_need = p, score, wanted
            if best < 0:
                break
            sent = min(best_need, offence)
            orders[f, best] += sent
            offence -= sent
            ongoing += 1
    return orders
