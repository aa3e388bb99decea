"""The Frontline model: factions fighting over a map of places, one day per step.

The model owns the hot state as arrays indexed by (faction, place): forces and morale,
plus the controller of each place, the reserves and the manpower in transit. Factions
are Mesa agents holding their parameters; each day runs, in order:

1. scheduled events fire (`sim.model.events`);
2. logistics: reinforcements due today arrive, supply is recomputed if control changed;
3. decisions: every faction's doctrine orders reinforcements and offensives
   (`sim.model.doctrine`: compiled, a Python `decide`, or a player's orders);
4. air tasking: sorties strike their targets;
5. combat: Lanchester attrition wherever enemies meet;
6. morale: losses, strikes and sieges wear it down; broken forces rout; places change
   hands; victories and defeats move the factions' baseline morale;
7. recruitment and desertion;
8. data collection (a Mesa DataCollector reading the day's tally).

Steps 2-8 are one compiled call (`sim.model.day`) on four named records of the
model's arrays (`sim.model.records`). Every random draw comes from the model's seeded
generator, `self.rng`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace

import mesa
import numpy as np

from sim.formats.map import Map
from sim.formats.scenario import Scenario
from sim.formats.uncertainty import realise
from sim.model import commands, draws, logistics, records
from sim.model.collector import FACTION_SERIES, DailySeries, FrontlineCollector
from sim.model.day import advance_day, advance_days, begin_day, end_day, tally_day
from sim.model.doctrine import apply_orders, release_orders
from sim.model.events import EventQueue, apply_event
from sim.model.factions import Faction, FactionParameters

__all__ = ["FACTION_SERIES", "Capture", "FrontlineModel", "Ledger"]

RELATIONS = {"neutral": 0, "enemy": 1, "allied": 2}


@dataclasses.dataclass
class Ledger:
    """Running manpower accounts per faction: where every fighter came from and went."""

    initial: np.ndarray
    recruited: np.ndarray
    added_by_events: np.ndarray
    combat_losses: np.ndarray
    strike_losses: np.ndarray
    flight_losses: np.ndarray  # withdrawing, or fleeing a rout with the enemy in pursuit
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
            - self.flight_losses
            - self.deserted
        )


@dataclasses.dataclass(frozen=True)
class Capture:
    """A place changing hands."""

    day: int
    place: str
    previous: str | None
    new: str


@dataclasses.dataclass
class Records:
    """The compiled day's four records of the model's arrays (`sim.model.records`)."""

    state: records.State
    world: records.World
    rules: records.Rules
    books: records.Books


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
        faction_classes: dict[str, type[Faction]] | None = None,
    ):
        """A model of `scenario`; `seed`, `days` and `deterministic` override the file's.

        `rng` is Mesa's name for the seed (mesa's batch_run and SolaraViz pass it); it must
        be an integer so that a run can be named and repeated by its seed.
        `faction_classes` gives some factions (by key) an agent class of your own, a
        subclass of `Faction`, e.g. one with a Python doctrine (`Faction.decide`).

        Numbers the scenario gives as distributions are drawn first, from the seed's own
        parameter stream (expected values in a deterministic run): `self.spec` is the
        scenario as drawn, `self.drawn` the values drawn, by key path.
        """
        run = scenario.spec.run
        chosen = seed if seed is not None else rng
        self.seed = run.seed if chosen is None else int(chosen)
        super().__init__(rng=self.seed)
        self.days = run.days if days is None else days
        self.deterministic = run.deterministic if deterministic is None else deterministic
        self.spec, self.drawn = realise(scenario.spec, self.seed, self.deterministic)
        self.scenario_places, self.map = scenario.places, scenario.map
        if any(path.startswith("map.") for path in self.drawn):  # uncertain places or roads
            self.scenario_places = dict(self.spec.map.places)
            self.map = Map.build(self.scenario_places, self.spec.map.roads, self.spec.map.links)
        self.start_date: dt.date | None = run.start_date
        self.day = 0
        classes = _checked_classes(faction_classes or {}, self.spec.factions)
        self.factions = [
            classes.get(key, Faction)(self, key, spec, i)
            for i, (key, spec) in enumerate(self.spec.factions.items())
        ]
        self._faction_index = {f.key: f.index for f in self.factions}
        self._python_doctrines = [f for f in self.factions if f.has_python_doctrine]
        self._init_state()
        self._events = EventQueue(self.spec.events, self.start_date)
        self.event_log: list[tuple[int, str]] = []
        self.captures: list[Capture] = []
        self._strike_chunks: list[np.ndarray] = []  # rows of strike_log(), in day order
        self.ledger.initial = self.manpower()
        self._built = False  # events before day 1 change the specs; arrays are built after
        for event in self._events.pop_due(0):
            apply_event(self, event)
        self.initial_controller = self.controller.copy()
        self._build_parameters()
        self._built = True
        r = self.records
        logistics.supply_status(r.state, r.world, r.rules, r.books)
        logistics.supply_factors(r.state, r.world, r.rules)
        self._supply_stale = False
        self.datacollector = FrontlineCollector(self)
        self._tally_day_zero()

    # --- state -----------------------------------------------------------------------

    def _init_state(self) -> None:
        n_factions, n_places = len(self.factions), self.map.size
        specs = [f.spec for f in self.factions]
        places = self.scenario_places.values()
        self.controller = np.array(
            [self.faction_number(p.controller) for p in places], dtype=np.int64
        )
        self.commands = commands.commands_of(specs)
        self.command_faction = np.array([c.faction for c in self.commands], dtype=np.int64)
        self.reserves = commands.initial_reserves(specs, self.commands)
        self.forces = np.zeros((n_factions, n_places))
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
        self.transit_morale = np.zeros_like(self.transit)
        self.engaged = np.zeros((n_factions, n_places), dtype=bool)
        self.supplied = np.zeros((n_factions, n_places), dtype=bool)
        self.supply_km = np.full((n_factions, n_places), np.inf)
        self.supply_via = np.full((n_factions, n_places), -1, dtype=np.int64)
        self.supply_factor = np.ones((n_factions, n_places))
        self.allowed_targets = np.ones((n_factions, n_places), dtype=bool)
        self.under_orders = np.zeros(n_factions, dtype=bool)  # see sim.model.doctrine
        self.blocked_until = np.zeros((n_factions, n_places), dtype=np.int64)  # given-up attacks
        self.faction_area = commands.faction_areas(specs, self.map)
        self.objectives = [dict(spec.objectives) for spec in specs]  # events change them
        self.update_objectives()
        self.routs = np.zeros(n_factions, dtype=np.int64)  # per faction, so far
        self.withdrawals = np.zeros(n_factions, dtype=np.int64)
        self.ledger = Ledger.zeros(n_factions)
        self.value = self.map.objective_value(self.spec.place_value)
        self.vital = self.map.has_tag("vital")
        self.tally = np.zeros((len(FACTION_SERIES), n_factions))
        self.series = DailySeries(self.tally.shape, capacity=self.days + 1)
        self.buffers = DayBuffers.allocate(n_factions, n_places, self.map)
        self._supply_stale = True

    @property
    def reserve(self) -> np.ndarray:
        """(F,) each faction's own reserve (a view: changing it changes the model)."""
        return self.reserves[: len(self.factions)]

    def commands_of(self, f: int) -> np.ndarray:
        """The commander numbers of faction f: its own, then its groupings'."""
        return np.flatnonzero(self.command_faction == f)

    def update_objectives(self) -> None:
        """Make the arrays of the standing objectives (and who commands where) follow
        `self.objectives`, after an event gave or ended some."""
        specs = [f.spec for f in self.factions]
        arrays = vars(commands.objective_arrays(self.objectives, self.map))
        arrays["commander"] = commands.commander_map(
            specs, self.commands, self.map, self.objectives
        )
        for name in ("commander", "take_men", "hold_men", "objective_value"):
            if hasattr(self, name):
                getattr(self, name)[:] = arrays[name]  # in place: bound records see it
            else:
                setattr(self, name, arrays[name])

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

    def refresh_parameters(self, *, rear: bool = True, faction: int | None = None) -> None:
        """Make the parameter arrays follow the factions' specs after they changed (only
        faction number `faction`'s, if given: an event's); with `rear`, also where
        reserves start from (after relations or supply sources changed).

        After the first build the arrays are changed in place, only where a value
        changed, and the travel times recomputed only when the rear or a speed changed:
        the compiled day's records keep holding them, and are bound again only when an
        array had to grow (the strike log)."""
        if not self._built:
            self._build_parameters()
            return
        if faction is None:
            fresh = FactionParameters.from_factions(self.factions, self.map)
            changed = {f.name for f in dataclasses.fields(fresh)}
            for name in changed:
                getattr(self.params, name)[:] = getattr(fresh, name)
        else:
            changed = self.params.patch(self.factions, faction, self.map)
        if rear:
            self._place_rear()
        if rear or "speed" in changed:
            self.travel[:] = logistics.travel_days(self.rear_km, self.params.speed)
        self._supply_stale = True
        if self._fit_strike_log():
            self.records = self._bind_records()

    def _build_parameters(self) -> None:
        """The parameter arrays, the rear and the travel times, and the records."""
        self.params = FactionParameters.from_factions(self.factions, self.map)
        self.switches = Switches(manoeuvre=bool(self.spec.manoeuvre.enabled))
        self.sources = np.zeros((len(self.factions), self.map.size), dtype=bool)
        self.rear_km = np.zeros((len(self.factions), self.map.size))
        self.reachable = np.zeros((len(self.factions), self.map.size), dtype=bool)
        self._place_rear()
        self.travel = logistics.travel_days(self.rear_km, self.params.speed)
        self._fit_strike_log()
        self._supply_stale = True
        self.records = self._bind_records()

    def _place_rear(self) -> None:
        """Where each faction's reserve stands (supply sources, road km from them and
        whether a place is reachable), in place. Road distances are kept by the map
        (`Map.road_distance_from`), so a set of sources costs one search per map."""
        self.sources[:] = False
        for faction in self.factions:
            for place in faction.spec.supply_sources:
                self.sources[faction.index, self.map.index(place)] = True
        for f in range(len(self.factions)):
            self.rear_km[f] = self._rear_of(f)
        self.reachable[:] = np.isfinite(self.rear_km)

    def _fit_strike_log(self) -> bool:
        """Make room in the strike log for the factions flying; whether it grew."""
        flying = int((self.params.sorties > 0).sum())
        return self.buffers.fit_strike_log(flying, self.map.size)

    def _bind_records(self) -> Records:
        """The compiled day's records, each field bound by name to the owner's array
        (`sim.model.records`); bound again only when parameters change, as the state
        arrays are changed in place."""
        owners = {
            "state": (self,),
            "world": (self.map, self),
            "rules": (self.params, self.spec.combat, self.spec.morale, self.switches),
            "books": (self.ledger, self.buffers, self),
        }
        return Records(**{name: records.bind(name, of) for name, of in owners.items()})

    def _rear_of(self, f: int) -> np.ndarray:
        """Road km from where faction f's reserve stands: its and its allies' supply sources,
        or, without any, the places it holds."""
        rear = np.flatnonzero(self.sources[self.friendly[f]].any(axis=0))
        if rear.size == 0:
            rear = np.flatnonzero((self.controller == f) | (self.forces[f] > 0))
        return self.map.road_distance_from(rear)

    def manpower(self) -> np.ndarray:
        """(F,) each faction's manpower: reserves, deployed and in transit."""
        reserves = np.bincount(self.command_faction, self.reserves, minlength=len(self.factions))
        return reserves + self.forces.sum(axis=1) + self.incoming.sum(axis=1)

    def state_copy(self) -> SimpleNamespace:
        """A copy of every array of the state record (`records.STATE`), e.g. to plan on."""
        return SimpleNamespace(**{name: getattr(self, name).copy() for name in records.STATE})

    # --- one day ---------------------------------------------------------------------

    def step(self) -> None:
        """Advance the war by one day."""
        self.day += 1
        seed = self.rng.bit_generator.random_raw() % draws.SEED_BOUND
        for event in self._events.pop_due(self.day):
            apply_event(self, event)
        r = self.records
        if self._python_doctrines:
            begin_day(self.day, seed, self._supply_stale, r.state, r.world, r.rules, r.books)
            self._take_python_decisions()
            r = self.records  # bound again if an air tasking changed the parameters
            strikes, taken = end_day(
                self.day, self.deterministic, r.state, r.world, r.rules, r.books
            )
        else:
            strikes, taken = advance_day(
                self.day, seed, self.deterministic, self._supply_stale,
                r.state, r.world, r.rules, r.books,
            )  # fmt: skip
        self._supply_stale = False
        if strikes:
            rows = np.empty((strikes, 6))
            rows[:, 0], rows[:, 1:] = self.day, self.buffers.day_strike_log[:strikes]
            self._strike_chunks.append(rows)
        if taken:
            for place, previous, new in self.buffers.day_captures[:taken]:
                self._record_capture(self.day, place, previous, new)
            self._supply_stale = True
        self.datacollector.collect(self)
        if self.day >= self.days:
            self.running = False

    def run_to_horizon(self) -> None:
        """Run to the horizon (`days`) as fast as the model can: the days between two
        events in one compiled call each (`sim.model.day.advance_days`), with the same
        results, to the bit, as `run_model` stepping day by day (the same seeds, drawn
        in the same order). For runs whose results are read rather than watched
        (sweeps, `frontline run`): mesa's own count of steps (`steps`, and `time` on
        mesa >= 3.5) leaves out the days run this way. A model with a Python doctrine
        is stepped, as it decides in Python every day."""
        if self._python_doctrines:
            self.run_model()
            return
        logs = (np.zeros((64, 4), np.int64), 0, np.zeros((256, 6)), 0)
        while self.day < self.days:
            first = self.day = self.day + 1
            for event in self._events.pop_due(first):
                apply_event(self, event)
            last = min(self.days, self._events.next_day() - 1)
            raw = self.rng.bit_generator.random_raw(last - first + 1)
            seeds = (raw % draws.SEED_BOUND).astype(np.int64)
            r, seen = self.records, logs
            self._supply_stale, logs = advance_days(
                first, seeds, self.deterministic, self._supply_stale,
                r.state, r.world, r.rules, r.books, self.series.storage(last + 1), logs,
            )  # fmt: skip
            self.day = last
            self._record_logs(logs, seen)
        self.running = False

    def _record_logs(self, logs: tuple, seen: tuple) -> None:
        """Record the captures and strikes the compiled days logged after `seen`."""
        captures, n_captures, strikes, n_strikes = logs
        _, captures_seen, _, strikes_seen = seen
        for day, place, previous, new in captures[captures_seen:n_captures]:
            self._record_capture(int(day), place, previous, new)
        if n_strikes > strikes_seen:
            self._strike_chunks.append(strikes[strikes_seen:n_strikes].copy())

    def _take_python_decisions(self) -> None:
        """Let each faction with a Python doctrine decide today (None: the compiled
        doctrine decides for it)."""
        for faction in self._python_doctrines:
            orders = faction.decide()
            if orders is None:
                release_orders(self, faction.index)
            else:
                apply_orders(self, faction.index, orders)

    def _record_capture(self, day: int, place: int, previous: int, new: int) -> None:
        """Log a place changing hands (faction and place numbers)."""
        capture = Capture(
            day=day,
            place=self.map.names[place],
            previous=self.factions[previous].key if previous >= 0 else None,
            new=self.factions[new].key,
        )
        self.captures.append(capture)
        self.datacollector.add_table_row(
            "captures",
            {"day": day, "place": capture.place, "from": capture.previous, "to": capture.new},
        )

    def _tally_day_zero(self) -> None:
        """Collect the initial state, as the data of day 0."""
        tally_day(self.records.state, self.records.world, self.records.books)
        self.datacollector.collect(self)

    # --- results ---------------------------------------------------------------------

    def date_of(self, day: int) -> dt.date | None:
        """Calendar date of a model day (None for a scenario without a start date)."""
        return None if self.start_date is None else self.start_date + dt.timedelta(days=day)

    def strike_log(self) -> np.ndarray:
        """(n, 6) every strike so far: day, air faction, target faction, place, sorties,
        casualties (faction and place numbers)."""
        if not self._strike_chunks:
            return np.empty((0, 6))
        return np.concatenate(self._strike_chunks)

    def strikes_on(self, day: int) -> np.ndarray:
        """(n, 5) the strikes of one day: air faction, target faction, place, sorties,
        casualties."""
        for rows in reversed(self._strike_chunks):
            if rows[0, 0] <= day:
                return rows[rows[:, 0] == day, 1:]
        return np.empty((0, 5))

    def faction_series(self) -> np.ndarray:
        """(days + 1, series, factions): the daily records of `FACTION_SERIES`, from
        day 0 (read-only)."""
        return self.series.view()


@dataclasses.dataclass
class DayBuffers:
    """Arrays the kernels fill each day, and the route searches' scratch, allocated once
    per run."""

    day_strike_losses: np.ndarray
    day_combat_losses: np.ndarray
    day_morale_hit: np.ndarray
    day_suppression: np.ndarray
    day_strikes_received: np.ndarray
    day_strike_log: np.ndarray
    day_captures: np.ndarray
    day_refuge: np.ndarray
    heap_keys: np.ndarray
    heap_values: np.ndarray
    search_km: np.ndarray
    search_found: np.ndarray

    @classmethod
    def allocate(cls, n_factions: int, n_places: int, world: Map) -> DayBuffers:
        heap = n_places + len(world.neighbours) + 2 * len(world.link_km) + 1
        return cls(
            day_strike_losses=np.zeros((n_factions, n_places)),
            day_combat_losses=np.zeros((n_factions, n_places)),
            day_morale_hit=np.zeros((n_factions, n_places)),
            day_suppression=np.zeros((n_factions, n_places)),
            day_strikes_received=np.zeros(n_factions),
            day_strike_log=np.zeros((0, 5)),
            day_captures=np.zeros((n_places, 3), dtype=np.int64),
            day_refuge=np.full((n_factions, n_places), -1, dtype=np.int64),
            heap_keys=np.zeros(heap),
            heap_values=np.zeros(heap, dtype=np.int64),
            search_km=np.full(n_places, np.inf),
            search_found=np.zeros(n_places, dtype=np.int64),
        )

    def fit_strike_log(self, n_flying: int, n_places: int) -> bool:
        """Make room for one strike per (flying faction, target faction, place); whether
        the log had to grow (a new array: the books must be bound again)."""
        rows = n_flying * len(self.day_strikes_received) * n_places
        if len(self.day_strike_log) >= rows:
            return False
        self.day_strike_log = np.zeros((rows, 5))
        return True


@dataclasses.dataclass(frozen=True)
class Switches:
    """Scenario-wide switches the kernels read (as rules)."""

    manoeuvre: bool


def _checked_classes(classes: dict[str, type[Faction]], factions: dict) -> dict:
    """The agent classes given by faction key, each checked to be a `Faction`."""
    for key, cls in classes.items():
        if key not in factions:
            raise ValueError(f"faction_classes: no faction {key!r} in the scenario")
        if not (isinstance(cls, type) and issubclass(cls, Faction)):
            raise TypeError(f"faction_classes[{key!r}] must be a subclass of Faction")
    return classes
