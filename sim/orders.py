"""Orders: a player (or an analyst) commanding a faction instead of its doctrine.

A turn's orders name the places to attack, the reinforcements to send from the reserve
now, and how to task the faction's air support. They are checked against the faction's
means (its reserve, its supplied front, its sorties), then given to the model: attacks
go only to the objectives (the doctrine still sizes and tops them up, and still
defends), reinforcements leave at once along the roads, and the air tasking replaces
the faction's targeting until new orders come. `doctrine_orders` tells what the model's
own rules would have ordered instead, and `odds` what the model expects of an attack.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from sim.factions import plan_orders
from sim.logistics import dispatch
from sim.model import FrontlineModel


@dataclasses.dataclass
class Orders:
    """One faction's orders for a turn."""

    objectives: list[str] = dataclasses.field(default_factory=list)
    reinforcements: dict[str, float] = dataclasses.field(default_factory=dict)
    targeting: dict[str, float] = dataclasses.field(default_factory=dict)
    air_places: dict[str, float] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> Orders:
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


def attackable(model: FrontlineModel, faction: str) -> list[str]:
    """Places the faction can be ordered to attack: enemy or unheld, next to its
    supplied ground, reachable, and in its home region if it is a militia."""
    f = model.faction_number(faction)
    world = model.map
    home = model.params.home_region[f]
    places = []
    for p, name in enumerate(world.names):
        holder = model.controller[p]
        if holder >= 0 and not model.hostile[f, holder]:
            continue
        if not model.reachable[f, p] or (home >= 0 and world.region[p] != home):
            continue
        around = world.neighbours[world.neighbours_start[p] : world.neighbours_start[p + 1]]
        if any(_own_side_supplied(model, f, q) for q in around):
            places.append(name)
    return places


def reinforceable(model: FrontlineModel, faction: str) -> list[str]:
    """Places the faction can send reinforcements to: held by its side, supplied, reachable."""
    f = model.faction_number(faction)
    return [
        name
        for p, name in enumerate(model.map.names)
        if _own_side_supplied(model, f, p) and model.reachable[f, p]
    ]


def attack_size(model: FrontlineModel, faction: str, place: str) -> float:
    """The force the faction's doctrine would open an attack on `place` with: its
    `attack_ratio` against the defenders and the terrain, at least `min_attack`."""
    f, p = model.faction_number(faction), model.map.index(place)
    defenders = model.forces[model.hostile[f], p].sum()
    wanted = model.params.attack_ratio[f] * defenders * model.map.terrain[p]
    return float(max(wanted, model.params.min_attack[f]))


def _own_side_supplied(model: FrontlineModel, f: int, p: int) -> bool:
    holder = model.controller[p]
    return holder >= 0 and model.friendly[f, holder] and model.supplied[f, p]


def check_orders(model: FrontlineModel, faction: str, orders: Orders) -> list[str]:
    """Every way the orders exceed the faction's means, in words (empty: they are fine)."""
    f = model.faction_number(faction)
    problems = []
    targets = set(attackable(model, faction))
    limit = max(1, int(model.params.max_offensives[f]))
    if len(orders.objectives) > limit:
        problems.append(f"at most {limit} objectives at once, got {len(orders.objectives)}")
    problems += [
        f"objective {place!r} cannot be attacked (not an enemy place next to supplied ground)"
        for place in orders.objectives
        if place not in targets
    ]
    total = 0.0
    for place, amount in orders.reinforcements.items():
        if place not in model.map.names:
            problems.append(f"unknown place {place!r}")
            continue
        p = model.map.index(place)
        if amount < 0 or not math.isfinite(amount):
            problems.append(f"reinforcements for {place!r} must be a positive number")
        elif not _own_side_supplied(model, f, p) or not model.reachable[f, p]:
            problems.append(f"cannot reinforce {place!r}: not held by its side, or cut off")
        total += max(amount, 0.0)
    if total > model.reserve[f] + 1e-9:
        problems.append(
            f"reinforcements ({total:,.0f}) exceed the reserve ({model.reserve[f]:,.0f})"
        )
    problems += _check_air(model, f, orders)
    return problems


def _check_air(model: FrontlineModel, f: int, orders: Orders) -> list[str]:
    if not (orders.targeting or orders.air_places):
        return []
    if model.params.sorties[f] <= 0:
        return ["this faction has no air support to task"]
    problems = []
    keys = [x.key for x in model.factions]
    for target, share in orders.targeting.items():
        if target not in keys or not model.hostile[f, keys.index(target)]:
            problems.append(f"{target!r} is not an enemy to strike")
        if share < 0:
            problems.append(f"the share on {target!r} must not be negative")
    if orders.targeting and not math.isclose(sum(orders.targeting.values()), 1.0, abs_tol=1e-6):
        problems.append("targeting shares must sum to 1")
    problems += [
        f"unknown place {place!r} in air tasking" for place in orders.air_places
        if place not in model.map.names
    ]  # fmt: skip
    return problems


def give_orders(model: FrontlineModel, faction: str, orders: Orders) -> None:
    """Put the faction under these orders (checked first: raises ValueError if not fine)."""
    problems = check_orders(model, faction, orders)
    if problems:
        raise ValueError("; ".join(problems))
    f = model.faction_number(faction)
    model.under_orders[f] = True
    model.allowed_targets[f] = False
    for place in orders.objectives:
        model.allowed_targets[f, model.map.index(place)] = True
    amounts = np.zeros_like(model.forces)
    for place, amount in orders.reinforcements.items():
        amounts[f, model.map.index(place)] = amount
    dispatch(amounts, model.day, model.travel, model.transit, model.incoming, model.reserve)
    if orders.targeting or orders.air_places:
        air = model.factions[f].own_spec().air
        air.targeting = dict(orders.targeting) or air.targeting
        air.place_weights = dict(orders.air_places)
        model.refresh_parameters(rear=False)


def doctrine_orders(model: FrontlineModel, faction: str) -> Orders:
    """What the faction's own doctrine would order today, in the current state."""
    f = model.faction_number(faction)
    p = model.params
    everywhere = np.ones_like(model.allowed_targets)
    amounts = plan_orders(
        model.forces, model.incoming, model.reserve, model.controller, model.friendly,
        model.hostile, model.supplied, model.reachable, everywhere,
        np.zeros_like(model.under_orders), model.value,
        model.map.terrain, model.vital, model.map.region, model.map.neighbours_start,
        model.map.neighbours, p.ground, p.home_region, p.commit, p.aggression, p.attack_ratio,
        p.defend_ratio, p.garrison, p.max_offensives, p.min_attack, p.vital_only_below,
    )[f]  # fmt: skip
    ours = model.friendly[f]
    objectives, reinforcements = [], {}
    for place in np.flatnonzero(amounts > 0):
        holder = model.controller[place]
        if holder >= 0 and ours[holder]:
            reinforcements[model.map.names[place]] = float(amounts[place])
        else:
            objectives.append(model.map.names[place])
    return Orders(objectives=objectives, reinforcements=reinforcements)


def odds(model: FrontlineModel, faction: str, place: str, attackers: float) -> dict:
    """What the model expects if `attackers` of the faction fight the defenders of `place`
    to the end (Lanchester square law, current fire, no reinforcements or air)."""
    f, p = model.faction_number(faction), model.map.index(place)
    defenders_mask = model.hostile[f] & (model.forces[:, p] > 0)
    defenders = float(model.forces[defenders_mask, p].sum())
    morale_weight = model.spec.combat.morale_weight
    own_fire = model.params.lethality[f] * (1 + morale_weight * (model.base_morale[f] - 0.5))
    own_fire /= model.map.terrain[p]
    their_fire = 0.0
    if defenders > 0:
        weights = model.forces[defenders_mask, p] / defenders
        lethality = model.params.lethality[defenders_mask]
        morale = model.morale[defenders_mask, p]
        their_fire = float((weights * lethality * (1 + morale_weight * (morale - 0.5))).sum())
    strength = own_fire * attackers**2 - their_fire * defenders**2
    wins = strength > 0 or defenders == 0
    if defenders == 0:
        survivors = attackers
    else:
        survivors = math.sqrt(abs(strength) / (own_fire if wins else their_fire))
    return {
        "place": place,
        "attackers": attackers,
        "defenders": defenders,
        "force_ratio": attackers / defenders if defenders else math.inf,
        "attacker_wins": bool(wins),
        "survivors": survivors,
    }
