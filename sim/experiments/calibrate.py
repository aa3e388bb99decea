"""Calibration: fit a scenario's uncertain parameters to one period of a history file by
approximate Bayesian computation (ABC), and check the fit on the period held out.

The parameters are the numbers the scenario gives as distributions: their distributions
are the priors (`sim.experiments.priors`). The history is split at a date: the fit sees
only what is known by then (`fitting_history`: dated facts whose window has ended, the
part of `never` windows up to it, `holds` facts up to it, the months up to it) and
scores runs up to the split; the held-out period is everything after it
(`score_runs(..., after=split)`). A held-out fact never enters a distance that accepts or
weights a parameter set; each set's held-out distance is computed from the same runs and
reported beside it.

The sampler is ABC-SMC (population Monte Carlo: Toni et al. 2009; Beaumont et al. 2009)
with a fixed number of simulations per generation:

- generation 0 draws `proposals` parameter sets from the prior; each later generation
  draws them from the sets the generation before accepted, resampled by weight and moved
  by a Gaussian kernel of twice their weighted variance, truncated to each prior's range
  (a `choice` parameter keeps its value with probability CHOICE_STAY, else takes another
  of its values alike). Every move is thus allowed by the prior, and the kernel's density,
  which weights the sets, is exact: a kernel drawn again until the prior allows a move
  needs hundreds of draws per set over two dozen parameters, and one that gives up and
  draws from the prior weights that set wrongly;
- each set is run `runs_per_set` times, with seeds of its own, and its distance is the
  `distance` of those runs against the fitting period (`sim.experiments.score`);
- the `accepted` sets of smallest distance are kept (the generation's threshold is the
  largest distance kept), weighted prior density / proposal density (alike in
  generation 0).

The last generation's accepted sets and weights are the posterior. Each set's draws come
from a seed derived from the master seed, the generation and the set's index, its runs'
seeds likewise, and the sets are ranked by (distance, index): the result is the same
serially, on local processes and on a Dask cluster.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from scipy import special
from scipy.special import logsumexp
from tqdm import tqdm

from sim.experiments.priors import Parameter, priors_of, weighted_quantiles
from sim.experiments.score import (
    RunRecord,
    Score,
    frame_of,
    month_starts,
    record_run,
    score_runs,
)
from sim.experiments.workers import dask_client
from sim.formats.history import History, load_history
from sim.formats.problems import InputError, Problem
from sim.formats.scenario import load_scenario, parse_overrides

CHOICE_STAY = 0.7  # a `choice` parameter keeps its value with this probability when moved
PROPOSAL_STREAM = 0xCA11  # spawn keys: parameter draws, run seeds, posterior resampling
RUN_STREAM = 0xCA12
RESAMPLE_STREAM = 0xCA13
ONE_DAY = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class Budget:
    """How many simulations a calibration makes: generations x proposals x runs_per_set."""

    generations: int = 3
    proposals: int = 60  # parameter sets simulated per generation
    accepted: int = 20  # sets kept per generation: the posterior sample
    runs_per_set: int = 2

    @property
    def runs(self) -> int:
        return self.generations * self.proposals * self.runs_per_set


@dataclasses.dataclass(frozen=True)
class Settings:
    """A calibration's choices besides the scenario and the history."""

    budget: Budget = Budget()
    seed: int = 0
    holdout_after: dt.date | None = None  # the split; else from holdout_fraction
    holdout_fraction: float = 0.3  # share of the dated facts held out (the latest)
    parameters: tuple[str, ...] = ()  # key patterns to calibrate (default: all)
    workers: int | None = None
    scheduler: str | None = None


@dataclasses.dataclass(frozen=True)
class Target:
    """What every set is scored against: the whole history and the part before the split."""

    history: History
    fitting: History
    split: dt.date
    days: int  # runs end on the history's last date
    watch: tuple[str, ...]  # places whose supply a relief fact needs


@dataclasses.dataclass(frozen=True)
class SetTask:
    """One parameter set to simulate: everything a worker needs."""

    generation: int
    index: int
    scenario: str
    overrides: tuple[tuple[str, Any], ...]
    seeds: tuple[int, ...]
    target: Target


@dataclasses.dataclass
class SetResult:
    """A simulated set: its distances to the fitting and the held-out period, and its runs."""

    generation: int
    index: int
    distance: float
    holdout_distance: float
    records: list[RunRecord]


def simulate_set(task: SetTask) -> SetResult:
    """Run one parameter set `runs_per_set` times and score it on both periods."""
    target = task.target
    overrides = {**dict(task.overrides), "run.days": target.days}
    scenario = load_scenario(task.scenario, parse_overrides(overrides))
    records = [record_run(scenario, seed, target.watch) for seed in task.seeds]
    fit = score_runs(records, target.fitting, scenario, end=target.split)
    held = score_runs(records, target.history, scenario, after=target.split)
    return SetResult(task.generation, task.index, fit.distance, held.distance, records)


# ---- the split -------------------------------------------------------------------------------


def split_date(history: History, start: dt.date, settings: Settings) -> dt.date:
    """The last day of the fitting period: `holdout_after`, or the date that holds out the
    latest `holdout_fraction` of the dated facts (by the end of their window)."""
    if settings.holdout_after is not None:
        return settings.holdout_after
    ends = sorted(f.last for f in history.of_kind("control", "route_cut"))
    first, last = start, history.period[1]
    if not ends:
        return first + dt.timedelta(
            days=round((1 - settings.holdout_fraction) * (last - first).days)
        )
    kept = len(ends) - max(1, round(settings.holdout_fraction * len(ends)))
    return ends[kept - 1] if kept > 0 else first


def fitting_history(history: History, split: dt.date) -> History:
    """What is known of `history` by the end of `split`: dated facts whose window ended,
    `never` windows cut at the split, `holds` facts up to it."""
    facts = []
    for fact in history.facts:
        if fact.kind == "never" and fact.first <= split:
            facts.append(dataclasses.replace(fact, last=min(fact.last, split)))
        elif fact.kind != "never" and fact.last <= split:
            facts.append(fact)
    return History(history.source, tuple(facts))


def _check_split(target: Target, start: dt.date, flag: str) -> None:
    """The split must leave something to fit (a fact, or a month's map) before it and the
    history's end after it (the end has a fact: the hold-out is never empty)."""
    end = target.history.period[1]
    if not start <= target.split < end:
        message = (
            f"the split {target.split} must lie from the scenario's start {start} to the day "
            f"before the history's end {end}"
        )
        raise InputError([Problem(target.history.source, flag, message)])
    if not target.fitting.facts and not month_starts(start, target.split):
        message = f"the split {target.split} leaves nothing to fit before it"
        raise InputError([Problem(target.history.source, flag, message)])


# ---- the sampler ------------------------------------------------------------------------------


@dataclasses.dataclass
class Population:
    """A generation's accepted sets: sampled values (sets x parameters) and weights."""

    values: np.ndarray
    weights: np.ndarray
    kernel: Kernel


@dataclasses.dataclass
class Kernel:
    """How a set is moved: a normal step per range parameter, stay-or-switch per choice."""

    parameters: list[Parameter]
    scales: np.ndarray  # the step's standard deviation per continuous parameter

    @property
    def continuous(self) -> list[int]:
        return [i for i, p in enumerate(self.parameters) if not p.discrete]

    @property
    def discrete(self) -> list[int]:
        return [i for i, p in enumerate(self.parameters) if p.discrete]

    @classmethod
    def fitted(cls, parameters: list[Parameter], values: np.ndarray, weights: np.ndarray):
        """Steps of twice the weighted variance of each parameter (Beaumont et al. 2009),
        parameter by parameter: a full covariance needs more sets than there are
        parameters, which a small budget over many parameters does not have. Each step is
        at least 1 % of the prior's 90 % range, so that a parameter whose sets all agree can
        still move."""
        columns = [i for i, p in enumerate(parameters) if not p.discrete]
        x = values[:, columns]
        mean = weights @ x
        variance = weights @ (x - mean) ** 2
        floor = np.array([0.01 * _prior_width(parameters[i]) for i in columns])
        return cls(parameters, np.maximum(np.sqrt(2 * variance), floor))

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The prior's range of each continuous parameter (a kernel step stays inside)."""
        priors = [self.parameters[i].prior for i in self.continuous]
        return np.array([p.low for p in priors]), np.array([p.high for p in priors])

    def move(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        moved = x.copy()
        if self.continuous:
            start = x[self.continuous]
            low, high = self.bounds
            # a truncated normal step by its inverse distribution function: the start is
            # inside the range, so its ends are on either side of the step's mean
            a, b = (low - start) / self.scales, (high - start) / self.scales
            u = rng.uniform(special.ndtr(a), special.ndtr(b))
            moved[self.continuous] = np.clip(start + self.scales * special.ndtri(u), low, high)
        for i in self.discrete:
            values = self.parameters[i].prior.values
            others = [v for v in values if v != x[i]]
            if others and rng.random() >= CHOICE_STAY:
                moved[i] = others[rng.integers(len(others))]
        return moved

    def log_density(self, to: np.ndarray, start: np.ndarray) -> np.ndarray:
        """(len(to), len(start)): the log density of moving from each start to each set."""
        log = np.zeros((len(to), len(start)))
        if self.continuous:
            c = self.continuous
            z = (to[:, None, c] - start[None, :, c]) / self.scales
            low, high = self.bounds
            a, b = (low - start[:, c]) / self.scales, (high - start[:, c]) / self.scales
            mass = special.ndtr(b) - special.ndtr(a)  # (start, parameter); a <= 0 <= b
            step = -0.5 * z**2 - np.log(self.scales * np.sqrt(2 * np.pi)) - np.log(mass)
            log += step.sum(axis=2)
        for i in self.discrete:
            m = len(self.parameters[i].prior.values)
            same = to[:, None, i] == start[None, :, i]
            stay = CHOICE_STAY if m > 1 else 1.0
            log += np.log(np.where(same, stay, (1 - CHOICE_STAY) / max(1, m - 1)))
        return log


def _prior_width(parameter: Parameter) -> float:
    low, high = parameter.quantiles([0.05, 0.95])
    return float(high - low) or 1.0


def prior_density(parameters: list[Parameter], x: np.ndarray) -> float:
    return float(np.prod([p.density(v) for p, v in zip(parameters, x, strict=True)]))


def propose(
    parameters: list[Parameter],
    population: Population | None,
    generation: int,
    count: int,
    seed: int,
) -> np.ndarray:
    """`count` parameter sets of a generation: from the prior, or moved from `population`."""
    sets = np.empty((count, len(parameters)))
    for j in range(count):
        rng = np.random.default_rng(
            np.random.SeedSequence(seed, spawn_key=(PROPOSAL_STREAM, generation, j))
        )
        sets[j] = _one_proposal(parameters, population, rng)
    return sets


def _one_proposal(parameters, population, rng) -> np.ndarray:
    if population is None:
        return np.array([p.sample(rng) for p in parameters])
    start = population.values[rng.choice(len(population.weights), p=population.weights)]
    return population.kernel.move(start, rng)


def importance_weights(
    parameters: list[Parameter], sets: np.ndarray, previous: Population | None
) -> np.ndarray:
    """Prior density / proposal density of each set, normalised (alike for the prior);
    computed in logs, as densities over many parameters under- or overflow."""
    if previous is None:
        return np.full(len(sets), 1.0 / len(sets))
    with np.errstate(divide="ignore"):
        log_prior = np.log([prior_density(parameters, x) for x in sets])
        log_weights = np.log(previous.weights)
    log_proposal = logsumexp(
        previous.kernel.log_density(sets, previous.values) + log_weights, axis=1
    )
    log_w = log_prior - log_proposal
    weights = np.exp(log_w - np.max(log_w))
    return weights / weights.sum()


def run_seeds(seed: int, generation: int, index: int, runs: int) -> tuple[int, ...]:
    sequence = np.random.SeedSequence(seed, spawn_key=(RUN_STREAM, generation, index))
    return tuple(int(s) for s in sequence.generate_state(runs, dtype=np.uint32))


def set_overrides(parameters: list[Parameter], x: np.ndarray) -> tuple[tuple[str, Any], ...]:
    """The overrides that pin a set's values (`--set KEY=VALUE`)."""
    return tuple((p.key, p.value(v)) for p, v in zip(parameters, x, strict=True))


# ---- the calibration ------------------------------------------------------------------------


@dataclasses.dataclass
class GenerationSummary:
    """How one generation went."""

    number: int
    threshold: float  # the largest fitting distance accepted
    best: float
    median: float  # of the accepted
    effective_size: float  # 1 / sum of squared weights


@dataclasses.dataclass
class Calibration:
    """A finished calibration: every set simulated, the posterior, the fit on both periods."""

    scenario: Path
    history: Path
    settings: Settings
    split: dt.date
    start: dt.date
    end: dt.date
    parameters: list[Parameter]
    uncalibrated: list[str]
    sets: list[dict]  # every simulated set: generation, index, distances, values, accepted
    generations: list[GenerationSummary]
    posterior: np.ndarray  # the last generation's accepted sets (sampled values)
    weights: np.ndarray
    fit: dict[str, Score]  # prior/posterior x fitting/held-out
    seconds: float

    def posterior_quantiles(self, q: list[float]) -> np.ndarray:
        """(parameters, len(q)) weighted quantiles of the posterior."""
        return np.array(
            [
                weighted_quantiles(self.posterior[:, i], self.weights, q)
                for i in range(len(self.parameters))
            ]
        )


def calibrate(
    scenario_path: Path | str,
    history_path: Path | str,
    settings: Settings = Settings(),
    progress: bool = False,
) -> Calibration:
    """Fit the scenario's distributions to the history before the split (see the module)."""
    started = time.perf_counter()
    scenario = load_scenario(scenario_path)
    history = load_history(history_path)
    frame_of(scenario, history)  # check the history against the scenario before running
    parameters, uncalibrated = priors_of(scenario, settings.parameters)
    _check_inputs(Path(scenario_path), parameters, settings)
    start = scenario.spec.run.start_date
    target = make_target(history, start, settings)
    source = str(Path(scenario_path).resolve())
    sampled = _sample(parameters, target, source, settings, progress)
    posterior_records = _resampled(sampled.last_records, sampled.population.weights, settings.seed)
    prior_records, split = sampled.prior_records, target.split
    fit = {
        "prior_fitting": score_runs(prior_records, target.fitting, scenario, end=split),
        "prior_held_out": score_runs(prior_records, history, scenario, after=split),
        "posterior_fitting": score_runs(posterior_records, target.fitting, scenario, end=split),
        "posterior_held_out": score_runs(posterior_records, history, scenario, after=split),
    }
    return Calibration(
        scenario=Path(scenario_path),
        history=Path(history_path),
        settings=settings,
        split=split,
        start=start,
        end=history.period[1],
        parameters=parameters,
        uncalibrated=uncalibrated,
        sets=sampled.sets,
        generations=sampled.generations,
        posterior=sampled.population.values,
        weights=sampled.population.weights,
        fit=fit,
        seconds=time.perf_counter() - started,
    )


def _check_inputs(scenario: Path, parameters: list[Parameter], settings: Settings) -> None:
    if not parameters:
        wanted = ", ".join(settings.parameters) or "any key"
        message = f"has no distribution to calibrate (matching {wanted}) that an override can pin"
        raise InputError([Problem(scenario, "distributions", message)])
    budget = settings.budget
    if budget.accepted > budget.proposals:
        message = (
            f"cannot keep more sets ({budget.accepted}) than a generation simulates "
            f"({budget.proposals} proposals)"
        )
        raise InputError([Problem(scenario, "--accepted", message)])


def make_target(history: History, start: dt.date, settings: Settings) -> Target:
    """What every set is scored against, once the split is checked."""
    split = split_date(history, start, settings)
    end = history.period[1]
    target = Target(
        history=history,
        fitting=fitting_history(history, split),
        split=split,
        days=(end - start).days,
        watch=tuple(sorted({f.place for f in history.of_kind("control") if f.previous is None})),
    )
    _check_split(
        target, start, "--holdout-after" if settings.holdout_after else "--holdout-fraction"
    )
    return target


@dataclasses.dataclass
class Sampled:
    """What the generations made: every set, their summaries, the last population, and
    the runs of generation 0 (the prior's) and of the last generation's accepted sets."""

    sets: list[dict]
    generations: list[GenerationSummary]
    population: Population
    prior_records: list[RunRecord]
    last_records: list[list[RunRecord]]


def _sample(
    parameters: list[Parameter], target: Target, source: str, settings: Settings, progress: bool
) -> Sampled:
    """Run the generations of ABC-SMC (see the module)."""
    budget = settings.budget
    population: Population | None = None
    sets, generations, prior_records, last_records = [], [], [], []
    total = budget.generations * budget.proposals
    # no tqdm monitor thread: local workers are forked from this process when the first
    # set is handed out, and forking a process that runs other threads can deadlock
    tqdm.monitor_interval = 0
    with (
        _executor(settings.workers, settings.scheduler) as execute,
        tqdm(total=total, unit="set", disable=not progress) as bar,
    ):
        for g in range(budget.generations):
            proposals = propose(parameters, population, g, budget.proposals, settings.seed)
            tasks = [
                SetTask(g, j, source, set_overrides(parameters, x),
                        run_seeds(settings.seed, g, j, budget.runs_per_set), target)
                for j, x in enumerate(proposals)
            ]  # fmt: skip
            results = []
            for result in execute(tasks):
                results.append(result)
                bar.update()
            results.sort(key=lambda r: r.index)
            population, summary, accepted = _select(
                parameters, proposals, results, population, budget, g
            )
            generations.append(summary)
            sets += _set_rows(parameters, proposals, results, accepted, population, g)
            if g == 0:
                prior_records = [record for r in results for record in r.records]
            last_records = [results[i].records for i in accepted]
    return Sampled(sets, generations, population, prior_records, last_records)


def _select(parameters, proposals, results, previous, budget, generation):
    """Keep the `accepted` sets of smallest fitting distance (ties: lower index first)."""
    distances = np.array([r.distance for r in results])
    ranked = np.lexsort((np.arange(len(results)), np.nan_to_num(distances, nan=np.inf)))
    accepted = sorted(ranked[: budget.accepted].tolist())
    values = proposals[accepted]
    weights = importance_weights(parameters, values, previous)
    kernel = Kernel.fitted(parameters, values, weights)
    chosen = distances[accepted]
    summary = GenerationSummary(
        number=generation,
        threshold=float(np.max(chosen)),
        best=float(np.min(chosen)),
        median=float(np.median(chosen)),
        effective_size=float(1 / np.sum(weights**2)),
    )
    return Population(values, weights, kernel), summary, accepted


def _set_rows(parameters, proposals, results, accepted, population, generation) -> list[dict]:
    weight = dict(zip(accepted, population.weights, strict=True))
    return [
        {
            "generation": generation,
            "set": r.index,
            "accepted": r.index in weight,
            "weight": float(weight.get(r.index, 0.0)),
            "distance": r.distance,
            "holdout_distance": r.holdout_distance,
            "seeds": list(run_seeds_of(r)),
            **dict(set_overrides(parameters, proposals[r.index])),
        }
        for r in results
    ]


def run_seeds_of(result: SetResult) -> tuple[int, ...]:
    return tuple(record.seed for record in result.records)


def _resampled(records: list[list[RunRecord]], weights: np.ndarray, seed: int) -> list[RunRecord]:
    """The runs of the accepted sets, each set drawn by its weight (as many draws as
    sets): the posterior's predictive ensemble."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(RESAMPLE_STREAM,)))
    chosen = np.sort(rng.choice(len(records), size=len(records), p=weights))
    return [run for i in chosen for run in records[i]]


# ---- where sets are simulated ---------------------------------------------------------------


@contextlib.contextmanager
def _executor(
    workers: int | None, scheduler: str | None
) -> Iterator[Callable[[list[SetTask]], Iterator[SetResult]]]:
    """A function from tasks to results, on local processes or a Dask cluster (results in
    any order: the caller sorts them). One pool serves every generation."""
    if scheduler:
        with dask_client(scheduler) as client:
            yield lambda tasks: _on_dask(client, tasks)
        return
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        yield lambda tasks: map(simulate_set, tasks)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        yield lambda tasks: pool.map(simulate_set, tasks)


def _on_dask(client, tasks: list[SetTask]) -> Iterator[SetResult]:
    from distributed import as_completed

    for future in as_completed(client.map(simulate_set, tasks, pure=False)):
        yield future.result()
