"""Orders: a player (or an analyst) commanding a faction instead of its doctrine.

A turn's orders (`sim.model.doctrine.Orders`) name the places to attack, the
reinforcements to send from the reserve now, and how to task the faction's air support.
Here they are checked against the faction's means (its reserve, its supplied front, its
sorties), then given to the model through the same door as any doctrine's
(`sim.model.doctrine.apply_orders`): attacks go only to the objectives (the doctrine
still sizes and tops them up, and still defends), reinforcements leave at once along
the roads, and the air tasking replaces what it names until new orders come.
`doctrine_orders` tells what the model's own rules would have ordered instead, and
`odds` what the faction may expect of an attack, from what it can see
(`sim.wargame.fog`). Every rule used here (what may be attacked, the size of an attack,
a fighter's fire) is the model's own, never a copy.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model import doctrine
from sim.model.combat import fire_now
from sim.model.doctrine import Orders
from sim.model.model import FrontlineModel
from sim.wargame.fog import assumed_morale, enemies_seen

__all__ = [
    "Orders", "attack_size", "attackable", "check_orders", "doctrine_orders", "give_orders",
    "max_objectives", "odds", "reinforceable",
]  # fmt: skip


def attackable(model: FrontlineModel, faction: str) -> list[str]:
    """Places the faction can be ordered to attack: enemy or unheld, next to its
    supplied ground, reachable, and in its home region if it is a militia."""
    allowed = doctrine.attackable_places(model, model.faction_number(faction))
    return [model.map.names[p] for p in np.flatnonzero(allowed)]


def reinforceable(model: FrontlineModel, faction: str) -> list[str]:
    """Places the faction can send reinforcements to: held by its side, supplied, reachable."""
    f = model.faction_number(faction)
    return [
        name
        for p, name in enumerate(model.map.names)
        if _own_side_supplied(model, f, p) and model.reachable[f, p]
    ]


def attack_size(model: FrontlineModel, faction: str, place: str) -> float:
    """The force the faction's doctrine would open an attack on `place` with, against
    the defenders it observes there."""
    f, p = model.faction_number(faction), model.map.index(place)
    seen = _defenders_seen(model, faction, place)
    present = [x for x in model.factions if seen[x.index] > 0]
    assumed = np.mean([assumed_morale(model, x.key) for x in present]) if present else None
    return doctrine.attack_size(model, f, p, float(seen.sum()), assumed)


def _defenders_seen(model: FrontlineModel, faction: str, place: str) -> np.ndarray:
    """(F,) the enemy forces the faction observes at `place` (ValueError if it does not)."""
    seen = enemies_seen(model, faction, place)
    if seen is None:
        raise ValueError(f"{place!r} is not observed: its defenders are unknown")
    return seen


def _own_side_supplied(model: FrontlineModel, f: int, p: int) -> bool:
    holder = model.controller[p]
    return holder >= 0 and model.friendly[f, holder] and model.supplied[f, p]


def check_orders(model: FrontlineModel, faction: str, orders: Orders) -> list[str]:
    """Every way the orders exceed the faction's means, in words (empty: they are fine)."""
    f = model.faction_number(faction)
    problems = _check_objectives(model, faction, orders.objectives)
    totals = np.zeros(len(model.reserves))  # by commander: each place's draws on its own
    for place, amount in orders.reinforcements.items():
        if place not in model.map.names:
            problems.append(f"unknown place {place!r}")
            continue
        p = model.map.index(place)
        if amount < 0 or not math.isfinite(amount):
            problems.append(f"reinforcements for {place!r} must be a positive number")
        elif not _own_side_supplied(model, f, p) or not model.reachable[f, p]:
            problems.append(f"cannot reinforce {place!r}: not held by its side, or cut off")
        totals[model.commander[f, p]] += max(amount, 0.0)
    for c in np.flatnonzero(totals > model.reserves + 1e-9):
        grouping = model.commands[c].grouping
        whose = "the reserve" if grouping is None else f"the reserve of grouping {grouping!r}"
        problems.append(
            f"reinforcements ({totals[c]:,.0f}) exceed {whose} ({model.reserves[c]:,.0f})"
        )
    problems += _check_air(model, f, orders)
    return problems


def max_objectives(model: FrontlineModel, faction: str) -> int:
    """How many objectives the faction may be given at once: its doctrine's
    `max_offensives`, at least one (an ordered attack opens even where the doctrine
    would open none)."""
    return max(1, int(model.params.max_offensives[model.faction_number(faction)]))


def _check_objectives(model: FrontlineModel, faction: str, objectives: list[str]) -> list[str]:
    """Why the objectives would not be attacked as ordered (empty: they will be)."""
    if not objectives:
        return []
    f, params = model.faction_number(faction), model.params
    if not params.ground[f]:
        return ["this faction has no ground forces to attack with"]
    if params.commit[f] * params.aggression[f] <= 0:
        return ["this faction's doctrine commits nothing to attacks (commit or aggression 0)"]
    limit = max_objectives(model, faction)
    problems = []
    if len(objectives) > limit:
        problems.append(f"at most {limit} objectives at once, got {len(objectives)}")
    targets = set(attackable(model, faction))
    problems += [
        f"objective {place!r} cannot be attacked (not an enemy place next to supplied ground)"
        for place in objectives
        if place not in targets
    ]
    return problems


def _check_air(model: FrontlineModel, f: int, orders: Orders) -> list[str]:
    if not orders.tasks_air:
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
        f"unknown place {place!r} in air tasking"
        for place in [*orders.air_places, *orders.air_focus]
        if place not in model.map.names
    ]  # fmt: skip
    return problems


def give_orders(model: FrontlineModel, faction: str, orders: Orders) -> None:
    """Put the faction under these orders (checked first: raises ValueError if not fine)."""
    problems = check_orders(model, faction, orders)
    if problems:
        raise ValueError("; ".join(problems))
    doctrine.apply_orders(model, model.faction_number(faction), orders)


def doctrine_orders(model: FrontlineModel, faction: str) -> Orders:
    """What the faction's own doctrine would order today, in the current state."""
    return doctrine.doctrine_orders(model, model.faction_number(faction))


def odds(model: FrontlineModel, faction: str, place: str, attackers: float) -> dict:
    """What the faction may expect if `attackers` of it fight the defenders of `place` to
    the end (Lanchester square law, current fire, no reinforcements or air).

    Only from what it can see (`sim.wargame.fog`), so the odds leak nothing the fog hides: the
    defenders it observes there (ValueError where it observes none), and for their
    hidden morale the morale their factions start the scenario with (`assumed_morale`,
    returned so the page can say so)."""
    f, p = model.faction_number(faction), model.map.index(place)
    seen = _defenders_seen(model, faction, place)
    defenders = float(seen.sum())
    present = [model.factions[g] for g in np.flatnonzero(seen > 0)]
    assumed = {x.key: assumed_morale(model, x.key) for x in present}
    own_fire = fire_now(model, f, p, model.base_morale[f])
    their_fire = sum(
        seen[x.index] / defenders * fire_now(model, x.index, p, assumed[x.key]) for x in present
    )
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
        "assumed_morale": assumed,
    }
