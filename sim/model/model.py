"""The Frontline model: factions fighting over a map of places, one day per step.

The model owns the hot state as arrays indexed by (faction, place): forces and morale,
plus the controller of each place, the reserves and the manpower in transit. Factions
are Mesa agents holding their parameters; each day runs, in order:

1. scheduled events fire;
2. logistics: reinforcements due today arrive, supply is recomputed if control changed;
3. decisions: every faction's doctrine orders reinforcements and offensives;
4. air tasking: sorties strike their targets;
5. combat: Lanchester attrition wherever enemies meet;
6. morale: losses, strikes and sieges wear it down; broken forces rout; places change hands;
7. recruitment and desertion;
8. data collection (Mesa DataCollector).

Every random draw comes from the model's seeded generator, `self.rng`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect

import mesa
import numpy as np
from mesa.discrete_space import Network

from sim.formats.scenario import Scenario
from sim.formats.validation import resolve_setting
from sim.model import draws, logistics
from sim.model.day import advance_day, day_arrays, tally_day
from sim.model.events import EventQueue, ScheduledEvent
from sim.model.factions import Faction, FactionParameters

RELATIONS = {"neutral": 0, "enemy": 1, "allied": 2}
FACTION_SERIES = (
    "places_held",
    "population_held",
    "manpower",
    "morale",
    "strikes_received",
    "losses",
)


@dataclasses.dataclass
class Ledger:
    """Running manpower accounts per faction: where every fighter came from and went."""

    initial: np.ndarray
    recruited: np.ndarray
    added_by_events: np.ndarray
    combat_losses: np.ndarray
    strike_losses: np.ndarray
    deserted: np.ndarray

    @classmethod
    def zeros(cls, n_factions: int) -> Ledger:
        return cls(*(np.zeros(n_factions) for _ in dataclasses.fields(cls)))

    def expected_manpower(self) -> np.ndarray:
        """What each faction should have left if no fighter is created or lost unaccounted."""
        return (
            self.initial
            + self.recruited
            + self.added_by_events
            - self.combat_losses
            - self.strike_losses
            - self.deserted
        )


@dataclasses.dataclass(frozen=True)
class Capture:
    """A place changing hands."""

    day: int
    place: str
    previous: str | None
    new: str


class FrontlineModel(mesa.Model):
    """Front-line dynamics on a scenario's map; see the module docstring for one day."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int | None = None,
        days: int | None = None,
        deterministic: bool | None = None,
        rng: int | None = None,
    ):
        """A model of `scenario`; `seed`, `days` and `deterministic` override the file's.

        `rng` is Mesa's name for the seed (mesa's batch_run and SolaraViz pass it); it must
        be an integer so that a run can be named and repeated by its seed.
        """
        run = scenario.spec.run
        chosen = seed if seed is not None else rng
        self.seed = run.seed if chosen is None else int(chosen)
        super().__init__(rng=self.seed)
        self.spec = scenario.spec
        self.scenario_places = scenario.places
        self.map = scenario.map
        self.days = run.days if days is None else days
        self.deterministic = run.deterministic if deterministic is None else deterministic
        self.start_date: dt.date | None = run.start_date
        self.day = 0
        self.space = _network_space(self)
        self.factions = [
            Faction(self, key, spec, i) for i, (key, spec) in enumerate(self.spec.factions.items())
        ]
        self._faction_index = {f.key: f.index for f in self.factions}
        self._init_state()
        self._events = EventQueue(self.spec.events, self.start_date)
        self.event_log: list[tuple[int, str]] = []
        self.captures: list[Capture] = []
        self.routs = np.zeros(len(self.factions), dtype=np.int64)  # per faction, so far
        self._strike_chunks: list[np.ndarray] = []
        self.ledger.initial = self.manpower()
        self._built = False  # events before day 1 change the specs; arrays are built after
        for event in self._events.pop_due(0):
            self.apply_event(event)
        self.initial_controller = self.controller.copy()
        self.refresh_parameters()
        self._built = True
        self.supplied[:] = logistics.supply_status(
            self.controller, self.friendly, self.sources, self.map.neighbours_start,
            self.map.neighbours,
        )  # fmt: skip
        self._supply_stale = False
        self.datacollector = mesa.DataCollector(
            model_reporters={"factions": lambda model: model.tally},
            tables={"captures": ["day", "place", "from", "to"]},
        )
        self._tally_day_zero()

    # --- state -----------------------------------------------------------------------

    def _init_state(self) -> None:
        n_factions, n_places = len(self.factions), self.map.size
        places = self.scenario_places.values()
        self.controller = np.array(
            [self.faction_number(p.controller) for p in places], dtype=np.int64
        )
        self.forces = np.zeros((n_factions, n_places))
        self.reserve = np.array([f.spec.reserve for f in self.factions], dtype=float)
        self.base_morale = np.array([f.spec.morale for f in self.factions], dtype=float)
        for faction in self.factions:
            for place, manpower in faction.spec.forces.items():
                self.forces[faction.index, self.map.index(place)] = manpower
        self.morale = np.repeat(self.base_morale[:, None], n_places, axis=1)
        self.relation = np.zeros((n_factions, n_factions), dtype=np.int64)
        self.hostile = np.zeros((n_factions, n_factions), dtype=bool)
        self.friendly = np.eye(n_factions, dtype=bool)
        for faction in self.factions:
            for other, relation in faction.spec.relations.items():
                self.set_relation(faction.index, self.faction_number(other), relation)
        self.incoming = np.zeros((n_factions, n_places))
        self.transit = np.zeros((logistics.MAX_TRAVEL_DAYS + 1, n_factions, n_places))
        self.engaged = np.zeros((n_factions, n_places), dtype=bool)
        self.supplied = np.zeros((n_factions, n_places), dtype=bool)
        self.allowed_targets = np.ones((n_factions, n_places), dtype=bool)
        self.under_orders = np.zeros(n_factions, dtype=bool)  # see sim.wargame.orders
        self.ledger = Ledger.zeros(n_factions)
        self.value = self.map.value(self.spec.place_value)
        rules = self.spec.morale
        self._morale_parameters = (
            rules.loss_sensitivity,
            rules.recovery,
            rules.siege_penalty,
            rules.rout_desertion,
        )
        self.vital = self.map.has_tag("vital")
        self.tally = np.zeros((len(FACTION_SERIES), n_factions))
        self._buffers = _Buffers.allocate(n_factions, n_places)
        self._supply_stale = True

    def faction_number(self, key: str | None) -> int:
        """Index of faction `key` in every array (-1 for none)."""
        return -1 if key is None else self._faction_index[key]

    def set_relation(self, a: int, b: int, relation: str) -> None:
        """Set the relation between two factions, both ways."""
        self.relation[a, b] = self.relation[b, a] = RELATIONS[relation]
        self.hostile[:] = self.relation == RELATIONS["enemy"]
        self.friendly[:] = (self.relation == RELATIONS["allied"]) | np.eye(
            len(self.factions), dtype=bool
        )
        self._supply_stale = True

    def refresh_parameters(self, *, rear: bool = True) -> None:
        """Rebuild the parameter arrays after factions changed; with `rear`, also where
        reserves start from (after relations or supply sources changed)."""
        self.params = FactionParameters.from_factions(self.factions, self.map)
        if rear:
            self.sources = np.zeros((len(self.factions), self.map.size), dtype=bool)
            for faction in self.factions:
                for place in faction.spec.supply_sources:
                    self.sources[faction.index, self.map.index(place)] = True
            self.rear_km = np.array([self._rear_of(f.index) for f in self.factions]).reshape(
                len(self.factions), self.map.size
            )
            self.reachable = np.isfinite(self.rear_km)
        self.travel = logistics.travel_days(self.rear_km, self.params.speed)
        self._buffers.fit_strike_log(int((self.params.sorties > 0).sum()), self.map.size)
        self._supply_stale = True
        self._bind_day_arrays()

    def _rear_of(self, f: int) -> np.ndarray:
        """Road km from where faction f's reserve stands: its and its allies' supply sources,
        or, without any, the places it holds."""
        rear = np.flatnonzero(self.sources[self.friendly[f]].any(axis=0))
        if rear.size == 0:
            rear = np.flatnonzero((self.controller == f) | (self.forces[f] > 0))
        return self.map.road_distance_from(rear)

    def manpower(self) -> np.ndarray:
        """(F,) each faction's manpower: reserve, deployed and in transit."""
        return self.reserve + self.forces.sum(axis=1) + self.incoming.sum(axis=1)

    # --- one day ---------------------------------------------------------------------

    def step(self) -> None:
        """Advance the war by one day."""
        self.day += 1
        seed = self.rng.bit_generator.random_raw() % draws.SEED_BOUND
        for event in self._events.pop_due(self.day):
            self.apply_event(event)
        strikes, taken = advance_day(
            self.day, seed, self.deterministic, self._supply_stale, self._day_arrays
        )
        self._supply_stale = False
        if strikes:
            self._strike_chunks.append((self.day, self._buffers.strike_log[:strikes].copy()))
        if taken:
            self._record_captures(self._buffers.captures[:taken])
        self.datacollector.collect(self)
        if self.day >= self.days:
            self.running = False

    def _bind_day_arrays(self) -> None:
        """The arrays the compiled day works on, in the order of `day.DAY_ARRAYS`. Gathered
        once, not every day (60 attribute look-ups a day cost more than a tenth of the day);
        the state arrays are changed in place, so only a parameter refresh gathers them again.
        """
        p, b, m, c = self.params, self._buffers, self.map, self.spec.combat
        self._day_arrays = day_arrays((
            self.controller, self.forces, self.morale, self.reserve, self.base_morale,
            self.incoming, self.transit, self.supplied, self.engaged,
            m.population, m.terrain, m.region, self.value, self.vital, m.neighbours_start,
            m.neighbours,
            self.friendly, self.hostile, self.sources, self.travel, self.reachable,
            self.allowed_targets, self.under_orders,
            p.ground, p.home_region, p.break_point, p.lethality, p.recruitment_rate,
            p.desertion, p.commit, p.aggression, p.attack_ratio, p.defend_ratio, p.garrison,
            p.max_offensives, p.min_attack, p.vital_only_below, p.sorties,
            p.casualties_per_sortie, p.morale_shock, p.engaged_bonus, p.targeting, p.air_weight,
            c.morale_weight, c.unsupplied_effectiveness, c.min_force, *self._morale_parameters,
            self.ledger.recruited, self.ledger.deserted, self.routs, self.ledger.combat_losses,
            self.ledger.strike_losses, b.strike_losses, b.combat_losses, b.morale_hit,
            b.strikes_received, b.strike_log, b.captures, self.tally,
        ))  # fmt: skip

    def _record_captures(self, captures: np.ndarray) -> None:
        """Log the day's captures and move the winners' and losers' baseline morale."""
        self._supply_stale = True
        bonus, penalty = self.spec.morale.victory_bonus, self.spec.morale.defeat_penalty
        for place, previous, new in captures:
            self.base_morale[new] = min(1.0, self.base_morale[new] + bonus)
            if previous >= 0:
                self.base_morale[previous] = max(0.0, self.base_morale[previous] - penalty)
            capture = Capture(
                day=self.day,
                place=self.map.names[place],
                previous=self.factions[previous].key if previous >= 0 else None,
                new=self.factions[new].key,
            )
            self.captures.append(capture)
            self.datacollector.add_table_row(
                "captures",
                {
                    "day": capture.day,
                    "place": capture.place,
                    "from": capture.previous,
                    "to": capture.new,
                },
            )

    def _tally_day_zero(self) -> None:
        """Collect the initial state, as the data of day 0."""
        b = self._buffers
        tally_day(
            self.controller, self.map.population, self.forces, self.morale, self.reserve,
            self.incoming, self.base_morale, b.combat_losses, b.strike_losses,
            b.strikes_received, self.ledger.combat_losses, self.ledger.strike_losses, self.tally,
        )  # fmt: skip
        self.datacollector.collect(self)

    # --- events ----------------------------------------------------------------------

    def apply_event(self, event: ScheduledEvent) -> None:
        """Carry out a scheduled event: new parameters, manpower, relations."""
        spec = event.spec
        self.event_log.append((self.day, event.name))
        if spec.faction is None:
            return
        faction = self.factions[self.faction_number(spec.faction)]
        f = faction.index
        for dotted, value in spec.set.items():
            owner, field = resolve_setting(faction.own_spec(), dotted)
            setattr(owner, field.name, value)
            if dotted == "morale":
                self.base_morale[f] = value
        added = max(spec.add_reserve, -self.reserve[f])
        self.reserve[f] += added
        self.ledger.added_by_events[f] += added
        for place, manpower in spec.add_forces.items():
            p = self.map.index(place)
            total = self.forces[f, p] + manpower
            if total > 0:
                self.morale[f, p] = (
                    self.forces[f, p] * self.morale[f, p] + manpower * self.base_morale[f]
                ) / total
            self.forces[f, p] = total
            self.ledger.added_by_events[f] += manpower
        for other, relation in spec.relations.items():
            self.set_relation(f, self.faction_number(other), relation)
        if self._built:
            self.refresh_parameters(rear=bool(spec.relations) or "supply_sources" in spec.set)

    # --- results ---------------------------------------------------------------------

    def date_of(self, day: int) -> dt.date | None:
        """Calendar date of a model day (None for a scenario without a start date)."""
        return None if self.start_date is None else self.start_date + dt.timedelta(days=day)

    def strike_log(self) -> np.ndarray:
        """(n, 6) every strike so far: day, air faction, target faction, place, sorties,
        casualties (faction and place numbers)."""
        if not self._strike_chunks:
            return np.empty((0, 6))
        days = [day for day, rows in self._strike_chunks for _ in range(len(rows))]
        rows = np.concatenate([rows for _, rows in self._strike_chunks])
        return np.column_stack([days, rows])

    def strikes_on(self, day: int) -> np.ndarray:
        """(n, 5) the strikes of one day: air faction, target faction, place, sorties,
        casualties."""
        for logged, rows in reversed(self._strike_chunks):
            if logged == day:
                return rows
            if logged < day:
                break
        return np.empty((0, 5))

    def faction_series(self) -> np.ndarray:
        """(days + 1, series, factions): the DataCollector's daily records of
        `FACTION_SERIES`, from day 0."""
        return np.stack(self.datacollector.model_vars["factions"])


@dataclasses.dataclass
class _Buffers:
    """Arrays the kernels fill each day, allocated once per run."""

    strike_losses: np.ndarray
    combat_losses: np.ndarray
    morale_hit: np.ndarray
    strikes_received: np.ndarray
    strike_log: np.ndarray
    captures: np.ndarray

    @classmethod
    def allocate(cls, n_factions: int, n_places: int) -> _Buffers:
        return cls(
            strike_losses=np.zeros((n_factions, n_places)),
            combat_losses=np.zeros((n_factions, n_places)),
            morale_hit=np.zeros((n_factions, n_places)),
            strikes_received=np.zeros(n_factions),
            strike_log=np.zeros((0, 5)),
            captures=np.zeros((n_places, 3), dtype=np.int64),
        )

    def fit_strike_log(self, n_flying: int, n_places: int) -> None:
        """Make room for one strike per (flying faction, target faction, place)."""
        rows = n_flying * len(self.strikes_received) * n_places
        if len(self.strike_log) < rows:
            self.strike_log = np.zeros((rows, 5))


def _network_space(model: FrontlineModel) -> Network:
    """The map as a Mesa network space: one cell per place, at its coordinates."""
    options = {}
    if "layout" in inspect.signature(Network).parameters:  # mesa >= 3.4 lays out the graph
        options["layout"] = {i: tuple(xy) for i, xy in enumerate(model.map.coords)}
    return Network(model.map.graph(), random=model.random, **options)
