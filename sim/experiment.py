"""Experiment files: which scenario variants to compare, how often, and what to test.

An experiment is TOML data, checked like a scenario (`sim.typed_tables`): every problem
is reported with the file and key path, and every variant's scenario (with its
overrides) is loaded and checked too. `plan()` turns it into the list of runs of a sweep,
each with a seed derived from the master seed by `numpy.random.SeedSequence`, so that
any run can be reproduced alone with `frontline run`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tomllib
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sim.design import design_points
from sim.problems import InputError, Problem
from sim.scenario import Scenario, check_scenario, parse_overrides
from sim.schema import key
from sim.typed_tables import KeyPath, format_path, from_table


@dataclasses.dataclass
class VariantSpec:
    """One scenario variant: a scenario file, optionally with keys overridden."""

    scenario: str = key("Scenario file, relative to this file.")
    baseline: bool = key("The variant others are compared with (exactly one).", False)
    description: str = key("What this variant changes, in words.", "")
    set: dict[str, Any] = key(
        'Scenario keys overridden for this variant, e.g. `{ "run.days" = 180 }`.', {}
    )


@dataclasses.dataclass
class ComparisonSpec:
    """A test of a hypothesis: a metric's difference between a variant and the baseline."""

    metric: str = key("Metric compared (standard or the scenario's `[metrics]`).")
    variant: str = key("Variant compared with the baseline.")
    expect: Literal["greater", "less", "different"] = key(
        "Direction the article predicts for variant minus baseline."
    )
    test: Literal["mann-whitney", "permutation"] = key(
        "Statistical test of the difference.", "mann-whitney"
    )
    description: str = key("The claim, in words.", "")


@dataclasses.dataclass
class ParameterRange:
    """An uncertain parameter: a range (Latin hypercube, Sobol) or values (grid)."""

    low: float | None = key("Lowest value (lhs, sobol).", None)
    high: float | None = key("Highest value (lhs, sobol).", None)
    values: list[float] = key("Values to try (grid).", [])


@dataclasses.dataclass
class DesignSpec:
    """A design over uncertain parameters, applied to every variant alike."""

    method: Literal["grid", "lhs", "sobol"] = key("How points are chosen.", "lhs")
    points: int = key("Number of points (lhs, sobol; a power of 2 for sobol).", 8, min=1)
    parameters: dict[str, ParameterRange] = key("Scenario keys (dotted) and their ranges.", {})


@dataclasses.dataclass
class ExperimentSpec:
    """An experiment file."""

    name: str = key("Short name (default: the file name).", "")
    description: str = key("What the experiment asks, in words.", "")
    hypothesis: str = key("The claim it tests and the predicted direction.", "")
    replicates: int = key("Runs per variant and design point.", 30, min=1)
    seed: int = key("Master seed: every run's seed derives from it.", 0, min=0)
    days: int | None = key("Horizon for every variant (default: each scenario's).", None, min=1)
    metrics: list[str] = key("Metrics recorded (default: all).", [])
    variants: dict[str, VariantSpec] = key("Scenario variants, by name.", {})
    comparisons: dict[str, ComparisonSpec] = key("Comparisons with the baseline, by name.", {})
    design: DesignSpec | None = key("Optional design over uncertain parameters.", None)


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
        """The `frontline run` command that repeats this run on its own."""
        parts = ["frontline run", _quote(self.scenario), f"--seed {self.seed}"]
        if self.days is not None:
            parts.append(f"--days {self.days}")
        parts += [f"--set {_quote(f'{k}={_toml(v)}')}" for k, v in self.overrides]
        return " ".join(parts)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _toml(value: Any) -> str:
    return repr(value).lower() if isinstance(value, bool) else repr(value).replace("'", '"')


@dataclasses.dataclass
class Experiment:
    """A checked experiment with its scenarios loaded."""

    spec: ExperimentSpec
    source: Path
    scenarios: dict[str, Scenario]
    points: list[dict[str, float]]

    @property
    def baseline(self) -> str:
        return next(name for name, v in self.spec.variants.items() if v.baseline)

    def digest(self) -> str:
        """Hash of the experiment file and every scenario file it uses (with `extends`)."""
        files = {self.source.resolve()}
        for scenario in self.scenarios.values():
            files |= {Path(f).resolve() for f in scenario.files}
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
                overrides = tuple({**variant.set, **parameters}.items())
                for replicate in range(replicates):
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


def run_seed(master: int, variant: int, point: int, replicate: int) -> int:
    """The seed of one run, independent of the order in which runs are done."""
    sequence = np.random.SeedSequence(master, spawn_key=(variant, point, replicate))
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def is_experiment(path: Path | str) -> bool:
    """Whether a TOML file is an experiment (it has `variants`) rather than a scenario."""
    try:
        return "variants" in tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return Path(path).resolve().parent.name == "experiments"


def check_experiment(path: Path | str) -> tuple[Experiment | None, list[Problem]]:
    """Load and check an experiment and its scenarios; return it and all problems."""
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
    scenarios = _check_variants(spec, path, report, problems)
    _check_comparisons(spec, scenarios, report)
    points = design_points(spec.design, spec.seed, report) if spec.design else [{}]
    if problems:
        return None, problems
    return Experiment(spec=spec, source=path, scenarios=scenarios, points=points), []


def load_experiment(path: Path | str) -> Experiment:
    """A checked experiment, or `InputError` naming every problem."""
    experiment, problems = check_experiment(path)
    if problems:
        raise InputError(problems)
    return experiment


def _check_variants(spec: ExperimentSpec, path: Path, report, problems: list) -> dict:
    if not spec.variants:
        report(("variants",), "no variants: give at least a baseline")
    baselines = [name for name, v in spec.variants.items() if v.baseline]
    if spec.variants and len(baselines) != 1:
        found = len(baselines)
        report(("variants",), f"mark exactly one variant `baseline = true` (found {found})")
    design_keys = dict(spec.design.parameters) if spec.design else {}
    scenarios = {}
    for name, variant in spec.variants.items():
        if variant.scenario is None:
            continue
        file = path.parent / variant.scenario
        if not file.is_file():
            report(("variants", name, "scenario"), f"no such file: {file}")
            continue
        trial = {**variant.set, **{k: _sample(r) for k, r in design_keys.items()}}
        try:
            overrides = parse_overrides(trial)
        except InputError as error:
            problems += error.problems
            continue
        scenario, found = check_scenario(file, overrides)
        for problem in found:
            where = f"variants.{name}: {problem.file}: {problem.where}"
            problems.append(Problem(path, where, problem.message))
        if scenario is not None:
            scenarios[name] = scenario
    return scenarios


def _sample(parameter: ParameterRange) -> float:
    """A value of the parameter, to check that the scenario accepts it."""
    if parameter.values:
        return parameter.values[0]
    return parameter.low if parameter.low is not None else 0.0


def _check_comparisons(spec: ExperimentSpec, scenarios: dict[str, Scenario], report) -> None:
    for name, comparison in spec.comparisons.items():
        path = ("comparisons", name)
        if comparison.variant is not None and comparison.variant not in spec.variants:
            report((*path, "variant"), f"unknown variant {comparison.variant!r}")
        elif comparison.variant is not None and spec.variants[comparison.variant].baseline:
            report((*path, "variant"), "compare another variant with the baseline, not itself")
        if comparison.metric is None or not scenarios:
            continue
        for variant, scenario in scenarios.items():
            if comparison.metric not in _metric_names(scenario):
                report(
                    (*path, "metric"),
                    f"variant {variant!r} has no metric {comparison.metric!r} "
                    "(standard metrics: places.F, population.F, peak_places.F, manpower.F, "
                    "front_length_km, captures, strike_share.A.T; or the scenario's [metrics])",
                )
                break


def _metric_names(scenario: Scenario) -> set[str]:
    names = {"front_length_km", "captures", *scenario.spec.metrics}
    for faction in scenario.spec.factions:
        names |= {f"{m}.{faction}" for m in ("places", "population", "peak_places", "manpower")}
        names |= {f"strike_share.{faction}.{target}" for target in scenario.spec.factions}
    return names
