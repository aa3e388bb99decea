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
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from sim.experiments.design import Value, design_points, is_whole_number, key_parts, key_value
from sim.experiments.posterior import ACCEPTED, PosteriorUse, check_posterior
from sim.formats.experiment import DesignSpec, ExperimentSpec
from sim.formats.problems import InputError, Problem
from sim.formats.scenario import OVERRIDE_SOURCE, Scenario, check_scenario, parse_overrides
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

    def command(self) -> str:
        """The `frontline run` command that repeats this run on its own (POSIX shell)."""
        parts = ["frontline", "run", shlex.quote(self.scenario), "--seed", str(self.seed)]
        if self.days is not None:
            parts += ["--days", str(self.days)]
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

    def plan(self, replicates: int | None = None) -> list[RunTask]:
        """Every run of the sweep, in a fixed order, with its derived seed."""
        replicates = replicates or self.spec.replicates
        tasks = []
        for v, (name, variant) in enumerate(self.spec.variants.items()):
            scenario = str((self.source.parent / variant.scenario).resolve())
            for point, parameters in enumerate(self.points):
                for replicate in range(replicates):
                    pinned = self._posterior_set(name, point, replicate)
                    overrides = tuple({**pinned, **variant.set, **parameters}.items())
                    seed = run_seed(self.spec.seed, v, point, replicate)
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
    path: Path | str, posterior: Path | str | None = None
) -> tuple[Experiment | None, list[Problem]]:
    """Load and check an experiment and its scenarios; return it and all problems.
    `posterior` (a calibration folder) replaces the file's `posterior`."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        return None, [Problem(path, "file", f"cannot be read ({error.strerror})")]
    except tomllib.TOMLDecodeError as error:
        return None, [Problem(path, "file", f"TOML syntax error: {error}")]
    problems: list[Problem] = []

    def report(key_path: KeyPath, message: str) -> None:
        problems.append(Problem(path, format_path(key_path), message))

    spec = from_table(ExperimentSpec, data, (), report)
    spec.name = spec.name or path.stem
    if posterior is not None:
        spec.posterior = str(Path(posterior).resolve())
    scenarios = _check_variants(spec, path, report, problems)
    use = _check_posterior(spec, path, scenarios, problems)
    points = _check_design(spec, scenarios, report)
    names = {variant: metric_names(s, spec.days) for variant, s in scenarios.items()}
    _check_metrics(spec, names, report)
    _check_comparisons(spec, names, report)
    if problems:
        return None, problems
    experiment = Experiment(spec, path, scenarios, points, posterior=use)
    return experiment, []


def load_experiment(path: Path | str, posterior: Path | str | None = None) -> Experiment:
    """A checked experiment, or `InputError` naming every problem."""
    experiment, problems = check_experiment(path, posterior)
    if problems:
        raise InputError(problems)
    return experiment


def _check_variants(
    spec: ExperimentSpec, path: Path, report: Report, problems: list[Problem]
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
        file = path.parent / variant.scenario
        if not file.is_file():
            report(("variants", name, "scenario"), f"no such file: {file}")
            continue
        scenario, found = _scenario_with(file, variant.set)
        where = format_path(("variants", name))
        problems += [Problem(path, f"{where}: {p.file}: {p.where}", p.message) for p in found]
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


def _scenario_with(file: Path, overrides: dict[str, Any]) -> tuple[Scenario | None, list]:
    """The scenario with keys overridden as a sweep overrides them, and its problems."""
    try:
        table = parse_overrides(overrides)
    except InputError as error:
        return None, error.problems
    return check_scenario(file, table)


def _check_design(
    spec: ExperimentSpec, scenarios: dict[str, Scenario], report: Report
) -> list[dict[str, Value]]:
    """The design's points ([{}] without a design), once every value the design may give
    a parameter has been checked against each variant's scenario."""
    if spec.design is None:
        return [{}]
    whole = {name for name in spec.design.parameters if is_whole_number(name)}
    for key_path, name, value in _design_values(spec.design, whole):
        for variant, scenario in scenarios.items():
            overrides = {**spec.variants[variant].set, name: value}
            _, found = _scenario_with(scenario.source, overrides)
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
    if problem.file == OVERRIDE_SOURCE and problem.where == own_key:
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
