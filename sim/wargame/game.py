"""The classroom wargame: teams command factions turn by turn and the model adjudicates.

A game is a scenario, a seed, a turn length and the teams (each commanding a faction;
the other factions follow their doctrine). Its state is never stored as arrays: it is
the list of turns (each team's orders and the events the umpire injected), replayed
through the model from day 0. The same seed and orders give the same war, so a game
survives a server restart, and rolling back to an earlier turn is replaying fewer.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np

from sim.formats.scenario import load_scenario
from sim.model.events import ScheduledEvent, apply_event
from sim.model.model import FACTION_SERIES, FrontlineModel
from sim.wargame.battles import BattleWatch, Outcome, RoutWatch
from sim.wargame.orders import Orders, check_orders, doctrine_orders, give_orders

OPEN_ENDED_DAYS = 100_000  # a game has no horizon of its own: the umpire ends it


@dataclasses.dataclass
class GameSetup:
    """What the instructor chose."""

    scenario: str
    seed: int
    turn_days: int
    teams: dict[str, str]  # team name -> faction key
    title: str = ""


@dataclasses.dataclass
class Turn:
    """One turn: the orders each team gave and the events injected at its start."""

    number: int
    orders: dict[str, dict] = dataclasses.field(default_factory=dict)  # faction -> Orders
    injected: list[str] = dataclasses.field(default_factory=list)
    resolved: bool = False


@dataclasses.dataclass
class TurnReport:
    """What a turn did to one faction, with the reasons."""

    faction: str
    turn: int
    first_day: int
    last_day: int
    places_won: list[dict]
    places_lost: list[dict]
    losses: float
    sorties_received: float
    sorties_flown: float
    routs: int
    morale_before: float
    morale_after: float
    objectives: list[Outcome] = dataclasses.field(default_factory=list)
    events: list[str] = dataclasses.field(default_factory=list)  # injected by the umpire

    def lines(self) -> list[str]:
        """The report in words."""
        text = [f"Turn {self.turn} (days {self.first_day}-{self.last_day}):"]
        text += [f"The umpire injected an event: {event}" for event in self.events]
        text += [outcome.line() for outcome in self.objectives]
        for c in self.places_won:
            text.append(
                f"took {c['place']} from {c['from'] or 'nobody'} on day {c['day']} "
                f"({_ratio_text(c['ratio'], 'force ratio')})"
            )
        for c in self.places_lost:
            text.append(
                f"lost {c['place']} to {c['to']} on day {c['day']} "
                f"({_ratio_text(c['ratio'], 'their force ratio')})"
            )
        text.append(
            f"losses {self.losses:,.0f} fighters; {self.sorties_received:,.0f} enemy sorties "
            f"received; {self.sorties_flown:,.0f} sorties flown"
        )
        if self.routs:
            text.append(f"{self.routs} force(s) broke and routed (morale below the break point)")
        text.append(f"morale {self.morale_before:.2f} -> {self.morale_after:.2f}")
        return text


def _ratio_text(ratio: float, what: str) -> str:
    """The force ratio at the start of the turn, or why there was none."""
    if ratio == 0:  # the attackers arrived during the turn
        return "the attackers arrived during the turn"
    if ratio == float("inf"):
        return "undefended at the start of the turn"
    return f"{what} at the start of the turn {ratio:.1f}:1"


class Game:
    """A game's setup and turns, and the model replayed to the current turn."""

    def __init__(self, setup: GameSetup, turns: list[Turn] | None = None):
        self.setup = setup
        self.turns = turns or []
        self.scenario = load_scenario(setup.scenario)
        self.reports: dict[int, dict[str, TurnReport]] = {}
        self.advice: dict[int, dict[str, Orders]] = {}  # what the doctrine would have ordered
        self.routs: dict[int, list[tuple[int, str, str]]] = {}  # turn -> (day, place, faction)
        self.model = self._replay()

    @property
    def factions(self) -> list[str]:
        """The factions commanded by teams."""
        return list(self.setup.teams.values())

    def pending(self) -> Turn:
        """The turn being prepared (orders are given for it), opened if need be."""
        if not self.turns or self.turns[-1].resolved:
            self.turns.append(Turn(number=len(self.turns) + 1))
        return self.turns[-1]

    def resolved_turns(self) -> list[Turn]:
        return [turn for turn in self.turns if turn.resolved]

    def submitted(self) -> set[str]:
        """Factions whose team has submitted orders for the current turn."""
        return set(self.pending().orders)

    def submit(self, faction: str, orders: Orders) -> list[str]:
        """Record a team's orders for the current turn; return the problems (none: stored)."""
        if faction not in self.factions:
            return [f"no team commands {faction!r}"]
        problems = check_orders(self.model, faction, orders)
        if not problems:
            self.pending().orders[faction] = dataclasses.asdict(orders)
        return problems

    def inject(self, event: str) -> None:
        """Have one of the scenario's events happen at the start of the current turn."""
        if event not in self.scenario.spec.events:
            raise ValueError(f"unknown event {event!r}")
        self.pending().injected.append(event)

    def injections(self) -> dict[int, list[str]]:
        """The events the umpire injected in the turns played, by the day they happened
        on (the day before the turn's first), so other runs can have them too."""
        days: dict[int, list[str]] = {}
        for turn in self.resolved_turns():
            if turn.injected:
                start = (turn.number - 1) * self.setup.turn_days
                days.setdefault(start, []).extend(turn.injected)
        return days

    def advance(self) -> dict[str, TurnReport]:
        """Play the current turn (teams that gave no orders hold their ground)."""
        turn = self.pending()
        turn.resolved = True
        self.reports[turn.number] = self._play(self.model, turn)
        return self.reports[turn.number]

    def rollback(self, to_turn: int) -> list[Turn]:
        """Go back to the start of turn `to_turn`; return the turns taken back."""
        if not 1 <= to_turn <= len(self.resolved_turns()) + 1:
            raise ValueError(f"no turn {to_turn} to go back to")
        dropped = self.turns[to_turn - 1 :]
        self.turns = self.turns[: to_turn - 1]
        self.reports = {n: r for n, r in self.reports.items() if n < to_turn}
        self.advice = {n: a for n, a in self.advice.items() if n < to_turn}
        self.routs = {n: r for n, r in self.routs.items() if n < to_turn}
        self.model = self._replay()
        return dropped

    def _replay(self) -> FrontlineModel:
        model = FrontlineModel(self.scenario, seed=self.setup.seed, days=OPEN_ENDED_DAYS)
        for turn in self.resolved_turns():
            self.reports[turn.number] = self._play(model, turn)
        return model

    def _play(self, model: FrontlineModel, turn: Turn) -> dict[str, TurnReport]:
        for name in turn.injected:
            inject_event(model, name)
        self.advice[turn.number] = {f: doctrine_orders(model, f) for f in self.factions}
        given = {f: Orders.from_dict(turn.orders.get(f, {})) for f in self.factions}
        for faction, orders in given.items():
            give_orders(model, faction, orders)
        before = _Snapshot(model)
        battles = BattleWatch(model, {f: orders.objectives for f, orders in given.items()})
        routs = RoutWatch(model)
        for _ in range(self.setup.turn_days):
            model.step()
            battles.record(model)
            routs.record(model)
        self.routs[turn.number] = routs.found
        events = [self._event_text(name) for name in turn.injected]
        return {
            f: dataclasses.replace(
                before.report(model, f, turn.number),
                objectives=battles.outcomes(model, f),
                events=events,
            )
            for f in self.factions
        }

    def _event_text(self, name: str) -> str:
        description = self.scenario.spec.events[name].description.strip()
        return f"{name}: {description}" if description else name


def inject_event(model: FrontlineModel, name: str) -> None:
    """Have the scenario's event `name` happen now, as the umpire injects it (a copy of
    its spec, so the scenario stays intact)."""
    spec = copy.deepcopy(model.spec.events[name])
    apply_event(model, ScheduledEvent(name, model.day, spec))


class _Snapshot:
    """The state at the start of a turn, to explain what the turn did."""

    def __init__(self, model: FrontlineModel):
        self.day = model.day
        self.forces = model.forces.copy()
        self.routs = model.routs.copy()
        self.morale = model.base_morale.copy()
        self.captures = len(model.captures)

    def ratio(self, model: FrontlineModel, place: str, attacker: str) -> float:
        p, a = model.map.index(place), model.faction_number(attacker)
        attackers = self.forces[model.friendly[a], p].sum()
        defenders = self.forces[model.hostile[a], p].sum()
        return float(attackers / defenders) if defenders > 0 else float("inf")

    def report(self, model: FrontlineModel, faction: str, turn: int) -> TurnReport:
        f = model.faction_number(faction)
        ours = {x.key for x in model.factions if model.friendly[f, x.index]}
        won, lost = [], []
        for capture in model.captures[self.captures :]:
            entry = {
                "day": capture.day,
                "place": capture.place,
                "from": capture.previous,
                "to": capture.new,
            }
            if capture.new in ours and capture.previous not in ours:
                won.append(entry | {"ratio": self.ratio(model, capture.place, capture.new)})
            elif capture.previous in ours and capture.new not in ours:
                lost.append(entry | {"ratio": self.ratio(model, capture.place, capture.new)})
        series = model.faction_series()[self.day + 1 :]
        strikes = model.strike_log()
        in_turn = strikes[:, 0] > self.day
        return TurnReport(
            faction=faction,
            turn=turn,
            first_day=self.day + 1,
            last_day=model.day,
            places_won=won,
            places_lost=lost,
            losses=float(series[:, FACTION_SERIES.index("losses"), f].sum()),
            sorties_received=float(strikes[in_turn & (strikes[:, 2] == f), 4].sum()),
            sorties_flown=float(strikes[in_turn & (strikes[:, 1] == f), 4].sum()),
            routs=int(model.routs[f] - self.routs[f]),
            morale_before=float(self.morale[f]),
            morale_after=float(model.base_morale[f]),
        )


def holdings(model: FrontlineModel, faction: str) -> float:
    """The outcome a team is judged by: the places its side holds."""
    f = model.faction_number(faction)
    return float(np.isin(model.controller, np.flatnonzero(model.friendly[f])).sum())
