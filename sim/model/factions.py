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

from sim.formats.map import Map
from sim.formats.schema import FactionSpec

PALETTE = ["#d62728", "#2ca02c", "#1f77b4", "#000000", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]
PALETTE += ["#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#98df8a", "#ff9896", "#c5b0d5"]


class Faction(mesa.Agent):
    """One side in the war: a Mesa agent whose parameters events may change."""

    def __init__(self, model: mesa.Model, key: str, spec: FactionSpec, index: int):
        super().__init__(model)
        self.key = key
        self.index = index
        self.spec = spec  # shared with the scenario until an event changes it: see own_spec
        self._spec_is_own = False
        self.label = spec.label or key
        self.color = spec.color or PALETTE[index % len(PALETTE)]

    def own_spec(self) -> FactionSpec:
        """The faction's spec, copied on the first change so the scenario stays intact."""
        if not self._spec_is_own:
            self.spec = copy.deepcopy(self.spec)
            self._spec_is_own = True
        return self.spec

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
    garrison: np.ndarray
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
            garrison=column(lambda s: s.doctrine.garrison),
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


@njit(cache=True)
def plan_orders(
    forces, incoming, reserve, controller, friendly, hostile, supplied, reachable, allowed,
    ordered, value, terrain, vital, region, starts, neighbours,
    ground, home_region, commit, aggression, attack_ratio, defend_ratio, garrison,
    max_offensives, min_attack, vital_only_below,
):  # fmt: skip
    """Each faction's orders for the day: manpower to send from its reserve to each place.

    Defence comes first: places held by its side and under attack get enough to reach
    `defend_ratio` against the attackers, and its own places on the front line enough
    for a `garrison` (only vital places when the reserve is short).
    What remains, up to the `aggression` share of the day's commitment, goes to
    offensives: topping up attacks under way towards `attack_ratio`, then opening new
    ones, up to `max_offensives`, against the adjacent enemy or unheld places with the
    best value per fighter needed that it could carry through with its reserve. Attacks
    go only where `allowed` (F, P) says: everywhere for the doctrine, the objectives for
    a faction under orders (`ordered`, see `sim.wargame.orders`), which opens them whatever they
    need of its reserve, whatever `max_offensives` and the attacks it has under way
    elsewhere (the objectives are its slots: `sim.wargame.orders` caps how many).
    """
    n_factions, n_places = forces.shape
    orders = np.zeros((n_factions, n_places))
    enemies = _enemy_strength(forces, hostile)
    area = np.empty(n_places, dtype=np.bool_)
    scratch = np.empty((2, n_places))
    for f in range(n_factions):
        if not ground[f] or reserve[f] < 1.0:
            continue
        budget = commit[f] * reserve[f]
        for p in range(n_places):
            area[p] = home_region[f] < 0 or region[p] == home_region[f]
        short = reserve[f] < vital_only_below[f]
        spent = _reinforce(
            f, orders, budget, enemies, forces, incoming, controller, friendly, hostile,
            supplied, reachable, area, vital, short, defend_ratio[f], garrison[f], starts,
            neighbours, scratch[0],
        )  # fmt: skip
        offence = min(budget - spent, aggression[f] * budget)
        offence, ongoing = _press_attacks(
            f, orders, offence, enemies, forces, incoming, controller, hostile, supplied,
            reachable, allowed, area, terrain, attack_ratio[f], min_attack[f], scratch[0],
        )  # fmt: skip
        slots = n_places if ordered[f] else max_offensives[f] - ongoing
        if slots > 0 and offence >= 1.0:
            willing = reserve[f] if ordered[f] else aggression[f] * reserve[f]
            _open_attacks(
                f, orders, offence, slots, willing,
                enemies, forces, incoming, controller, friendly, hostile, supplied, reachable,
                allowed, area, value, terrain, starts, neighbours, attack_ratio[f], min_attack[f],
                scratch[0], scratch[1],
            )  # fmt: skip
    return orders


@njit(cache=True)
def _enemy_strength(forces, hostile):
    """(F, P) the force at each place of the factions hostile to each faction."""
    n_factions, n_places = forces.shape
    enemies = np.zeros((n_factions, n_places))
    for f in range(n_factions):
        for g in range(n_factions):
            if hostile[f, g]:
                for p in range(n_places):
                    enemies[f, p] += forces[g, p]
    return enemies


@njit(cache=True)
def _reinforce(
    f, orders, budget, enemies, forces, incoming, controller, friendly, hostile, supplied,
    reachable, area, vital, short, defend_ratio, garrison, starts, neighbours, need,
):  # fmt: skip
    """Reinforce its side's places under attack and garrison its own front-line places;
    return the manpower sent.

    Only places in its `area` count, and only vital ones when it is `short` of manpower.
    A garrison is kept by the holder (a militia: at its side's places in its area).
    """
    n_factions, n_places = forces.shape
    militia = not area.all()
    need[:] = 0.0
    total = 0.0
    for p in range(n_places):
        if enemies[f, p] <= 0.0 and garrison <= 0.0:
            continue
        c = controller[p]
        if c < 0 or not friendly[f, c]:
            continue
        if not (supplied[f, p] and reachable[f, p] and area[p]) or (short and not vital[p]):
            continue
        wanted = defend_ratio * enemies[f, p]
        if (
            garrison > 0.0
            and (c == f or militia)
            and _borders_enemy(p, f, controller, hostile, starts, neighbours)
        ):
            wanted = max(wanted, garrison)
        if wanted <= 0.0:
            continue
        defenders = incoming[f, p]
        for g in range(n_factions):
            if friendly[f, g]:
                defenders += forces[g, p]
        need[p] = max(0.0, wanted - defenders)
        total += need[p]
    if total <= 0.0:
        return 0.0
    scale = min(1.0, budget / total)
    for p in range(n_places):
        orders[f, p] += need[p] * scale
    return min(budget, total)


@njit(cache=True)
def _press_attacks(
    f, orders, offence, enemies, forces, incoming, controller, hostile, supplied, reachable,
    allowed, area, terrain, attack_ratio, min_attack, need,
):  # fmt: skip
    """Top up attacks under way towards the odds sought; return (offence left, attacks).

    An attack cut off from supply counts as under way but gets nothing more.
    """
    n_places = forces.shape[1]
    need[:] = 0.0
    total = 0.0
    ongoing = 0
    for p in range(n_places):
        c = controller[p]
        committed = forces[f, p] + incoming[f, p]
        if committed > 0.0 and (c < 0 or hostile[f, c]):
            ongoing += 1
            if not (supplied[f, p] and reachable[f, p] and area[p] and allowed[f, p]):
                continue
            wanted = max(attack_ratio * enemies[f, p] * terrain[p], min_attack)
            need[p] = max(0.0, wanted - committed)
            total += need[p]
    if total > 0.0 and offence > 0.0:
        scale = min(1.0, offence / total)
        for p in range(n_places):
            orders[f, p] += need[p] * scale
        offence -= min(offence, total)
    return offence, ongoing


@njit(cache=True)
def _open_attacks(
    f, orders, offence, slots, willing, enemies, forces, incoming, controller, friendly,
    hostile, supplied, reachable, allowed, area, value, terrain, starts, neighbours,
    attack_ratio, min_attack, score, wanted,
):  # fmt: skip
    """Open up to `slots` new attacks on the best-value targets it can afford."""
    n_places = forces.shape[1]
    score[:] = 0.0
    for p in range(n_places):
        c = controller[p]
        if c >= 0 and not hostile[f, c]:
            continue
        if not (reachable[f, p] and area[p] and allowed[f, p]):
            continue
        if forces[f, p] + incoming[f, p] + orders[f, p] > 0.0:
            continue
        wanted[p] = max(attack_ratio * enemies[f, p] * terrain[p], min_attack)
        if wanted[p] <= willing and _borders_supplied_ground(
            f, p, controller, friendly, supplied, starts, neighbours
        ):
            score[p] = value[p] / wanted[p]
    for _ in range(slots):
        best = np.argmax(score)
        if score[best] <= 0.0 or offence < 1.0:
            return
        sent = min(wanted[best], offence)
        orders[f, best] += sent
        offence -= sent
        score[best] = 0.0


@njit(cache=True, inline="always")
def _borders_enemy(p, f, controller, hostile, starts, neighbours):
    """Whether place p is next to a place held by an enemy of faction f."""
    for k in range(starts[p], starts[p + 1]):
        c = controller[neighbours[k]]
        if c >= 0 and hostile[f, c]:
            return True
    return False


@njit(cache=True, inline="always")
def _borders_supplied_ground(f, p, controller, friendly, supplied, starts, neighbours):
    """Whether place p is next to a place held by f's side and supplied for f."""
    for k in range(starts[p], starts[p + 1]):
        q = neighbours[k]
        c = controller[q]
        if c >= 0 and friendly[f, c] and supplied[f, q]:
            return True
    return False
