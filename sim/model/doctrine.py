"""Doctrine: how factions decide, behind one interface.

Every day each ground faction decides where to send manpower from its reserve. Three
sources of decisions go through the same door, an `Orders` record applied by
`apply_orders`:

- the **compiled doctrine** (`plan_orders`, below), run for every faction at once
  inside the compiled day: the default, and the fast path;
- a **Python doctrine**: a subclass of `sim.model.factions.Faction` that defines
  `decide(view) -> Orders` (see `docs/user-doctrine.md`); the model calls it each day
  for that faction only, and only when such a faction exists, so the fast path stays
  fast;
- a **player's orders** (the classroom wargame, `sim.wargame`), given between days.

Orders name objectives (the places to attack) and reinforcements (manpower to send now
to places its side holds). A faction under orders attacks only its objectives; the
compiled doctrine still sizes and tops up those attacks and still defends.

The compiled doctrine. Defence comes first: places held by its side and under attack
get enough to reach `defend_ratio` against the attackers, and its own places on the
front line enough for a `garrison` (only vital places when the reserve is short). What
remains, up to the `aggression` share of the day's commitment, goes to offensives:
topping up attacks under way towards `attack_ratio`, then opening new ones, up to
`max_offensives`, against the adjacent enemy or unheld places with the best value per
fighter needed that it could carry through with its reserve. The rules that say what
may be attacked and with how many (`can_attack`, `attack_size`) are used by the kernel
and by the Python side alike, so the wargame never re-implements them.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numba import njit

from sim.model.logistics import dispatch


@dataclasses.dataclass
class Orders:
    """One faction's orders: objectives to attack, reinforcements to send now, and the
    air tasking, each part replacing only its own part of the faction's tasking:
    `targeting` (shares of sorties by target faction, summing to 1), `air_places`
    (weights of places as targets) and `air_focus` (places whose weight becomes the
    faction's `air.focus_weight`)."""

    objectives: list[str] = dataclasses.field(default_factory=list)
    reinforcements: dict[str, float] = dataclasses.field(default_factory=dict)
    targeting: dict[str, float] = dataclasses.field(default_factory=dict)
    air_places: dict[str, float] = dataclasses.field(default_factory=dict)
    air_focus: list[str] = dataclasses.field(default_factory=list)

    @property
    def tasks_air(self) -> bool:
        """Whether the orders change the air tasking."""
        return bool(self.targeting or self.air_places or self.air_focus)

    @classmethod
    def from_dict(cls, data: dict) -> Orders:
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


def apply_orders(model, f: int, orders: Orders) -> None:
    """Put faction `f` under `orders` (assumed checked): objectives become its only
    attack targets, reinforcements leave now, the air tasking changes what it names."""
    model.under_orders[f] = True
    model.allowed_targets[f] = False
    for place in orders.objectives:
        model.allowed_targets[f, model.map.index(place)] = True
    amounts = np.zeros_like(model.forces)
    for place, amount in orders.reinforcements.items():
        amounts[f, model.map.index(place)] = amount
    dispatch(amounts, model.day, model.records.state, model.records.world)
    if orders.tasks_air:
        air = model.factions[f].own_spec().air
        if orders.targeting:
            air.targeting = dict(orders.targeting)
        if orders.air_places or orders.air_focus:
            focus = dict.fromkeys(orders.air_focus, air.focus_weight)
            air.place_weights = {**orders.air_places, **focus}
        model.refresh_parameters(rear=False)


def release_orders(model, f: int) -> None:
    """Faction `f` follows the compiled doctrine again."""
    model.under_orders[f] = False
    model.allowed_targets[f] = True


def doctrine_orders(model, f: int) -> Orders:
    """What the compiled doctrine would order faction `f` today, in the current state,
    were it free of orders."""
    under, allowed = model.under_orders.copy(), model.allowed_targets.copy()
    model.under_orders[:] = False
    model.allowed_targets[:] = True
    try:
        amounts = plan_orders(model.records.state, model.records.world, model.records.rules)[f]
    finally:
        model.under_orders[:], model.allowed_targets[:] = under, allowed
    ours = model.friendly[f]
    orders = Orders()
    for place in np.flatnonzero(amounts > 0):
        holder = model.controller[place]
        name = model.map.names[place]
        if holder >= 0 and ours[holder]:
            orders.reinforcements[name] = float(amounts[place])
        else:
            orders.objectives.append(name)
    return orders


def attackable_places(model, f: int) -> np.ndarray:
    """(P,) bool: the places faction `f` may attack (`can_attack`)."""
    records = model.records
    return np.array(
        [_can_attack_now(f, p, records.state, records.world, records.rules)
         for p in range(model.map.size)]
    )  # fmt: skip


def attack_size(model, f: int, p: int, defenders: float) -> float:
    """The force faction `f` opens an attack on place `p` with, against `defenders`."""
    return float(_attack_size(f, p, defenders, model.records.world, model.records.rules))


@njit(cache=True)
def _can_attack_now(f, p, state, world, rules):
    area = rules.home_region[f] < 0 or world.region[p] == rules.home_region[f]
    return area and can_attack(f, p, state, world)


@njit(cache=True, inline="always")
def can_attack(f, p, state, world):
    """Whether faction f may attack place p: held by an enemy or unheld, reachable from
    its rear, and next to ground its side holds and supplies (area rules apart)."""
    c = state.controller[p]
    if c >= 0 and not world.hostile[f, c]:
        return False
    if not world.reachable[f, p]:
        return False
    return _borders_supplied_ground(f, p, state, world)


@njit(cache=True, inline="always")
def _attack_size(f, p, defenders, world, rules):
    """The attacking force sought against `defenders` at p: `attack_ratio` times the
    defenders, times the terrain, at least `min_attack`."""
    return max(rules.attack_ratio[f] * defenders * world.terrain[p], rules.min_attack[f])


@njit(cache=True)
def plan_orders(state, world, rules):
    """Each faction's orders for the day: manpower (F, P) to send from its reserve to
    each place (see the module's docstring)."""
    forces, reserve = state.forces, state.reserve
    n_factions, n_places = forces.shape
    orders = np.zeros((n_factions, n_places))
    enemies = _enemy_strength(forces, world.hostile)
    area = np.empty(n_places, dtype=np.bool_)
    scratch = np.empty((2, n_places))
    for f in range(n_factions):
        if not rules.ground[f] or reserve[f] < 1.0:
            continue
        budget = rules.commit[f] * reserve[f]
        for p in range(n_places):
            area[p] = rules.home_region[f] < 0 or world.region[p] == rules.home_region[f]
        short = reserve[f] < rules.vital_only_below[f]
        spent = _reinforce(f, orders, budget, enemies, area, short, state, world, rules, scratch[0])
        offence = min(budget - spent, rules.aggression[f] * budget)
        offence, ongoing = _press_attacks(
            f, orders, offence, enemies, area, state, world, rules, scratch[0]
        )
        ordered = state.under_orders[f]
        slots = n_places if ordered else rules.max_offensives[f] - ongoing
        if slots > 0 and offence >= 1.0:
            willing = reserve[f] if ordered else rules.aggression[f] * reserve[f]
            _open_attacks(
                f, orders, offence, slots, willing, enemies, area, state, world, rules,
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
def _reinforce(f, orders, budget, enemies, area, short, state, world, rules, need):
    """Reinforce its side's places under attack and garrison its own front-line places;
    return the manpower sent.

    Only places in its `area` count, and only vital ones when it is `short` of manpower.
    A garrison is kept by the holder (a militia: at its side's places in its area).
    """
    forces, controller, friendly = state.forces, state.controller, world.friendly
    defend_ratio, garrison = rules.defend_ratio[f], rules.garrison[f]
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
        if not (state.supplied[f, p] and world.reachable[f, p] and area[p]):
            continue
        if short and not world.vital[p]:
            continue
        wanted = defend_ratio * enemies[f, p]
        if garrison > 0.0 and (c == f or militia) and _borders_enemy(p, f, state, world):
            wanted = max(wanted, garrison)
        if wanted <= 0.0:
            continue
        defenders = state.incoming[f, p]
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
def _press_attacks(f, orders, offence, enemies, area, state, world, rules, need):
    """Top up attacks under way towards the odds sought; return (offence left, attacks).

    An attack cut off from supply counts as under way but gets nothing more.
    """
    n_places = state.forces.shape[1]
    need[:] = 0.0
    total = 0.0
    ongoing = 0
    for p in range(n_places):
        c = state.controller[p]
        committed = state.forces[f, p] + state.incoming[f, p]
        if committed > 0.0 and (c < 0 or world.hostile[f, c]):
            ongoing += 1
            if not (state.supplied[f, p] and world.reachable[f, p] and area[p]):
                continue
            if not state.allowed_targets[f, p]:
                continue
            wanted = _attack_size(f, p, enemies[f, p], world, rules)
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
    f, orders, offence, slots, willing, enemies, area, state, world, rules, score, wanted
):
    """Open up to `slots` new attacks on the best-value targets it can afford."""
    n_places = state.forces.shape[1]
    score[:] = 0.0
    for p in range(n_places):
        if not (area[p] and state.allowed_targets[f, p]):
            continue
        if state.forces[f, p] + state.incoming[f, p] + orders[f, p] > 0.0:
            continue
        if not can_attack(f, p, state, world):
            continue
        wanted[p] = _attack_size(f, p, enemies[f, p], world, rules)
        if wanted[p] <= willing:
            score[p] = world.value[p] / wanted[p]
    for _ in range(slots):
        best = np.argmax(score)
        if score[best] <= 0.0 or offence < 1.0:
            return
        sent = min(wanted[best], offence)
        orders[f, best] += sent
        offence -= sent
        score[best] = 0.0


@njit(cache=True, inline="always")
def _borders_enemy(p, f, state, world):
    """Whether place p is next to a place held by an enemy of faction f."""
    for k in range(world.neighbours_start[p], world.neighbours_start[p + 1]):
        c = state.controller[world.neighbours[k]]
        if c >= 0 and world.hostile[f, c]:
            return True
    return False


@njit(cache=True, inline="always")
def _borders_supplied_ground(f, p, state, world):
    """Whether place p is next to a place held by f's side and supplied for f."""
    for k in range(world.neighbours_start[p], world.neighbours_start[p + 1]):
        q = world.neighbours[k]
        c = state.controller[q]
        if c >= 0 and world.friendly[f, c] and state.supplied[f, q]:
            return True
    return False
