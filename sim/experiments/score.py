"""Score a scenario against a history file: how well its runs reproduce what happened.

`score_scenario` runs a scenario N times (seeds `first_seed` .. `first_seed + N - 1`, in a
process pool or serially: the same numbers either way) and `score_runs` scores the runs'
records against a history (`sim.formats.history`). The score is:

- per dated fact (control, relief, route cut): the share of runs in which it happens by the
  period's end, and the error of its date in days (0 inside the window, negative early,
  positive late: median and interquartile range over the runs where it happens);
- per `never` fact: the share of runs that violate it;
- control: the Brier score of the runs' controllers per place on the first day of each month,
  where the record says who held the place, with the skill against two naive forecasts,
  `nothing_changes` (the recorded controller of the month before) and `start_persists` (the
  controller of day 0 throughout);
- the accuracy of the period-end map (the `holds` facts);
- `distance`, one number for calibration: the mean of four losses in [0, 1]
  (docs/history-format.md).

Model factions are read as the history's sides: a faction of the history is matched by
itself and by the factions allied to it on day 0 (e.g. the NDF holds for the regime).
`calibrate` (later) calls `score_runs` on the records of each parameter set.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import functools
import json
import multiprocessing
import os
from pathlib import Path

import numpy as np

from sim.formats.history import (
    COLUMNS,
    Fact,
    History,
    check_history_against,
    load_history,
)
from sim.formats.problems import InputError
from sim.formats.scenario import Scenario, load_scenario

NONE = -1  # a place held by no side of the history


@dataclasses.dataclass
class RunRecord:
    """What scoring needs of one run: the daily holders and the captures, as model keys."""

    seed: int
    controller: np.ndarray  # (days + 1, places): model faction index, -1 none
    captures: list[tuple[int, str, str | None, str]]  # (day, place, from, to)
    supplied: dict[str, np.ndarray]  # place -> (days + 1,) bool: supplied for its holder


def record_run(scenario: Scenario, seed: int, watch: tuple[str, ...] = ()) -> RunRecord:
    """Run `scenario` with `seed`, keeping each day's controllers and whether the places
    in `watch` are supplied for their holder."""
    from sim.model.model import FrontlineModel

    model = FrontlineModel(scenario, seed=seed)
    places = [model.map.index(p) for p in watch]
    rows, supplied = [model.controller.copy()], [[_supplied(model, p) for p in places]]
    for _ in range(model.days):
        model.step()
        rows.append(model.controller.copy())
        supplied.append([_supplied(model, p) for p in places])
    flags = np.array(supplied, dtype=bool).reshape(len(rows), len(places))
    captures = [(c.day, c.place, c.previous, c.new) for c in model.captures]
    return RunRecord(
        seed=seed,
        controller=np.array(rows, dtype=np.int16),
        captures=captures,
        supplied={name: flags[:, i] for i, name in enumerate(watch)},
    )


def _supplied(model, place: int) -> bool:
    holder = model.controller[place]
    return bool(holder >= 0 and model.supplied[holder, place])


def _record_task(task: tuple[Scenario, int, tuple[str, ...]]) -> RunRecord:
    return record_run(*task)


def record_runs(
    scenario: Scenario, seeds: list[int], watch: tuple[str, ...] = (), workers: int | None = None
) -> list[RunRecord]:
    """The records of runs with `seeds`, in seed order, on `workers` processes."""
    tasks = [(scenario, seed, watch) for seed in seeds]
    workers = min(workers or os.cpu_count() or 1, len(tasks))
    if workers <= 1:
        return [_record_task(task) for task in tasks]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(_record_task, tasks))


# ---- reading the model's factions as the history's sides -----------------------------------


@dataclasses.dataclass(frozen=True)
class Frame:
    """How a scenario's runs are read against a history: dates, places, sides."""

    start: dt.date
    names: tuple[str, ...]  # place names, map order
    sides: tuple[str, ...]  # the history's factions, sorted
    side_of: np.ndarray  # model faction index -> side index (-1 none)
    faction_keys: tuple[str, ...]
    neighbours_start: np.ndarray
    neighbours: np.ndarray

    def day(self, date: dt.date) -> int:
        return (date - self.start).days

    @functools.cached_property
    def adjacency(self) -> tuple[tuple[int, ...], ...]:
        """Each place's neighbours, as Python numbers (a search in Python over these is
        several times faster than over slices of the arrays)."""
        starts, ends = self.neighbours_start.tolist(), self.neighbours.tolist()
        return tuple(tuple(ends[starts[p] : starts[p + 1]]) for p in range(len(self.names)))

    def place(self, name: str) -> int:
        return self.names.index(name)

    def side_key(self, faction: str | None) -> int:
        """Side index of a model faction key (None: no side)."""
        return NONE if faction is None else int(self.side_of[self.faction_keys.index(faction)])

    def sides_daily(self, record: RunRecord) -> np.ndarray:
        """(days + 1, places): the side holding each place each day."""
        table = np.append(self.side_of, NONE)  # index -1 (no holder) maps to NONE
        return table[record.controller]


def frame_of(scenario: Scenario, history: History) -> Frame:
    """Check the history against the scenario and read the scenario's factions as sides."""
    spec = scenario.spec
    problems = check_history_against(
        history, set(scenario.map.names), set(spec.factions), spec.run.start_date, spec.run.days
    )
    if problems:
        raise InputError(problems)
    return frame_with_sides(scenario, tuple(sorted(history.factions)))


def frame_with_sides(scenario: Scenario, sides: tuple[str, ...]) -> Frame:
    """The frame that reads each model faction as `sides`: itself if it is one, else the
    first side it is allied to on day 0 (none otherwise)."""
    spec = scenario.spec
    keys = tuple(spec.factions)
    side_of = np.full(len(keys), NONE, dtype=np.int64)
    for i, key in enumerate(keys):
        if key in sides:
            side_of[i] = sides.index(key)
            continue
        for j, side in enumerate(sides):
            allied = spec.factions[key].relations.get(side) == "allied" or (
                spec.factions[side].relations.get(key) == "allied"
            )
            if allied:
                side_of[i] = j
                break
    world = scenario.map
    return Frame(
        start=spec.run.start_date, names=tuple(world.names), sides=sides, side_of=side_of,
        faction_keys=keys, neighbours_start=world.neighbours_start, neighbours=world.neighbours,
    )  # fmt: skip


def synthetic_history(
    record: RunRecord, scenario: Scenario, sides: tuple[str, ...], end: dt.date
) -> str:
    """A history file (CSV text) of what happened in one run up to `end`: every change of
    side of a place as a one-day `control` fact, and the map of `end` as `holds` facts.
    Scoring runs against it tells how near the score can come to perfect."""
    frame = frame_with_sides(scenario, sides)
    rows = [",".join(COLUMNS)]
    for day, place, previous, new in record.captures:
        a, b = frame.side_key(previous), frame.side_key(new)
        date = frame.start + dt.timedelta(days=day)
        if a != b and a != NONE and b != NONE and date <= end:
            rows.append(f"control,{_csv(place)},{sides[a]},{sides[b]},{date},{date},,model run")
    daily = frame.sides_daily(record)[frame.day(end)]
    for place, side in zip(frame.names, daily, strict=True):
        if side != NONE:
            rows.append(f"holds,{_csv(place)},,{sides[side]},{end},{end},,model run")
    return "\n".join(rows) + "\n"


def _csv(text: str) -> str:
    return f'"{text}"' if any(c in text for c in ',"') else text


# ---- the score --------------------------------------------------------------------------------


@dataclasses.dataclass
class FactScore:
    """The runs against one fact."""

    label: str
    line: int
    kind: str
    first: str
    last: str
    happened: float  # share of runs where it happens by the period's end (never: violated)
    errors: list[float]  # signed date errors in days, runs where it happens
    median_error: float | None
    iqr_error: tuple[float, float] | None
    days: list[int | None]  # per run, the day it happens (None: not by the period's end)


@dataclasses.dataclass
class Score:
    """A scenario's runs against a history (see the module docstring)."""

    scenario: str
    history: str
    seeds: list[int]
    period: tuple[str, str]
    facts: list[FactScore]
    never: list[FactScore]
    brier: float | None
    brier_nothing_changes: float | None
    brier_start_persists: float | None
    skill_nothing_changes: float | None
    skill_start_persists: float | None
    brier_cells: int
    brier_by_month: dict[str, float]
    brier_by_place: dict[str, float]
    end_date: str | None
    end_accuracy: float | None  # mean over runs
    end_accuracy_range: tuple[float, float] | None
    end_accuracy_start_persists: float | None
    end_misses: dict[str, float]  # place -> share of runs that get it wrong (wrong in any)
    distance: float

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def score_runs(
    records: list[RunRecord],
    history: History,
    scenario: Scenario,
    *,
    after: dt.date | None = None,
    end: dt.date | None = None,
) -> Score:
    """Score run records against a history (the function calibration calls).

    The period scored runs from the scenario's start to `end` (default: the history's last
    date). With `after`, only what is dated after it is scored (a held-out period): dated
    facts whose window ends after it, the part of `never` windows after it, `holds` facts,
    and the months, after it; the earlier facts still say who held what before.
    """
    frame = frame_of(scenario, history)
    sides = [frame.sides_daily(r) for r in records]
    end = end or history.period[1]
    end_day = min(frame.day(end), sides[0].shape[0] - 1)
    dated = [
        f
        for f in history.of_kind("control", "route_cut")
        if (after is None or f.last > after) and f.last <= end
    ]
    ranks = fact_ranks(history)
    facts = [_fact_score(f, frame, records, sides, end_day, ranks[f.line]) for f in dated]
    windows = [_clipped(f, after, end) for f in history.of_kind("never")]
    never = [_never_score(f, frame, records) for f in windows if f is not None]
    brier = _brier(history, frame, sides, end, after)
    holds = _end_state(history, frame, sides, after, end)
    losses = [
        np.mean([_fact_loss(f) for f in facts]) if facts else None,
        np.mean([f.happened for f in never]) if never else None,
        brier["model"] / 2 if brier["model"] is not None else None,
        1 - holds["accuracy"] if holds["accuracy"] is not None else None,
    ]
    present = [float(x) for x in losses if x is not None]
    return Score(
        scenario=str(scenario.source), history=str(history.source),
        seeds=[r.seed for r in records],
        period=(str(frame.start if after is None else after + ONE_DAY), str(end)),
        facts=facts, never=never,
        brier=brier["model"], brier_nothing_changes=brier["nothing_changes"],
        brier_start_persists=brier["start_persists"],
        skill_nothing_changes=_skill(brier["model"], brier["nothing_changes"]),
        skill_start_persists=_skill(brier["model"], brier["start_persists"]),
        brier_cells=brier["cells"], brier_by_month=brier["by_month"],
        brier_by_place=brier["by_place"],
        end_date=holds["date"], end_accuracy=holds["accuracy"], end_accuracy_range=holds["range"],
        end_accuracy_start_persists=holds["start_persists"], end_misses=holds["misses"],
        distance=float(np.mean(present)) if present else float("nan"),
    )  # fmt: skip


ONE_DAY = dt.timedelta(days=1)


def _clipped(fact: Fact, after: dt.date | None, end: dt.date) -> Fact | None:
    """A `never` fact with its window cut to (after, end], or None if nothing is left."""
    first = fact.first if after is None else max(fact.first, after + ONE_DAY)
    last = min(fact.last, end)
    return dataclasses.replace(fact, first=first, last=last) if first <= last else None


def _skill(model: float | None, baseline: float | None) -> float | None:
    if model is None or not baseline:
        return None
    return 1 - model / baseline


DATE_SCALE_DAYS = 30.0  # a date error of this size costs as much as the fact not happening


def _fact_loss(fact: FactScore) -> float:
    """Mean over runs of: 1 if it does not happen, else min(1, |error| / 30 days)."""
    losses = [1.0 if d is None else 0.0 for d in fact.days]
    errors = iter(fact.errors)
    for i, day in enumerate(fact.days):
        if day is not None:
            losses[i] = min(1.0, abs(next(errors)) / DATE_SCALE_DAYS)
    return float(np.mean(losses))


def _fact_score(
    fact: Fact,
    frame: Frame,
    records: list[RunRecord],
    sides: list[np.ndarray],
    end_day: int,
    rank: int,
) -> FactScore:
    days = []
    for record, daily in zip(records, sides, strict=True):
        if fact.kind == "route_cut":
            day = _route_cut_day(fact, frame, daily, end_day)
        elif fact.previous is None:
            day = _relief_day(fact, frame, record, daily, end_day)
        else:
            day = _change_day(fact, frame, record, end_day, rank)
        days.append(day)
    window = (frame.day(fact.first), frame.day(fact.last))
    errors = [_error(d, window) for d in days if d is not None]
    return FactScore(
        label=fact.label, line=fact.line, kind=fact.kind, first=str(fact.first),
        last=str(fact.last), happened=float(np.mean([d is not None for d in days])),
        errors=errors, median_error=float(np.median(errors)) if errors else None,
        iqr_error=tuple(float(q) for q in np.quantile(errors, [0.25, 0.75])) if errors else None,
        days=days,
    )  # fmt: skip


def _error(day: int, window: tuple[int, int]) -> float:
    """Days early (negative) or late (positive) against the window; 0 inside it."""
    first, last = window
    return float(min(0, day - first) + max(0, day - last))


def _side_changes(frame: Frame, record: RunRecord, place: str) -> list[tuple[int, int, int]]:
    """(day, from side, to side) of the captures of `place` that change its side."""
    changes = []
    for day, name, previous, new in record.captures:
        if name == place:
            a, b = frame.side_key(previous), frame.side_key(new)
            if a != b:
                changes.append((day, a, b))
    return changes


def _change_day(fact: Fact, frame: Frame, record: RunRecord, end_day: int, rank: int) -> int | None:
    """The day of the capture matching the fact: the k-th change from->to of the place for
    the k-th such fact of the history (facts and captures each in date order)."""
    a, b = frame.sides.index(fact.previous), frame.sides.index(fact.new)
    matches = [d for d, x, y in _side_changes(frame, record, fact.place) if (x, y) == (a, b)]
    return matches[rank] if rank < len(matches) and matches[rank] <= end_day else None


def fact_ranks(history: History) -> dict[int, int]:
    """By line: how many facts of the same place and sides come before it, in date order
    (e.g. Mhin regime>isis happened twice: the second is matched to a run's second such capture)."""
    seen: dict[tuple, int] = {}
    ranks = {}
    for fact in sorted(history.facts, key=lambda f: (f.first, f.line)):
        key = (fact.kind, fact.place, fact.previous, fact.new)
        ranks[fact.line] = seen.get(key, 0)
        seen[key] = ranks[fact.line] + 1
    return ranks


def _relief_day(
    fact: Fact, frame: Frame, record: RunRecord, daily: np.ndarray, end_day: int
) -> int | None:
    """First day the place is held by the fact's side and supplied."""
    side, place = frame.sides.index(fact.new), frame.place(fact.place)
    supplied = record.supplied.get(fact.place)
    if supplied is None:
        return None
    ok = (daily[: end_day + 1, place] == side) & supplied[: end_day + 1]
    hits = np.flatnonzero(ok)
    return int(hits[0]) if hits.size else None


def _route_cut_day(fact: Fact, frame: Frame, daily: np.ndarray, end_day: int) -> int | None:
    """First day no chain of places held by the `from` side joins the route's two ends."""
    side = frame.sides.index(fact.previous)
    a, b = (frame.place(p) for p in fact.places)
    previous_row = None
    for day in range(end_day + 1):
        row = daily[day]
        if previous_row is not None and np.array_equal(row, previous_row):
            continue
        previous_row = row
        if not _joined(frame.adjacency, (row == side).tolist(), a, b):
            return day
    return None


def _joined(adjacency: tuple[tuple[int, ...], ...], held: list[bool], a: int, b: int) -> bool:
    """Whether a chain of `held` places joins places `a` and `b`."""
    if not (held[a] and held[b]):
        return False
    seen, stack = {a}, [a]
    while stack:
        p = stack.pop()
        if p == b:
            return True
        for q in adjacency[p]:
            if held[q] and q not in seen:
                seen.add(q)
                stack.append(q)
    return False


def _never_score(fact: Fact, frame: Frame, records: list[RunRecord]) -> FactScore:
    """Share of runs in which the forbidden capture happens inside the window."""
    new = frame.sides.index(fact.new)
    previous = None if fact.previous is None else frame.sides.index(fact.previous)
    first, last = frame.day(fact.first), frame.day(fact.last)
    days = []
    for record in records:
        hits = [
            d
            for d, a, b in _side_changes(frame, record, fact.place)
            if b == new and previous in (None, a) and first <= d <= last
        ]
        days.append(hits[0] if hits else None)
    return FactScore(
        label=fact.label, line=fact.line, kind=fact.kind, first=str(fact.first),
        last=str(fact.last), happened=float(np.mean([d is not None for d in days])),
        errors=[], median_error=None, iqr_error=None, days=days,
    )  # fmt: skip


# ---- control: the monthly Brier score and the period-end map ----------------------------------


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of each month after `start`, up to `end` inclusive."""
    dates, year, month = [], start.year, start.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        date = dt.date(year, month, 1)
        if date > end:
            return dates
        dates.append(date)


def recorded_controller(
    history: History, frame: Frame, start_sides: np.ndarray, place: str, date: dt.date
) -> int | None:
    """The side the record says held `place` on `date`, or None where it does not say.

    The record: the day-0 controllers, then the history's control changes of the place in
    date order, and its `holds` facts. Unknown: inside a change's window, and between two
    records that disagree with no change to explain it (a change that was not recorded).
    """
    states = [(frame.start, frame.start, int(start_sides[frame.place(place)]))]  # (from, to, side)
    for fact in history.facts:
        if fact.place != place:
            continue
        if fact.kind == "control" and fact.previous is not None:
            states.append((fact.first, fact.last, None))  # unknown during the window
            states.append(
                (fact.last + dt.timedelta(days=1), fact.last, frame.sides.index(fact.new))
            )
        elif fact.kind == "holds":
            states.append((fact.first, fact.first, frame.sides.index(fact.new)))
    states.sort(key=lambda s: (s[0], s[2] is not None))
    before = [s for s in states if s[0] <= date]
    later = [s for s in states if s[0] > date]
    if before[-1][2] is None and before[-1][1] >= date:
        return None  # inside a change's window
    known = next(s[2] for s in reversed(before) if s[2] is not None)
    if later and later[0][2] is not None and later[0][2] != known:
        return None  # the next record differs with no recorded change between
    return known


def _brier(
    history: History,
    frame: Frame,
    sides: list[np.ndarray],
    end: dt.date,
    after: dt.date | None = None,
) -> dict:
    dates = [d for d in month_starts(frame.start, end) if after is None or d > after]
    categories = len(frame.sides) + 1  # the sides and "none"
    total, nothing, persists = [], [], []
    by_month: dict[str, list[float]] = {}
    by_place: dict[str, list[float]] = {}
    runs = np.array([s[[min(frame.day(d), s.shape[0] - 1) for d in dates]] for s in sides])
    cells = recorded_cells(history, frame, sides[0][0], tuple(dates))
    scores = _cell_scores(runs, cells, categories)
    for (m, p, truth, previous), model in zip(cells, scores, strict=True):
        nothing.append(0.0 if previous == truth else 2.0)
        persists.append(0.0 if int(sides[0][0][p]) == truth else 2.0)
        total.append(model)
        by_month.setdefault(str(dates[m]), []).append(model)
        by_place.setdefault(frame.names[p], []).append(model)
    mean = lambda values: float(np.mean(values)) if values else None  # noqa: E731
    return {
        "model": mean(total), "nothing_changes": mean(nothing), "start_persists": mean(persists),
        "cells": len(cells), "by_month": {k: mean(v) for k, v in by_month.items()},
        "by_place": {k: mean(v) for k, v in by_place.items()},
    }  # fmt: skip


def _cell_scores(runs: np.ndarray, cells: list[tuple], categories: int) -> list[float]:
    """The Brier score of each recorded place-month: the runs' share in each category (a
    side, or none) against the recorded one. `runs`: (run, month, place) of sides."""
    if not cells:
        return []
    table = np.array(cells)  # (cell, [month, place, recorded side, side a month before])
    month, place, truth = table[:, 0], table[:, 1], table[:, 2]
    chosen = runs[:, month, place] % categories  # (run, cell)
    counts = (chosen[:, :, None] == np.arange(categories)).sum(axis=0)  # (cell, category)
    forecast = counts / runs.shape[0]
    outcome = np.eye(categories)[truth % categories]
    return ((forecast - outcome) ** 2).sum(axis=1).tolist()


_RECORDED: dict[tuple, list[tuple[int, int, int, int]]] = {}
RECORDED_KEPT = 8  # record tables kept per process (calibration scores one history many times)


def recorded_cells(
    history: History, frame: Frame, start_sides: np.ndarray, dates: tuple[dt.date, ...]
) -> list[tuple[int, int, int, int]]:
    """(month, place, recorded side, side a month before) of every place-month whose
    controller the record gives. It depends on the history and the start alone, not on
    the runs: computed once per process and kept (calibration scores thousands of runs)."""
    key = (history, frame.start, frame.names, frame.sides, start_sides.tobytes(), dates)
    if key not in _RECORDED:
        if len(_RECORDED) >= RECORDED_KEPT:
            _RECORDED.clear()
        cells = []
        for m, date in enumerate(dates):
            month_before = max(frame.start, _month_before(date))
            for p, place in enumerate(frame.names):
                truth = recorded_controller(history, frame, start_sides, place, date)
                if truth is not None:
                    previous = _last_known(history, frame, start_sides, place, month_before)
                    cells.append((m, p, truth, previous))
        _RECORDED[key] = cells
    return _RECORDED[key]


def _month_before(date: dt.date) -> dt.date:
    """The first day of the month before `date`'s."""
    return (
        dt.date(date.year - 1, 12, 1) if date.month == 1 else dt.date(date.year, date.month - 1, 1)
    )


def _last_known(
    history: History, frame: Frame, start_sides: np.ndarray, place: str, date: dt.date
) -> int:
    """The recorded side on `date`, or on the latest earlier date it is known (day 0 at worst)."""
    while date > frame.start:
        known = recorded_controller(history, frame, start_sides, place, date)
        if known is not None:
            return known
        date -= dt.timedelta(days=1)
    return int(start_sides[frame.place(place)])


def _end_state(
    history: History,
    frame: Frame,
    sides: list[np.ndarray],
    after: dt.date | None = None,
    end: dt.date | None = None,
) -> dict:
    holds = [
        f
        for f in history.of_kind("holds")
        if (after is None or f.first > after) and (end is None or f.first <= end)
    ]
    empty = {"date": None, "accuracy": None, "range": None, "start_persists": None, "misses": {}}
    if not holds:
        return empty
    date = max(f.first for f in holds)
    final = [f for f in holds if f.first == date]
    day = min(frame.day(date), sides[0].shape[0] - 1)
    places = np.array([frame.place(f.place) for f in final])
    truth = np.array([frame.sides.index(f.new) for f in final])
    right = np.array([s[day, places] == truth for s in sides])  # runs x places
    per_run = right.mean(axis=1)
    start_right = float(np.mean(sides[0][0, places] == truth))
    misses = {f.place: float(1 - right[:, i].mean()) for i, f in enumerate(final)}
    return {
        "date": str(date), "accuracy": float(per_run.mean()),
        "range": (float(per_run.min()), float(per_run.max())), "start_persists": start_right,
        "misses": {k: v for k, v in sorted(misses.items(), key=lambda kv: -kv[1]) if v > 0},
    }  # fmt: skip


# ---- the command ------------------------------------------------------------------------------


def score_scenario(
    scenario_path: Path | str,
    history_path: Path | str,
    replicates: int = 50,
    first_seed: int = 0,
    workers: int | None = None,
) -> Score:
    """Run a scenario `replicates` times and score the runs against a history file."""
    history = load_history(history_path)
    scenario = load_scenario(scenario_path)
    frame_of(scenario, history)  # check the history against the scenario before running
    watch = tuple(sorted({f.place for f in history.of_kind("control") if f.previous is None}))
    seeds = list(range(first_seed, first_seed + replicates))
    records = record_runs(scenario, seeds, watch, workers)
    return score_runs(records, history, scenario)


def format_score(score: Score) -> str:
    """The readable table of a score."""
    lines = [
        f"{score.scenario} against {score.history}",
        f"{len(score.seeds)} runs (seeds {score.seeds[0]}-{score.seeds[-1]}), "
        f"period {score.period[0]} to {score.period[1]}",
        "",
        f"{'fact (line)':<60} {'happens':>7} {'median':>7} {'IQR (days)':>14}",
    ]
    for f in score.facts:
        median = "-" if f.median_error is None else f"{f.median_error:+.0f}"
        iqr = "-" if f.iqr_error is None else f"{f.iqr_error[0]:+.0f} to {f.iqr_error[1]:+.0f}"
        lines.append(f"{f.label + f' ({f.line})':<60} {f.happened:>7.0%} {median:>7} {iqr:>14}")
    if score.never:
        lines += ["", f"{'never (line)':<60} {'violated':>8}"]
        lines += [f"{f.label + f' ({f.line})':<60} {f.happened:>8.0%}" for f in score.never]
    lines.append("")
    if score.brier is not None:
        lines.append(
            f"control, Brier score (0 best, 2 worst) over {score.brier_cells} place-months: "
            f"model {score.brier:.3f}; nothing changes {score.brier_nothing_changes:.3f} "
            f"(skill {_fmt(score.skill_nothing_changes)}); start persists "
            f"{score.brier_start_persists:.3f} (skill {_fmt(score.skill_start_persists)})"
        )
    if score.end_accuracy is not None:
        low, high = score.end_accuracy_range
        lines.append(
            f"period-end map ({score.end_date}): {score.end_accuracy:.1%} of places right "
            f"(runs {low:.1%} to {high:.1%}; "
            f"the start's map: {score.end_accuracy_start_persists:.1%})"
        )
        worst = list(score.end_misses.items())[:10]
        if worst:
            lines.append("  most often wrong: " + ", ".join(f"{p} {v:.0%}" for p, v in worst))
    lines.append(f"distance (0 perfect, 1 worst; for calibration): {score.distance:.3f}")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "undefined" if value is None else f"{value:+.2f}"


def write_score(score: Score, directory: Path) -> dict[str, Path]:
    """Write score.txt, score.json and timeline.png into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "table": directory / "score.txt",
        "json": directory / "score.json",
        "plot": directory / "timeline.png",
    }
    paths["table"].write_text(format_score(score) + "\n", encoding="utf-8")
    paths["json"].write_text(json.dumps(score.to_json(), indent=1) + "\n", encoding="utf-8")
    paths["plot"].write_bytes(timeline_png(score))
    return paths


def timeline_png(score: Score) -> bytes:
    """The dated facts on a time line: each fact's window and the model's dates."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.outcomes.pages import png

    start = dt.date.fromisoformat(score.period[0])
    facts = score.facts
    figure, axis = plt.subplots(figsize=(9, 0.35 * len(facts) + 1.5))
    for row, fact in enumerate(facts):
        first = (dt.date.fromisoformat(fact.first) - start).days
        last = (dt.date.fromisoformat(fact.last) - start).days
        axis.barh(row, last - first + 1, left=first - 0.5, height=0.6, color="C0", alpha=0.3)
        days = [d for d in fact.days if d is not None]
        if days:
            jitter = np.random.default_rng(row).uniform(-0.2, 0.2, len(days))
            axis.scatter(days, row + jitter, s=8, color="C3", alpha=0.6)
        axis.annotate(
            f"{fact.happened:.0%}", (1.0, row), xycoords=("axes fraction", "data"),
            xytext=(4, 0), textcoords="offset points", va="center", fontsize=7,
        )  # fmt: skip
    axis.set_yticks(range(len(facts)), [f.label for f in facts], fontsize=7)
    axis.invert_yaxis()
    end = (dt.date.fromisoformat(score.period[1]) - start).days
    axis.set_xlim(-2, end + 2)
    axis.set_xlabel(f"day (0 = {start}); blue: the record's window; red: the runs' dates")
    axis.set_title("Dated facts: share of runs where each happens (right)", fontsize=9)
    return png(figure)
