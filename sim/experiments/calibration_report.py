"""The files of a calibration (`frontline calibrate --out DIR`):

    DIR/accepted.parquet   the posterior: the last generation's accepted parameter sets, one
                           row per set (`set`, `weight`, `distance`, `holdout_distance`, then
                           one column per parameter, named by its key path)
    DIR/sets.parquet       every set simulated, of every generation, accepted or not, with
                           its runs' seeds
    DIR/calibration.json   the settings, the split, the priors (with the value each key had
                           in the scenario's parent: see `sim.experiments.posterior`), the
                           generations, the posterior ranges and the fit
    DIR/report.md, .html   the fit per fact on both periods, before and after; the posterior
                           beside the prior; what the history did not constrain
    DIR/posterior.png      each parameter's prior and posterior
    DIR/calibrated.toml    the calibrated scenario variant (`extends` the scenario)

The directory is written whole or not at all: into a temporary folder beside it, renamed
into place at the end; an existing non-empty directory is refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import tempfile
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.calibrate import Calibration
from sim.experiments.posterior import MISSING, value_at
from sim.experiments.priors import Parameter, distance_from_prior, json_value
from sim.experiments.score import Score
from sim.formats.problems import InputError, Problem
from sim.formats.scenario import load_scenario
from sim.formats.typed_tables import toml_value
from sim.outcomes.pages import markdown_to_html, png

QUANTILES = (0.05, 0.5, 0.95)  # the ranges reported: median and 90 % interval
CONSTRAINED = 0.5  # posterior/prior 90 % interval width under which a parameter is constrained
KS_CRITICAL = 1.36  # / sqrt(effective sample size): the Kolmogorov-Smirnov distance a sample of
# the prior stays under in 95 % of cases; a posterior sample as close is not told from the prior
SIGNIFICANT = 6  # significant digits of the values written to calibrated.toml


def write_calibration(calibration: Calibration, directory: Path | str) -> dict[str, Path]:
    """Write the calibration's files into `directory` (new or empty), all or nothing."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        message = "is not empty: choose a new directory (nothing was overwritten)"
        raise InputError([Problem(directory, "--out", message)])
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        _write_all(calibration, staging, directory)
        if directory.exists():
            directory.rmdir()
        staging.rename(directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    names = (
        "accepted.parquet",
        "sets.parquet",
        "calibration.json",
        "report.md",
        "report.html",
        "posterior.png",
        "calibrated.toml",
    )
    return {name: directory / name for name in names}


def _write_all(calibration: Calibration, staging: Path, final: Path) -> None:
    accepted_table(calibration).to_parquet(staging / "accepted.parquet", index=False)
    pd.DataFrame(calibration.sets).to_parquet(staging / "sets.parquet", index=False)
    summary = calibration_json(calibration)
    (staging / "calibration.json").write_text(json.dumps(summary, indent=1) + "\n", "utf-8")
    toml = calibrated_toml(calibration, final)
    (staging / "calibrated.toml").write_text(toml, encoding="utf-8")
    _check_calibrated(staging)
    figures = {"posterior": posterior_png(calibration)}
    (staging / "posterior.png").write_bytes(figures["posterior"])
    text = report_markdown(calibration, summary)
    (staging / "report.md").write_text(text, encoding="utf-8")
    html = markdown_to_html(text, figures, "Calibration report")
    (staging / "report.html").write_text(html, encoding="utf-8")


def accepted_table(calibration: Calibration) -> pd.DataFrame:
    """The posterior sample: one row per accepted set of the last generation."""
    last = [s for s in calibration.sets if s["generation"] == len(calibration.generations) - 1]
    rows = [s for s in last if s["accepted"]]
    columns = ["set", "weight", "distance", "holdout_distance"]
    columns += [p.key for p in calibration.parameters]
    table = pd.DataFrame(rows)[columns].reset_index(drop=True)
    for p in calibration.parameters:
        if p.prior.whole:
            table[p.key] = table[p.key].astype("int64")
    return table


# ---- the summary --------------------------------------------------------------------------------


def parameter_ranges(calibration: Calibration) -> list[dict]:
    """Per parameter: the prior's and the posterior's median and 90 % interval, the width
    ratio (posterior / prior interval), the shift of the median (in prior intervals), the
    Kolmogorov-Smirnov distance of the posterior sample from the prior, and a verdict on
    how far the history constrained it (`constraint`)."""
    posterior = calibration.posterior_quantiles(list(QUANTILES))
    size = 1.0 / float(np.sum(calibration.weights**2))
    rows = []
    for i, (parameter, post) in enumerate(zip(calibration.parameters, posterior, strict=True)):
        prior = parameter.quantiles(list(QUANTILES))
        width = float(prior[2] - prior[0])
        ratio = float(post[2] - post[0]) / width if width > 0 else float("nan")
        ks = distance_from_prior(parameter, calibration.posterior[:, i], calibration.weights)
        rows.append(
            {
                "key": parameter.key,
                "prior": parameter.describe(),
                "prior_quantiles": [parameter.value(q) for q in prior],
                "posterior_quantiles": [parameter.value(q) for q in post],
                "width_ratio": ratio,
                "shift": float(post[1] - prior[1]) / width if width > 0 else float("nan"),
                "ks_distance": ks,
                "ks_critical": KS_CRITICAL / np.sqrt(size),
                "constrained": constraint(ratio, ks, size),
            }
        )
    return rows


def constraint(ratio: float, ks: float, effective_size: float) -> str:
    """How far the history narrowed a parameter: "not constrained" when the posterior
    sample is no further from the prior (KS distance) than a sample of the prior of the
    same effective size would be in 95 % of cases (a small posterior sample shows little,
    and is not taken to show a constraint); else "constrained" when its 90 % interval is
    under half the prior's, "shifted" when it moved without narrowing as much."""
    if not np.isfinite(ratio):
        return "fixed"
    if ks < KS_CRITICAL / np.sqrt(effective_size):
        return "not constrained"
    return "constrained" if ratio < CONSTRAINED else "shifted"


def calibration_json(calibration: Calibration) -> dict:
    """Every number of the calibration, for calibration.json."""
    settings = calibration.settings
    base = parent_values(calibration)
    return {
        "scenario": str(calibration.scenario.resolve()),
        "history": str(calibration.history.resolve()),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "period": [str(calibration.start), str(calibration.end)],
        "split": str(calibration.split),
        "fitting": [str(calibration.start), str(calibration.split)],
        "held_out": [str(calibration.split + dt.timedelta(days=1)), str(calibration.end)],
        "settings": {
            **dataclasses.asdict(settings.budget),
            "seed": settings.seed,
            "holdout_after": None
            if settings.holdout_after is None
            else str(settings.holdout_after),
            "holdout_fraction": settings.holdout_fraction,
            "parameters": list(settings.parameters),
            "workers": settings.workers,
            "scheduler": settings.scheduler,
        },
        "seconds": calibration.seconds,
        "parameters": [
            {**p.to_json(), "whole": p.prior.whole, "parent_value": base[p.key]}
            for p in calibration.parameters
        ],
        "uncalibrated": calibration.uncalibrated,
        "generations": [dataclasses.asdict(g) for g in calibration.generations],
        "posterior": parameter_ranges(calibration),
        "fit": {name: _fit_numbers(score) for name, score in calibration.fit.items()},
    }


def parent_values(calibration: Calibration) -> dict[str, object]:
    """Each parameter's value in the file the calibrated scenario `extends` (None where it
    has none, or a distribution too): the point value the prior stands in for. A sweep
    over the posterior pins a key only in variants that keep this value or the prior."""
    from sim.experiments.design import key_parts

    values = dict.fromkeys((p.key for p in calibration.parameters), None)
    try:
        data = tomllib.loads(calibration.scenario.read_text(encoding="utf-8"))
        parent = load_scenario(calibration.scenario.parent / data["extends"])
    except (KeyError, OSError, tomllib.TOMLDecodeError, InputError, TypeError):
        return values
    for key in values:
        value = value_at(parent.spec, key_parts(key) or ())
        values[key] = None if value is MISSING else json_value(value)
    return values


def _fit_numbers(score: Score) -> dict:
    """The headline numbers of a score, and its facts' shares and date errors."""
    return {
        "period": list(score.period),
        "runs": len(score.seeds),
        "distance": score.distance,
        "brier": score.brier,
        "brier_nothing_changes": score.brier_nothing_changes,
        "brier_start_persists": score.brier_start_persists,
        "skill_nothing_changes": score.skill_nothing_changes,
        "skill_start_persists": score.skill_start_persists,
        "brier_cells": score.brier_cells,
        "end_date": score.end_date,
        "end_accuracy": score.end_accuracy,
        "facts": [
            {
                "label": f.label,
                "line": f.line,
                "happened": f.happened,
                "median_error": f.median_error,
            }
            for f in score.facts
        ],
        "never": [{"label": f.label, "line": f.line, "violated": f.happened} for f in score.never],
    }


# ---- the calibrated scenario ------------------------------------------------------------------


def calibrated_toml(calibration: Calibration, directory: Path) -> str:
    """A scenario that extends the calibrated one and gives each parameter its posterior
    marginal: a `choice` over the accepted sets' values, weighted as the sets are."""
    scenario = calibration.scenario.resolve()
    extends = os.path.relpath(scenario, directory.resolve())
    name = f"{scenario.stem}-calibrated"
    description = (
        f"{scenario.stem}, calibrated against {calibration.history.name} up to {calibration.split}."
    )
    lines = [
        f"# {scenario.name} calibrated against {calibration.history.name} by `frontline calibrate`",
        f"# (fitted from {calibration.start} to {calibration.split}; "
        f"held out to {calibration.end}).",
        "# Each calibrated parameter is a `choice` over the values of the accepted parameter",
        "# sets, weighted as the sets are: its posterior marginal. A run draws each parameter",
        "# on its own, so the posterior's correlations between parameters are lost here; an",
        '# experiment with `posterior = "<this folder>"` keeps them (each run takes one whole',
        "# accepted set). See report.md in this folder for the fit and the ranges.",
        f"extends = {toml_value(extends)}",
        f"name = {toml_value(name)}",
        f"description = {toml_value(description)}",
        "",
    ]
    for i, parameter in enumerate(calibration.parameters):
        values, weights = marginal(parameter, calibration.posterior[:, i], calibration.weights)
        table = {"dist": "choice", "values": values, "weights": weights}
        lines.append(f"{parameter.key} = {toml_value(table)}")
    return "\n".join(lines) + "\n"


def marginal(parameter: Parameter, sampled: np.ndarray, weights: np.ndarray) -> tuple[list, list]:
    """The distinct values a parameter takes in the accepted sets, and their total weights."""
    totals: dict = {}
    for x, w in zip(sampled, weights, strict=True):
        value = parameter.value(x)
        value = value if isinstance(value, int) else float(f"{value:.{SIGNIFICANT}g}")
        totals[value] = totals.get(value, 0.0) + float(w)
    values = sorted(totals)
    return values, [round(totals[v], 6) for v in values]


def _check_calibrated(staging: Path) -> None:
    """The calibrated scenario must load. The staging folder sits beside the final one, so
    the relative `extends` resolves the same from both."""
    load_scenario(staging / "calibrated.toml", allow_outside=True)  # it extends the file fitted


def format_summary(calibration: Calibration) -> str:
    """What `frontline calibrate` prints: the fit on both periods and the parameters."""
    fit = calibration.fit
    budget = calibration.settings.budget
    lines = [
        f"{calibration.scenario} against {calibration.history}: fitted "
        f"{calibration.start} to {calibration.split}, held out to {calibration.end}; "
        f"{budget.runs} runs in {calibration.seconds:.0f} s",
        "",
        f"{'':<34} {'prior':>10} {'posterior':>10}",
    ]
    for period, key in (("fitted", "fitting"), ("held out", "held_out")):
        prior, posterior = fit[f"prior_{key}"], fit[f"posterior_{key}"]
        for label, getter in _FIT_ROWS:
            if label in ("distance", "skill vs start persists", "period-end map right"):
                row = f"{period}: {label}"
                lines.append(f"{row:<34} {getter(prior):>10} {getter(posterior):>10}")
    lines += ["", f"{'parameter':<48} {'prior 90 %':>22} {'posterior 90 %':>22} {'width':>6}"]
    for r in parameter_ranges(calibration):
        prior, post = r["prior_quantiles"], r["posterior_quantiles"]
        lines.append(
            f"{r['key']:<48} {f'{prior[0]:.4g} to {prior[2]:.4g}':>22} "
            f"{f'{post[0]:.4g} to {post[2]:.4g}':>22} {_number(r['width_ratio'], '.2f'):>6} "
            f"{r['constrained']}"
        )
    return "\n".join(lines)


# ---- the report ------------------------------------------------------------------------------


def report_markdown(calibration: Calibration, summary: dict) -> str:
    """The calibration report as Markdown."""
    budget = calibration.settings.budget
    fit = calibration.fit
    lines = [
        f"# Calibration of `{calibration.scenario.name}` against `{calibration.history.name}`",
        "",
        f"Fitted on {calibration.start} to {calibration.split}; held out: "
        f"{calibration.split + dt.timedelta(days=1)} to {calibration.end} (the fit never "
        "sees what is dated after the split). ABC-SMC: "
        f"{budget.generations} generations x {budget.proposals} parameter sets x "
        f"{budget.runs_per_set} runs = {budget.runs} runs; the {budget.accepted} sets of "
        f"smallest fitting distance are kept per generation; seed {calibration.settings.seed}; "
        f"{calibration.seconds:.0f} s.",
        "",
        "## Fit",
        "",
        "Prior: the runs of generation 0 (parameters drawn from the priors); posterior: the "
        "runs of the accepted sets, drawn by weight. Distance: 0 perfect, 1 worst "
        "(docs/history-format.md).",
        "",
        "| | prior, fitted period | posterior, fitted period | prior, held out "
        "| posterior, held out |",
        "| --- | --- | --- | --- | --- |",
    ]
    order = ("prior_fitting", "posterior_fitting", "prior_held_out", "posterior_held_out")
    for label, getter in _FIT_ROWS:
        lines.append(f"| {label} | " + " | ".join(getter(fit[k]) for k in order) + " |")
    lines += ["", "### Dated facts: share of runs where each happens (median date error, days)", ""]
    lines += _fact_table(fit, "facts")
    lines += ["", "### `never` facts: share of runs that violate them", ""]
    lines += _fact_table(fit, "never")
    lines += _parameter_section(summary["posterior"])
    lines += [
        "",
        "## Generations",
        "",
        "| generation | threshold | best | median accepted | effective sample size |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {g.number} | {g.threshold:.3f} | {g.best:.3f} | {g.median:.3f} "
        f"| {g.effective_size:.1f} |"
        for g in calibration.generations
    ]
    if calibration.uncalibrated:
        lines += [
            "",
            "Distributions not calibrated (drawn per run as the scenario gives them): "
            + ", ".join(f"`{k}`" for k in calibration.uncalibrated)
            + ".",
        ]
    lines += ["", "![posterior](posterior.png)", ""]
    return "\n".join(lines)


def _number(value: float | None, spec: str = ".3f") -> str:
    return "–" if value is None or not np.isfinite(value) else format(value, spec)


_FIT_ROWS = (
    ("distance", lambda s: _number(s.distance)),
    ("runs", lambda s: str(len(s.seeds))),
    (
        "dated facts (mean share happening)",
        lambda s: _number(np.mean([f.happened for f in s.facts]) if s.facts else None, ".0%"),
    ),
    (
        "`never` facts (mean share violated)",
        lambda s: _number(np.mean([f.happened for f in s.never]) if s.never else None, ".0%"),
    ),
    ("Brier (place-months)", lambda s: f"{_number(s.brier)} ({s.brier_cells})"),
    ("skill vs nothing changes", lambda s: _number(s.skill_nothing_changes, "+.2f")),
    ("skill vs start persists", lambda s: _number(s.skill_start_persists, "+.2f")),
    ("period-end map right", lambda s: _number(s.end_accuracy, ".0%")),
)


def _fact_table(fit: dict[str, Score], kind: str) -> list[str]:
    rows = ["| fact (line) | period | prior | posterior |", "| --- | --- | --- | --- |"]
    for period, (prior, posterior) in (
        ("fitted", (fit["prior_fitting"], fit["posterior_fitting"])),
        ("held out", (fit["prior_held_out"], fit["posterior_held_out"])),
    ):
        before = {f.line: f for f in getattr(prior, kind)}
        for fact in getattr(posterior, kind):
            rows.append(
                f"| {fact.label} ({fact.line}) | {period} "
                f"| {_share(before.get(fact.line))} | {_share(fact)} |"
            )
    return rows if len(rows) > 2 else ["(none)"]


def _share(fact) -> str:
    if fact is None:
        return "–"
    error = "" if fact.median_error is None else f" ({fact.median_error:+.0f})"
    return f"{fact.happened:.0%}{error}"


def _parameter_section(ranges: list[dict]) -> list[str]:
    lines = [
        "",
        "## Parameters: posterior beside prior",
        "",
        "Median [90 % interval] (whole-number keys rounded). Width: the posterior's 90 % "
        "interval over the prior's. Shift: the median's move, in prior intervals. KS: the "
        "Kolmogorov-Smirnov distance of the posterior sample from the prior, against the "
        "distance a sample of the prior of the same effective size stays under in 95 % of "
        f"cases ({KS_CRITICAL}/sqrt(size)). **not constrained**: KS under that (the sample "
        "cannot be told from the prior); **constrained**: KS over it and width under "
        f"{CONSTRAINED}; **shifted**: KS over it, width {CONSTRAINED} or more.",
        "",
        "| parameter | prior | prior median [90 %] | posterior median [90 %] | width "
        "| shift | KS (95 %) | |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in ranges:
        prior, post = r["prior_quantiles"], r["posterior_quantiles"]
        lines.append(
            f"| `{r['key']}` | {r['prior']} | {prior[1]:.4g} [{prior[0]:.4g}, {prior[2]:.4g}] | "
            f"{post[1]:.4g} [{post[0]:.4g}, {post[2]:.4g}] | {_number(r['width_ratio'], '.2f')} | "
            f"{_number(r['shift'], '+.2f')} | {r['ks_distance']:.2f} ({r['ks_critical']:.2f}) "
            f"| {r['constrained']} |"
        )
    loose = [r["key"] for r in ranges if r["constrained"] == "not constrained"]
    lines += [
        "",
        "What the history did not constrain: "
        + (", ".join(f"`{k}`" for k in loose) if loose else "none: each moved from its prior")
        + ".",
    ]
    return lines


def posterior_png(calibration: Calibration) -> bytes:
    """One panel per parameter: the prior's density and the posterior's weighted histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(calibration.parameters)
    columns = min(3, n)
    rows = -(-n // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4 * columns, 2.8 * rows), squeeze=False)
    for axis, (i, parameter) in zip(axes.flat, enumerate(calibration.parameters), strict=False):
        low, high = parameter.quantiles([0.001, 0.999])
        if parameter.discrete:
            values = np.array(parameter.prior.values)
            axis.bar(
                values,
                parameter.prior.weights,
                width=0.4 * (np.ptp(values) or 1) / len(values),
                color="#bbbbbb",
                label="prior",
            )
        else:
            grid = np.linspace(low, high, 200)
            axis.plot(grid, parameter.densities(grid), color="#888888", label="prior")
        axis.hist(
            calibration.posterior[:, i],
            bins=12,
            range=(low, high) if high > low else None,
            weights=calibration.weights,
            density=not parameter.discrete,
            color="C3",
            alpha=0.6,
            label="posterior",
        )
        axis.set_title(parameter.key, fontsize=8)
        axis.tick_params(labelsize=7)
    for axis in list(axes.flat)[n:]:
        axis.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    figure.tight_layout()
    return png(figure)
