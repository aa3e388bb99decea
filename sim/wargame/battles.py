"""What became of each objective a team ordered in a turn, and why.

The model keeps no per-place battle log, so the game watches its objectives: before the
turn and after each of its days it notes, at each objective, who holds it, the fighters
of the team's side and of its enemies there and on the way, whether the attackers are
supplied, the routs so far, and the day's air strikes on it. From these daily notes
`BattleWatch.outcome` tells whether the attack was launched (fighters of its side reached
the place), the attackers and defenders at the start and the end, the result (taken on
a day, repulsed, still contested, not launched) and the reasons the notes show: the
force ratio when the fighting began, the strikes of either side, a morale break
(a rout of the defenders or of the attackers), supply cut.
"""

from __future__ import annotations

import dataclasses

import numpy as np

ROUT_DROP = 0.3  # a force that routs loses at least this share of its fighters that day


@dataclasses.dataclass(frozen=True)
class Note:
    """The state of one objective at the end of one day (or before the turn)."""

    day: int
    holder: int  # faction number, -1 unheld
    own: float  # the ordering faction's fighters there
    side: float  # its side's (allies included)
    enemies: float  # fighters of factions hostile to it
    incoming: float  # its fighters on the way there
    supplied: bool
    routs: tuple[int, ...]  # routs so far, per faction
    our_sorties: float  # the day's strikes there by its side's air
    our_casualties: float
    their_sorties: float  # by its enemies' air, on its side's fighters
    their_casualties: float


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of one objective in the turn (JSON-ready: stored with the reports)."""

    place: str
    launched: bool
    result: str  # "taken", "repulsed", "contested", "not launched", "already held"
    day: int | None  # the day it was taken
    attackers_start: float
    defenders_start: float
    attackers_end: float
    defenders_end: float
    reasons: tuple[str, ...]

    def line(self) -> str:
        """The outcome in one sentence."""
        what = {
            "taken": f"taken on day {self.day}",
            "repulsed": "attack repulsed",
            "contested": "still contested at the end of the turn",
            "not launched": "attack not launched",
            "already held": "already held by your side",
        }[self.result]
        forces = (
            f"attackers {self.attackers_start:,.0f} -> {self.attackers_end:,.0f}, "
            f"defenders {self.defenders_start:,.0f} -> {self.defenders_end:,.0f}"
        )
        because = "; ".join(self.reasons)
        return f"Objective {self.place}: {what} ({forces})" + (f": {because}" if because else "")


def _ratio(attackers: float, defenders: float) -> str:
    if defenders <= 0.5:
        return "undefended"
    return f"force ratio {attackers / defenders:.1f}:1"


class BattleWatch:
    """Daily notes on each team's objectives during one turn."""

    def __init__(self, model, objectives: dict[str, list[str]]):
        self.places = {
            faction: [model.map.index(p) for p in places] for faction, places in objectives.items()
        }
        self.names = model.map.names
        self.notes: dict[tuple[str, int], list[Note]] = {
            (faction, p): [] for faction, ps in self.places.items() for p in ps
        }
        self.record(model, strikes=False)

    def record(self, model, strikes: bool = True) -> None:
        """Note the state of every objective now (after a day, or before the turn)."""
        today = model.strikes_on(model.day) if strikes else np.empty((0, 5))
        for faction, ps in self.places.items():
            f = model.faction_number(faction)
            side, enemy = model.friendly[f], model.hostile[f]
            for p in ps:
                here = today[today[:, 2] == p] if len(today) else today
                ours = np.array([side[int(a)] for a in here[:, 0]], dtype=bool)
                on_us = np.array([side[int(t)] for t in here[:, 1]], dtype=bool)
                theirs = ~ours & on_us
                self.notes[(faction, p)].append(
                    Note(
                        day=model.day,
                        holder=int(model.controller[p]),
                        own=float(model.forces[f, p]),
                        side=float(model.forces[side, p].sum()),
                        enemies=float(model.forces[enemy, p].sum()),
                        incoming=float(model.incoming[f, p]),
                        supplied=bool(model.supplied[f, p]),
                        routs=tuple(int(r) for r in model.routs),
                        our_sorties=float(here[ours, 3].sum()) if len(here) else 0.0,
                        our_casualties=float(here[ours, 4].sum()) if len(here) else 0.0,
                        their_sorties=float(here[theirs, 3].sum()) if len(here) else 0.0,
                        their_casualties=float(here[theirs, 4].sum()) if len(here) else 0.0,
                    )
                )

    def outcomes(self, model, faction: str) -> list[Outcome]:
        """What became of each of the faction's objectives."""
        f = model.faction_number(faction)
        return [
            explain(self.names[p], self.notes[(faction, p)], model.friendly[f], model.hostile[f])
            for p in self.places.get(faction, [])
        ]


def explain(place: str, notes: list[Note], side: np.ndarray, enemy: np.ndarray) -> Outcome:
    """The outcome of an attack on `place` from its daily notes (the first before the turn)."""
    start, end = notes[0], notes[-1]

    def ours(note: Note) -> bool:
        return note.holder >= 0 and bool(side[note.holder])

    if ours(start):
        return Outcome(place, False, "already held", None, start.side, start.enemies,
                       end.side, end.enemies, ())  # fmt: skip
    fighting = [n for n in notes[1:] if n.side > 0.5 and not ours(n)]
    taken = next((n for n in notes[1:] if ours(n)), None)
    launched = bool(fighting) or taken is not None
    reasons: list[str] = []
    if not launched:
        if end.incoming > 0.5:
            reasons.append(f"{end.incoming:,.0f} of your fighters still on the way")
        else:
            reasons.append("no fighters of your side reached it this turn")
        result, day = "not launched", None
    else:
        first = fighting[0] if fighting else taken
        reasons.append(
            f"{_ratio(first.side, first.enemies)} when your attackers arrived (day {first.day}: "
            f"{first.side:,.0f} against {first.enemies:,.0f})"
        )
        if taken is not None:
            result, day = "taken", taken.day
            before = notes[notes.index(taken) - 1]
            if _routed(before, taken, enemy, before.enemies, taken.enemies):
                reasons.append("the defenders' morale broke and they routed")
            elif taken.enemies <= 0.5 < before.enemies:
                reasons.append("the defenders were destroyed")
        else:
            day = None
            last_fight = fighting[-1]
            if end.side > 0.5:
                result = "contested"
                reasons.append(f"{_ratio(end.side, end.enemies)} at the end of the turn")
            else:
                result = "repulsed"
                gone = notes[notes.index(last_fight) + 1]
                if _routed(last_fight, gone, side, last_fight.side, gone.side):
                    reasons.append("your attackers' morale broke and they routed")
                else:
                    reasons.append("your attackers were destroyed or fell back")
        cut = [n for n in fighting if not n.supplied]
        if cut:
            reasons.append(f"your attackers were cut off from supply on {len(cut)} day(s)")
    reasons += _air(notes[1:])
    return Outcome(place, launched, result, day, start.side, start.enemies, end.side,
                   end.enemies, tuple(reasons))  # fmt: skip


def _routed(before: Note, after: Note, who: np.ndarray, was: float, now: float) -> bool:
    """Whether a faction of `who` routed that day (its rout count grew) while the force
    there fell by at least ROUT_DROP."""
    grew = any(b < a for b, a, member in zip(before.routs, after.routs, who, strict=True) if member)
    return grew and was > 0.5 and now <= (1 - ROUT_DROP) * was


def _air(notes: list[Note]) -> list[str]:
    found = []
    sorties = sum(n.our_sorties for n in notes)
    if sorties > 0:
        hit = sum(n.our_casualties for n in notes)
        found.append(f"your side's air struck it {sorties:,.0f} times ({hit:,.0f} casualties)")
    sorties = sum(n.their_sorties for n in notes)
    if sorties > 0:
        hit = sum(n.their_casualties for n in notes)
        found.append(f"enemy air struck your fighters there {sorties:,.0f} times ({hit:,.0f} "
                     "casualties)")  # fmt: skip
    return found


class RoutWatch:
    """Where forces routed during a turn: a faction's rout count grew on a day and its
    force at a place fell by at least ROUT_DROP that day (the model counts routs per
    faction only, so the place is read from the forces)."""

    def __init__(self, model):
        self.forces = model.forces.copy()
        self.routs = model.routs.copy()
        self.found: list[tuple[int, str, str]] = []  # (day, place, faction key)

    def record(self, model) -> None:
        for g in np.flatnonzero(model.routs > self.routs):
            was, now = self.forces[g], model.forces[g]
            for p in np.flatnonzero((was > 0.5) & (now <= (1 - ROUT_DROP) * was)):
                self.found.append((model.day, model.map.names[p], model.factions[g].key))
        self.forces = model.forces.copy()
        self.routs = model.routs.copy()
