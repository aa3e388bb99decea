"""Replaying one run of a sweep: the same scenario, overrides, seed and horizon again.

A stored run names its variant, seed and parameters; the experiment file (its path is in
the manifest) plans every run with its seed (`Experiment.plan`), so the run is found in
the plan by its id and re-run exactly. If the experiment or one of its scenario files
changed since the sweep, the replay says so (the manifest keeps their hash).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from sim.experiments.experiment import RunTask, load_experiment
from sim.formats.problems import InputError, Problem
from sim.formats.scenario import load_scenario, parse_overrides
from sim.model.model import FrontlineModel
from sim.outcomes import metrics


def find_task(manifest: dict, run_id: str) -> tuple[RunTask, list[str]]:
    """The planned run `run_id` of the sweep, and warnings about the replay."""
    experiment = load_experiment(manifest["experiment"])
    notes = []
    if experiment.digest() != manifest.get("digest"):
        notes.append(
            "The experiment or one of its scenario files changed since this sweep ran: the "
            "replay follows the files as they are now and may differ from the stored run."
        )
    plan = {task.run_id: task for task in experiment.plan(manifest.get("replicates"))}
    if run_id not in plan:
        where = Path(manifest["experiment"])
        raise InputError([Problem(where, "variants", f"the experiment plans no run {run_id!r}")])
    return plan[run_id], notes


def build_model(task: RunTask) -> FrontlineModel:
    """The run at day 0, exactly as the sweep started it."""
    scenario = load_scenario(task.scenario, parse_overrides(dict(task.overrides)))
    return FrontlineModel(scenario, seed=task.seed, days=task.days)


def check_against(task: RunTask, row: pd.Series) -> str:
    """Run the replay to its end and compare its metrics with the stored row."""
    model = build_model(task)
    model.run_to_horizon()
    values = metrics.evaluate(model)
    stored = {c.removeprefix("metric."): row[c] for c in row.index if c.startswith("metric.")}
    differ = [name for name, value in stored.items() if not _same(value, values.get(name))]
    if int(row["seed"]) != task.seed:
        return f"Seed differs: stored {row['seed']}, planned {task.seed}."
    if differ:
        return "Differs from the stored run in: " + ", ".join(differ)
    return f"Reproduces the stored run exactly ({len(stored)} metrics equal)."


def _same(stored, replayed) -> bool:
    missing = stored is None or (isinstance(stored, float) and math.isnan(stored))
    if missing or replayed is None:
        return missing and replayed is None
    return math.isclose(float(stored), float(replayed), rel_tol=1e-9, abs_tol=1e-9)
