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

from sim.model import records
from sim.model.combat import fire_per_fighter
from sim.model.logistics import delay, dispatch, send, travel_time
from sim.model.routes import reset_search, search_friendly


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
    attack targets, reinforcements leave now (from the reserve of the place's
    commander), the air tasking changes what it names."""
    model.under_orders[f] = True
    model.allowed_targets[f] = False
    for place in orders.objectives:
        model.allowed_targets[f, model.map.index(place)] = True
    amounts = np.zeros((len(model.reserves), model.map.size))
    for place, amount in orders.reinforcements.items():
        p = model.map.index(place)
        amounts[model.commander[f, p], p] = amount
    r = model.records
    dispatch(amounts, model.day, r.state, r.world, r.rules, True, False)
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
    """What the compiled doctrine would order faction `f` today from its reserves, in
    the current state, were it free of orders (planned on a copy of the state, the
    best objectives taken without chance: nothing of the war changes)."""
    r = model.records
    trial = model.state_copy()
    trial.under_orders[:] = False
    trial.allowed_targets[:] = True
    state = records.bind("state", (trial,))
    amounts = plan_orders(model.day, state, r.world, r.rules, r.books, True)
    amounts = amounts[model.commands_of(f)].sum(axis=0)
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
    r = model.records
    return np.array([_can_attack_now(f, p, r.state, r.world) for p in range(model.map.size)])


def attack_size(model, f: int, p: int, defenders: float, enemy_morale=None) -> float:
    """The force faction `f` opens an attack on place `p` with, against `defenders`
    (whose morale is taken as `enemy_morale` where given: what a player assumes of a
    morale the fog hides)."""
    r = model.records
    assumed = -1.0 if enemy_morale is None else float(enemy_morale)
    return float(_attack_size(f, p, defenders, r.state, r.world, r.rules, assumed))


@njit(cache=True)
def _can_attack_now(f, p, state, world):
    return world.faction_area[f, p] and can_attack(f, p, state, world)


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


@njit(cache=True)
def _attack_size(f, p, defenders, state, world, rules, enemy_morale=-1.0):
    """The attacking force sought against `defenders` at p: `attack_ratio` times the
    defenders, in Lanchester terms (times `_quality`: the terrain and the enemy's fire
    per fighter against its own), at least `min_attack`."""
    if defenders <= 0.0:  # nothing to multiply the quality by: skip reckoning it
        return max(0.0, rules.min_attack[f])
    quality = _quality(f, p, state.base_morale[f], state, world, rules, enemy_morale)
    return max(rules.attack_ratio[f] * defenders * quality, rules.min_attack[f])


@njit(cache=True)
def _quality(f, p, morale, state, world, rules, enemy_morale=-1.0):
    """How many of its fighters faction f needs at p per enemy fighter there for equal
    Lanchester strength: sqrt(enemy fire per fighter / its own), each fire as the day's
    fighting would have it (terrain, morale, supply, reach), its own at `morale`, the
    enemy's at `enemy_morale` if that is not negative (else its true morale). 1 where no
    enemy stands (bounded to [1/4, 4]). Air suppression is not counted here: the enemy
    strength the quality multiplies already leaves out the suppressed men
    (`_enemy_strength`), and counting it twice made attacks under air cover too small."""
    holder = state.controller[p]
    enemy_fire, enemy_men = 0.0, 0.0
    for g in range(state.forces.shape[0]):
        men = state.forces[g, p]
        if men > 0.0 and world.hostile[f, g]:
            theirs = state.morale[g, p] if enemy_morale < 0.0 else enemy_morale
            fire = fire_per_fighter(g, p, theirs, state.supplied[g, p], holder, world, rules)
            fire *= state.supply_factor[g, p]
            enemy_fire += fire * men
            enemy_men += men
    if enemy_men <= 0.0:
        return 1.0
    own = fire_per_fighter(f, p, morale, state.supplied[f, p], holder, world, rules)
    own *= state.supply_factor[f, p]
    if own <= 0.0:
        return QUALITY_BOUND
    ratio = np.sqrt(enemy_fire / enemy_men / own)
    return min(max(ratio, 1.0 / QUALITY_BOUND), QUALITY_BOUND)


QUALITY_BOUND = 4.0  # the doctrine's reckoning of enemy quality stays within 1/4 to 4 times


@njit(cache=True)
def plan_orders(day, state, world, rules, books, deterministic):
    """Every commander's orders for the day: manpower (C, P) to send from its reserve to
    each place. With manoeuvre, deployed forces are also redeployed (moved at once)."""
    n_factions, n_places = state.forces.shape
    n_commands = state.reserves.shape[0]
    orders = np.zeros((n_commands, n_places))
    enemies = _enemy_strength(state.forces, books.day_suppression, world.hostile)
    scratch = np.zeros((5, n_places))  # need, unmet, score, wanted, keep
    per_command = np.zeros((4, n_commands))  # budget, offence, total, ongoing
    for f in range(n_factions):
        if rules.ground[f]:
            _plan_faction(
                f, orders, enemies, scratch, per_command, day, state, world, rules, books,
                deterministic,
            )  # fmt: skip
    return orders


@njit(cache=True)
def _plan_faction(
    f, orders, enemies, scratch, per_command, day, state, world, rules, books, deterministic
):
    """Faction f's plan: defence, attacks under way, new attacks, then redeployment."""
    need, unmet, keep = scratch[0], scratch[1], scratch[4]
    budget, offence = per_command[0], per_command[1]
    need[:] = 0.0
    unmet[:] = 0.0
    keep[:] = -1.0  # not reckoned yet (see `_surplus`)
    for c in range(budget.shape[0]):
        mine = world.command_faction[c] == f and state.reserves[c] >= 1.0
        budget[c] = rules.commit[f] * state.reserves[c] if mine else 0.0
    _defend(f, orders, enemies, need, unmet, per_command, state, world, rules, books)
    for c in range(budget.shape[0]):
        offence[c] = min(budget[c] - per_command[2, c], rules.aggression[f] * budget[c])
    _press_attacks(f, orders, enemies, need, unmet, per_command, state, world, rules)
    for c in range(budget.shape[0]):
        if world.command_faction[c] == f:
            _open_attacks(
                f, c, orders, enemies, scratch, per_command, day, state, world, rules,
                deterministic,
            )  # fmt: skip
    if rules.manoeuvre and rules.redeploy[f] > 0.0:
        _redeploy(f, unmet, enemies, keep, day, state, world, rules, books, deterministic)


@njit(cache=True)
def _defend(f, orders, enemies, need, unmet, per_command, state, world, rules, books):
    """Reinforce its side's places under attack or threatened, garrison its front-line
    places and hold its objectives, from each place's commander's budget.

    Only places in its area count, and only vital ones (and places to hold) when the
    commander is short of manpower; not a place its force gave up as hopeless this
    morning (`sim.model.manoeuvre`). A garrison is kept by the holder (a militia: at its
    side's places in its area)."""
    forces, controller, friendly = state.forces, state.controller, world.friendly
    defend_ratio, garrison = rules.defend_ratio[f], rules.garrison[f]
    budget, total = per_command[0], per_command[2]
    n_factions, n_places = forces.shape
    militia = rules.home_region[f] >= 0
    total[:] = 0.0
    for p in range(n_places):
        c = controller[p]
        if c < 0 or not friendly[f, c] or not world.faction_area[f, p]:
            continue
        if not (state.supplied[f, p] and world.reachable[f, p]):
            continue
        if books.day_refuge[f, p] >= 0:  # given up today: not reinforced today
            continue
        command = state.commander[f, p]
        short = state.reserves[command] < rules.vital_only_below[f]
        if short and not world.vital[p] and state.hold_men[f, p] <= 0.0:
            continue
        threat = rules.threat_share[f] * _threat(f, p, enemies, state, world)
        wanted = defend_ratio * threat
        if enemies[f, p] > 0.0:  # under attack (the quality is reckoned only then)
            quality = _quality(f, p, state.base_morale[f], state, world, rules)
            wanted = defend_ratio * (enemies[f, p] * quality + threat)
        if garrison > 0.0 and (c == f or militia) and _borders_enemy(p, f, state, world):
            wanted = max(wanted, garrison)
        wanted = max(wanted, state.hold_men[f, p])
        if wanted <= 0.0:
            continue
        defenders = state.incoming[f, p]
        for g in range(n_factions):
            if friendly[f, g]:
                defenders += forces[g, p]
        need[p] = max(0.0, wanted - defenders)
        total[command] += need[p]
    for p in range(n_places):
        if need[p] > 0.0:
            command = state.commander[f, p]
            sent = need[p] * min(1.0, budget[command] / total[command])
            orders[command, p] += sent
            unmet[p] += need[p] - sent
    for c in range(total.shape[0]):
        total[c] = min(budget[c], total[c])  # what each commander spent on defence


@njit(cache=True)
def _press_attacks(f, orders, enemies, need, unmet, per_command, state, world, rules):
    """Top up attacks under way towards the odds sought (an objective's force at least);
    count each commander's attacks under way.

    An attack cut off from supply counts as under way but gets nothing more."""
    offence, total, ongoing = per_command[1], per_command[2], per_command[3]
    n_places = state.forces.shape[1]
    need[:] = 0.0
    total[:] = 0.0
    ongoing[:] = 0.0
    for p in range(n_places):
        c = state.controller[p]
        committed = state.forces[f, p] + state.incoming[f, p]
        if committed <= 0.0 or (c >= 0 and not world.hostile[f, c]):
            continue
        command = state.commander[f, p]
        ongoing[command] += 1.0
        if not (state.supplied[f, p] and world.reachable[f, p] and world.faction_area[f, p]):
            continue
        if not state.allowed_targets[f, p]:
            continue
        wanted = max(_attack_size(f, p, enemies[f, p], state, world, rules), state.take_men[f, p])
        need[p] = max(0.0, wanted - committed)
        total[command] += need[p]
    for p in range(n_places):
        if need[p] > 0.0:
            command = state.commander[f, p]
            share = min(1.0, max(offence[command], 0.0) / total[command])
            orders[command, p] += need[p] * share
            unmet[p] += need[p] * (1.0 - share)
    for c in range(total.shape[0]):
        offence[c] -= min(max(offence[c], 0.0), total[c])


@njit(cache=True)
def _open_attacks(
    f, c, orders, enemies, scratch, per_command, day, state, world, rules, deterministic
):
    """Open commander c's new attacks: its standing objectives first, then up to its free
    slots, picked among the places it may attack by value per fighter needed (with
    chance: see `_choose`)."""
    unmet, score, wanted, keep = scratch[1], scratch[2], scratch[3], scratch[4]
    offence, ongoing = per_command[1], per_command[3]
    n_places = state.forces.shape[1]
    ordered = state.under_orders[f]
    slots = n_places if ordered else int(rules.command_max_offensives[c] - ongoing[c])
    willing = state.reserves[c] if ordered else rules.aggression[f] * state.reserves[c]
    score[:] = 0.0
    for p in range(n_places):
        if state.commander[f, p] != c or not world.faction_area[f, p]:
            continue
        if not state.allowed_targets[f, p]:
            continue
        if state.forces[f, p] + state.incoming[f, p] + orders[c, p] > 0.0:
            continue
        if state.blocked_until[f, p] > day or not can_attack(f, p, state, world):
            continue
        wanted[p] = max(
            _attack_size(f, p, enemies[f, p], state, world, rules), state.take_men[f, p]
        )
        if state.take_men[f, p] > 0.0:  # a standing objective: attacked whatever it needs
            sent = min(wanted[p], max(offence[c], 0.0))
            orders[c, p] += sent
            offence[c] -= sent
            unmet[p] += wanted[p] - sent
        elif wanted[p] <= willing or wanted[p] <= willing + _local_surplus(
            f, c, p, enemies, keep, state, world, rules
        ):
            score[p] = (world.value[p] + state.objective_value[f, p]) / wanted[p]
    for _ in range(max(slots, 0)):
        if offence[c] < 1.0 and not rules.manoeuvre:
            return
        best = _choose(score, rules.temperature[f], deterministic)
        if best < 0:
            return
        sent = min(wanted[best], max(offence[c], 0.0))
        orders[c, best] += sent
        offence[c] -= sent
        unmet[best] += wanted[best] - sent
        score[best] = 0.0


@njit(cache=True)
def _choose(score, temperature, deterministic):
    """A place among those of positive score: the best, or (with a temperature, in a
    random run) one drawn with probability proportional to
    exp((score / best - 1) / temperature); -1 if none."""
    best = np.argmax(score)
    top = score[best]
    if top <= 0.0:
        return -1
    if deterministic or temperature <= 0.0:
        return best
    total = 0.0
    for p in range(score.shape[0]):
        if score[p] > 0.0:
            total += np.exp((score[p] / top - 1.0) / temperature)
    pick = np.random.random() * total
    for p in range(score.shape[0]):
        if score[p] > 0.0:
            pick -= np.exp((score[p] / top - 1.0) / temperature)
            if pick <= 0.0:
                return p
    return best


REDEPLOY_PLACES = 8  # places a faction redeploys to in a day, the neediest first


@njit(cache=True)
def _redeploy(f, unmet, enemies, keep, day, state, world, rules, books, deterministic):
    """Fill what the reserves could not from places nearby: for each of the neediest
    places, the nearest places of the same commander that are not fighting send up to
    `redeploy` of their surplus (`_surplus`) a day, by road."""
    forces = state.forces
    km, found = books.search_km, books.search_found
    given = np.zeros(forces.shape[1])
    for _ in range(REDEPLOY_PLACES):
        p = np.argmax(unmet)
        if unmet[p] < 1.0:
            return
        command = state.commander[f, p]
        n = search_friendly(
            f, p, rules.redeploy_km[f], state, world, km, found, books.heap_keys,
            books.heap_values,
        )  # fmt: skip
        for i in range(n):
            q = found[i]
            if state.commander[f, q] != command or not world.faction_area[f, q]:
                continue
            surplus = _surplus(f, q, enemies, keep, state, world, rules)
            available = rules.redeploy[f] * (surplus + given[q]) - given[q]
            if available < 1.0:
                continue
            amount = min(available, unmet[p])
            days = travel_time(km[q], rules.speed[f]) + delay(
                rules.travel_delay_days[f], deterministic
            )
            send(f, p, amount, state.morale[f, q], day, days, state)
            forces[f, q] -= amount
            given[q] += amount
            unmet[p] -= amount
            if unmet[p] < 1.0:
                break
        reset_search(km, found, n, p)
        unmet[p] = 0.0


@njit(cache=True)
def _surplus(f, q, enemies, keep, state, world, rules):
    """The men of faction f at its side's place q that may leave it: none while it is
    fighting there; else beyond what q itself needs (its garrison — at a front line
    `garrison`, at a vital place `vital_garrison` too, elsewhere `interior_garrison` —,
    a place to hold, and `defend_ratio` x the threat from enemy neighbours).

    What q needs does not change while f plans its day: it is reckoned once, into
    `keep[q]` (negative: not yet)."""
    if state.engaged[f, q] or enemies[f, q] > 0.0:
        return 0.0
    c = state.controller[q]
    if c < 0 or not world.friendly[f, c]:
        return 0.0
    if keep[q] < 0.0:
        keep[q] = _garrison_needed(f, q, enemies, state, world, rules)
    return max(0.0, state.forces[f, q] - keep[q])


@njit(cache=True)
def _garrison_needed(f, q, enemies, state, world, rules):
    """The men faction f keeps at its side's quiet place q (see `_surplus`)."""
    keep = max(rules.interior_garrison[f], state.hold_men[f, q])
    if world.vital[q]:
        keep = max(keep, rules.garrison[f], rules.vital_garrison[f])
    elif _borders_enemy(q, f, state, world):
        keep = max(keep, rules.garrison[f])
    threat = rules.threat_share[f] * _threat(f, q, enemies, state, world)
    return max(keep, rules.defend_ratio[f] * threat)


@njit(cache=True)
def _local_surplus(f, c, p, enemies, keep, state, world, rules):
    """The surplus (`_surplus`) of commander c's places next to place p: what it could
    add to an attack on p from the front line there, with manoeuvre."""
    if not rules.manoeuvre or rules.redeploy[f] <= 0.0:
        return 0.0
    total = 0.0
    for k in range(world.neighbours_start[p], world.neighbours_start[p + 1]):
        q = world.neighbours[k]
        if state.commander[f, q] == c and state.forces[f, q] > 0.0:
            total += _surplus(f, q, enemies, keep, state, world, rules)
    return total


@njit(cache=True)
def _enemy_strength(forces, suppressed, hostile):
    """(F, P) the force at each place of the factions hostile to each faction, less
    what the air strikes of the day before suppressed of it (so a doctrine exploits its
    side's air support)."""
    n_factions, n_places = forces.shape
    enemies = np.zeros((n_factions, n_places))
    for f in range(n_factions):
        for g in range(n_factions):
            if hostile[f, g]:
                for p in range(n_places):
                    enemies[f, p] += forces[g, p] * (1.0 - suppressed[g, p])
    return enemies


@njit(cache=True, inline="always")
def _threat(f, p, enemies, state, world):
    """The enemy forces at the places next to p that f's enemies hold (or nobody)."""
    threat = 0.0
    for k in range(world.neighbours_start[p], world.neighbours_start[p + 1]):
        q = world.neighbours[k]
        c = state.controller[q]
        if c < 0 or world.hostile[f, c]:
            threat += enemies[f, q]
    return threat


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
