"""Experiments: an experiment file checked against its scenarios, and planned as runs.

The file format is `sim.formats.experiment`; an experiment is TOML data, checked like a
scenario (`sim.formats.typed_tables`): every problem is reported with the file and key
path. Checking also finds what would otherwise fail
only during or after a sweep: every variant's scenario is loaded with its overrides,
and again with each value the design may give a parameter (both ends of a range, every
grid value); the recorded and compared metrics must be ones the runs produce
(`metric_names`). `plan()` turns it into the list of runs of a sweep, each with a seed
derived from the master seed by `numpy.random.SeedSequence`, and with the
`frontline run` command that reproduces it alone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from sim.experiments.design import Value, design_points, is_whole_number, key_parts, key_value
from sim.experiments.posterior import ACCEPTED, PosteriorUse, check_posterior
from sim.formats.experiment import MAX_RUNS, DesignSpec, ExperimentSpec
from sim.formats.input_files import read_toml
from sim.formats.paths import OutsideRootsError, outside_message, scenario_roots
from sim.formats.problems import InputError, Problem
from sim.formats.scenario import (
    OVERRIDE_SOURCE,
    Confinement,
    Scenario,
    check_scenario,
    parse_overrides,
)
from sim.formats.typed_tables import (
    KeyPath,
    Report,
    did_you_mean,
    format_path,
    from_table,
    toml_value,
)
from sim.model.events import EventQueue, apply_event
from sim.model.model import FrontlineModel
from sim.outcomes import metrics


@dataclasses.dataclass(frozen=True)
class RunTask:
    """One run of a sweep: everything a worker needs, and how to repeat it by hand."""

    run_id: str
    variant: str
    point: int
    replicate: int
    seed: int
    scenario: str
    overrides: tuple[tuple[str, Any], ...]
    days: int | None
    metrics: tuple[str, ...]
    allow_outside: bool = False  # the experiment names files outside the scenario roots

    def command(self) -> str:
        """The `frontline run` command that repeats this run on its own (POSIX shell)."""
        parts = ["frontline", "run", shlex.quote(self.scenario), "--seed", str(self.seed)]
        if self.days is not None:
            parts += ["--days", str(self.days)]
        if self.allow_outside:
            parts += ["--allow-outside"]
        for name, value in self.overrides:
            parts += ["--set", shlex.quote(f"{name}={toml_value(value)}")]
        return " ".join(parts)


@dataclasses.dataclass
class Experiment:
    """A checked experiment with its scenarios loaded."""

    spec: ExperimentSpec
    source: Path
    scenarios: dict[str, Scenario]
    points: list[dict[str, Value]]
    allow_outside: bool = False  # its files may name files outside the scenario roots
    produced: dict[str, set[str]] = dataclasses.field(default_factory=dict)  # by variant

    def metric_columns(self) -> tuple[str, ...]:
        """The metrics its runs record: those it names, else every one a variant's runs
        can produce (`metric_names`), in a fixed order."""
        if self.spec.metrics:
            return tuple(self.spec.metrics)
        return tuple(sorted(set().union(*self.produced.values())))

    posterior: PosteriorUse | None = None

    @property
    def baseline(self) -> str:
        return next(name for name, v in self.spec.variants.items() if v.baseline)

    def digest(self) -> str:
        """Hash of the experiment file and every scenario file it uses (with `extends`)."""
        files = {self.source.resolve()}
        for scenario in self.scenarios.values():
            files |= {Path(f).resolve() for f in scenario.files}
        if self.posterior is not None:
            files.add(self.posterior.posterior.directory / ACCEPTED)
        digest = hashlib.sha256()
        for file in sorted(files):
            digest.update(str(file.name).encode() + b"\0" + file.read_bytes())
        return digest.hexdigest()

    def seed_stream(self, variant: int) -> int:
        """The seed stream of the variant listed `variant`-th: its own with independent
        seeds; with common seeds every variant takes the first variant's, so replicate k
        at a design point has the same seed in every variant."""
        return 0 if self.spec.pairing == "common_seeds" else variant

    def plan(self, replicates: int | None = None) -> list[RunTask]:
        """Every run of the sweep, in a fixed order, with its derived seed."""
        replicates = replicates or self.spec.replicates
        tasks = []
        for v, (name, variant) in enumerate(self.spec.variants.items()):
            scenario = str(self.scenarios[name].source)
            for point, parameters in enumerate(self.points):
                for replicate in range(replicates):
                    pinned = self._posterior_set(name, point, replicate)
                    overrides = tuple({**pinned, **variant.set, **parameters}.items())
                    seed = run_seed(self.spec.seed, self.seed_stream(v), point, replicate)
                    tasks.append(
                        RunTask(
                            run_id=f"{name}/{point}/{replicate}",
                            variant=name,
                            point=point,
                            replicate=replicate,
                            seed=seed,
                            scenario=scenario,
                            overrides=overrides,
                            days=self.spec.days,
                            metrics=tuple(self.spec.metrics),
                            allow_outside=self.allow_outside,
                        )
                    )
        return tasks

    def _posterior_set(self, variant: str, point: int, replicate: int) -> dict[str, Any]:
        """The overrides pinning a run's calibrated parameters (none without a posterior)."""
        if self.posterior is None:
            return {}
        return self.posterior.overrides(variant, self.spec.seed, point, replicate)


def run_seed(master: int, variant: int, point: int, replicate: int) -> int:
    """The seed of one run, independent of the order in which runs are done."""
    sequence = np.random.SeedSequence(master, spawn_key=(variant, point, replicate))
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def check_experiment(
    path: Path | str, posterior: Path | str | None = None, *, allow_outside: bool = False
) -> tuple[Experiment | None, list[Problem]]:
    """Load and check an experiment and its scenarios; return it and all problems.

    The variants' scenario files (and the files they extend) must lie in the experiment's
    folder or the project's scenario folders (`sim.formats.paths.scenario_roots`),
    unless `allow_outside`. `posterior` (a calibration folder) replaces the file's
    `posterior`.
    """
    path = Path(path)
    data, problems = read_toml(path)
    if data is None:
        return None, problems

    def report(key_path: KeyPath, message: str) -> None:
        problems.append(Problem(path, format_path(key_path), message))

    spec = from_table(ExperimentSpec, data, (), report)
    spec.name = spec.name or path.stem
    if posterior is not None:
        spec.posterior = str(Path(posterior).resolve())
    confinement = Confinement(scenario_roots(path), allow_outside)
    scenarios = _check_variants(spec, path, confinement, report, problems)
    use = _check_posterior(spec, path, scenarios, problems)
    points = _check_design(spec, scenarios, confinement, report)
    _check_size(spec, len(points), report)
    names = {variant: metric_names(s, spec.days) for variant, s in scenarios.items()}
    _check_metrics(spec, names, report)
    _check_comparisons(spec, names, report)
    _check_statistics(spec, report)
    if problems:
        return None, problems
    experiment = Experiment(
        spec, path, scenarios, points, allow_outside, produced=names, posterior=use
    )
    return experiment, []


def load_experiment(
    path: Path | str, posterior: Path | str | None = None, *, allow_outside: bool = False
) -> Experiment:
    """A checked experiment, or `InputError` naming every problem."""
    experiment, problems = check_experiment(path, posterior, allow_outside=allow_outside)
    if problems:
        raise InputError(problems)
    return experiment


def _check_size(spec: ExperimentSpec, points: int, report: Report) -> None:
    """A sweep's plan is held in memory: refuse one too large to hold (or ever finish)."""
    runs = len(spec.variants) * points * spec.replicates
    if runs > MAX_RUNS:
        report(
            ("replicates",),
            f"{len(spec.variants)} variants x {points} design points x {spec.replicates} "
            f"replicates make {runs:,} runs; a sweep holds at most {MAX_RUNS:,}",
        )


def _check_variants(
    spec: ExperimentSpec,
    path: Path,
    confinement: Confinement,
    report: Report,
    problems: list[Problem],
) -> dict[str, Scenario]:
    """Check the variants and load each one's scenario with its `set` overrides."""
    if not spec.variants:
        report(("variants",), "no variants: give at least a baseline")
    baselines = [name for name, v in spec.variants.items() if v.baseline]
    if spec.variants and len(baselines) != 1:
        found = len(baselines)
        report(("variants",), f"mark exactly one variant `baseline = true` (found {found})")
    scenarios = {}
    for name, variant in spec.variants.items():
        if variant.scenario is None:
            continue
        where = ("variants", name, "scenario")
        try:
            file = confinement.locate(path, variant.scenario)
        except OutsideRootsError as refused:
            report(where, outside_message(refused.resolved, refused.roots))
            continue
        if not file.is_file():
            report(where, f"no such file: {file}")
            continue
        scenario, found = _scenario_with(file, variant.set, confinement)
        problems += [_variant_problem(path, name, p) for p in found]
        if scenario is not None:
            scenarios[name] = scenario
    return scenarios


def _check_posterior(
    spec: ExperimentSpec, path: Path, scenarios: dict[str, Scenario], problems: list[Problem]
) -> PosteriorUse | None:
    """The experiment's posterior (`sim.experiments.posterior`), if it names one."""
    if spec.posterior is None:
        return None
    baseline = next((n for n, v in spec.variants.items() if v.baseline), None)
    use, found = check_posterior(path.parent / spec.posterior, scenarios, baseline)
    problems += [Problem(path, f"posterior: {p.file}: {p.where}", p.message) for p in found]
    return use


def _variant_problem(path: Path, variant: str, problem: Problem) -> Problem:
    """A problem of a variant's scenario, as experiment `path` reports it: in the
    variant's `set` if an override caused it, else in the scenario file it names."""
    where = format_path(("variants", variant))
    if problem.file == OVERRIDE_SOURCE:
        return Problem(path, f"{where}.set: {problem.where}", problem.message)
    return Problem(path, f"{where}: {problem.file}: {problem.where}", problem.message)


def _scenario_with(
    file: Path, overrides: dict[str, Any], confinement: Confinement
) -> tuple[Scenario | None, list]:
    """The scenario with keys overridden as a sweep overrides them, and its problems."""
    try:
        table = parse_overrides(overrides)
    except InputError as error:
        return None, error.problems
    return check_scenario(
        file, table, roots=confinement.roots, allow_outside=confinement.allow_outside
    )


def _check_design(
    spec: ExperimentSpec,
    scenarios: dict[str, Scenario],
    confinement: Confinement,
    report: Report,
) -> list[dict[str, Value]]:
    """The design's points ([{}] without a design), once every value the design may give
    a parameter has been checked against each variant's scenario."""
    if spec.design is None:
        return [{}]
    whole = {name for name in spec.design.parameters if is_whole_number(name)}
    for key_path, name, value in _design_values(spec.design, whole):
        for variant, scenario in scenarios.items():
            overrides = {**spec.variants[variant].set, name: value}
            _, found = _scenario_with(scenario.source, overrides, confinement)
            for problem in found:
                report(key_path, f"{_design_problem(problem, name)} (variant {variant!r})")
            if found:
                break
    return design_points(spec.design, spec.seed, report, whole)


def _design_values(design: DesignSpec, whole: set[str]) -> Iterator[tuple[KeyPath, str, Value]]:
    """Every value given for a parameter (both ends of a range, or each grid value), as
    the key takes it, with the key path that gives it."""
    for name, parameter in design.parameters.items():
        where = ("design", "parameters", name)
        if design.method == "grid":
            given = [((*where, "values", i), v) for i, v in enumerate(parameter.values)]
        else:
            given = [((*where, end), getattr(parameter, end)) for end in ("low", "high")]
        for key_path, value in given:
            if value is not None:
                yield key_path, name, key_value(value, name in whole)


def _design_problem(problem: Problem, name: str) -> str:
    """A scenario problem caused by a design value: just the message if it is about the
    parameter's own key, else with the file and key it is about."""
    own_key = format_path(key_parts(name) or ())
    about_own_key = problem.where == own_key or own_key.startswith(f"{problem.where}.")
    if problem.file == OVERRIDE_SOURCE and about_own_key:
        return problem.message
    return f"{problem.file}: {problem.where}: {problem.message}"


def metric_names(scenario: Scenario, days: int | None = None) -> set[str]:
    """Every metric a run of the scenario (over `days`, default its own) can record.

    The names `metrics.evaluate` gives a run, taken from a model before its first day,
    plus the strike share of every air force and target it may strike (a run records
    one only when the strike happens).
    """
    model = FrontlineModel(scenario, days=days)
    names = set(metrics.evaluate(model))
    strikes = [(0, a, g, 0, 0, 0) for a, g in _possible_strikes(model)]
    return names | set(metrics.standard_metrics(model, np.array(strikes).reshape(-1, 6)))


def _possible_strikes(model: FrontlineModel) -> set[tuple[int, int]]:
    """(air force, target) pairs that may strike, at the start or after any event up to
    the horizon (the model is changed by the events)."""
    pairs = _strikable(model)
    events = EventQueue(model.spec.events, model.start_date)
    events.pop_due(0)  # applied when the model was built
    for event in events.pop_due(model.days):
        apply_event(model, event)
        pairs |= _strikable(model)
    return pairs


def _strikable(model: FrontlineModel) -> set[tuple[int, int]]:
    """(air force, target) pairs that `sim.model.air` would task now: a faction flying sorties
    and an enemy with ground forces, among the targets it names if it names any."""
    params = model.params
    pairs = set()
    for a in np.flatnonzero(params.sorties > 0):
        named = params.targeting[a] > 0
        targets = model.hostile[a] & params.ground & (named if named.any() else True)
        pairs |= {(int(a), int(g)) for g in np.flatnonzero(targets)}
    return pairs


def _check_metrics(spec: ExperimentSpec, names: dict[str, set[str]], report: Report) -> None:
    """Each recorded metric must be one that some variant's runs produce."""
    if not names:  # no scenario loaded: its problems are reported already
        return
    produced = set().union(*names.values())
    for i, metric in enumerate(spec.metrics):
        if metric not in produced:
            report(
                ("metrics", i),
                f"no variant produces metric {metric!r}" + did_you_mean(metric, produced),
            )


PAIRED_TESTS = {
    "independent": ("mann-whitney", "permutation"),
    "common_seeds": ("signed-rank", "permutation"),
}


def _check_statistics(spec: ExperimentSpec, report: Report) -> None:
    """Each comparison's test suits the pairing, and its sesoi the claim; binary metrics
    are compared ones; precision needs a sesoi to aim at."""
    for name, comparison in spec.comparisons.items():
        path = ("comparisons", name)
        allowed = PAIRED_TESTS[spec.pairing]
        if comparison.test is not None and comparison.test not in allowed:
            report(
                (*path, "test"),
                f"{comparison.test!r} does not suit pairing = {spec.pairing!r}: use "
                + " or ".join(map(repr, allowed)),
            )
        if comparison.sesoi is not None and comparison.sesoi <= 0:
            report((*path, "sesoi"), f"must be above 0, got {comparison.sesoi}")
        if comparison.expect == "equivalent" and comparison.sesoi is None:
            report((*path, "sesoi"), "a claim of little or no effect (`equivalent`) needs one")
    compared = {c.metric for c in spec.comparisons.values()}
    for i, metric in enumerate(spec.binary):
        if metric not in compared:
            report(
                ("binary", i), f"{metric!r} is in no comparison" + did_you_mean(metric, compared)
            )
    if spec.precision is not None and all(c.sesoi is None for c in spec.comparisons.values()):
        report(("precision",), "no comparison declares a `sesoi` for the intervals to reach")


def _check_comparisons(spec: ExperimentSpec, names: dict[str, set[str]], report: Report) -> None:
    """A comparison names another variant, and a metric both it and the baseline produce
    and that the experiment records."""
    baseline = next((n for n, v in spec.variants.items() if v.baseline), None)
    for name, comparison in spec.comparisons.items():
        path = ("comparisons", name)
        if comparison.variant is not None and comparison.variant not in spec.variants:
            report((*path, "variant"), f"unknown variant {comparison.variant!r}")
        elif comparison.variant is not None and spec.variants[comparison.variant].baseline:
            report((*path, "variant"), "compare another variant with the baseline, not itself")
        if comparison.metric is None:
            continue
        if spec.metrics and comparison.metric not in spec.metrics:
            report((*path, "metric"), f"{comparison.metric!r} is not recorded: add it to `metrics`")
        for variant in dict.fromkeys((baseline, comparison.variant)):
            if variant in names and comparison.metric not in names[variant]:
                hint = did_you_mean(comparison.metric, names[variant])
                report(
                    (*path, "metric"),
                    f"variant {variant!r} has no metric {comparison.metric!r}{hint}",
                )
                break
