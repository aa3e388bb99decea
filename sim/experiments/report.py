"""Reports of a sweep: a line per claim, the verdict of each comparison, and plots.

The statistics and verdicts are `sim.experiments.analysis` (which the Compare page reads
too): per comparison the difference with its 95 % interval, Cliff's delta, the raw and
corrected p of a two-sided test, the equivalence test and the power for the smallest
effect of interest, shares with Wilson intervals for 0/1 metrics, and with a design the
share of points where the verdict holds, Spearman's rho, Sobol indices and the PRIM box
of where it holds. The report states the verdict rule beside the verdicts, and how the
number of runs was chosen when `[precision]` chose it. It writes `report.md` and a
self-contained `report.html` with PNG plots: territory fan charts per variant, outcome
distributions (shares with intervals for 0/1 metrics), and the capture probability of
each place on the map. The daily time series, by far the largest table, is read part by
part and batch by batch (`territory_bands`), so reporting a large sweep does not need
the whole table in memory.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from matplotlib.lines import Line2D

from sim.experiments.analysis import Analysis, analyse, metric_values
from sim.experiments.comparison import ComparisonResult
from sim.experiments.posterior import posterior_section
from sim.experiments.proportions import wilson
from sim.experiments.results import ResultStore
from sim.formats.problems import InputError
from sim.formats.scenario import load_scenario
from sim.outcomes.pages import markdown_to_html, png

QUANTILES = (0.1, 0.5, 0.9)  # the fan charts' band and line
SERIES_BATCH_ROWS = 65_536  # time-series rows decoded at a time
SERIES_COLUMNS = ["run_id", "day", "faction", "places_held"]


@dataclasses.dataclass
class Report:
    """Where the report went, and its verdict table as text."""

    markdown: Path
    html: Path
    verdict_table: str
    comparisons: list[ComparisonResult]


def write_report(directory: Path) -> Report:
    """Analyse a results directory and write report.md and report.html into it."""
    directory = Path(directory)
    analysis = analyse(directory)
    manifest, runs, results = analysis.manifest, analysis.runs, analysis.results
    store = ResultStore(directory)
    figures = {
        "territory": _fan_charts(territory_bands(directory, runs), manifest),
        "distributions": _distributions(analysis),
        "capture_map": _capture_map(store.read("captures", ["run_id", "place"]), runs, manifest),
    }
    figures = {k: v for k, v in figures.items() if v is not None}
    for name, image in figures.items():
        (directory / f"{name}.png").write_bytes(image)
    table = verdict_table(results)
    markdown = _markdown(analysis, table, figures)
    (directory / "report.md").write_text(markdown, encoding="utf-8")
    (directory / "report.html").write_text(
        markdown_to_html(markdown, figures, "Sweep report"), encoding="utf-8"
    )
    return Report(directory / "report.md", directory / "report.html", table, results)


def verdict_table(results: list[ComparisonResult]) -> str:
    """The verdicts as a Markdown table, one row per comparison."""
    header = (
        "| comparison | verdict | difference [95% CI] | variant vs baseline | Cliff's delta "
        "| p (adjusted) | within ±sesoi: p (adjusted) | power | predicted |"
    )
    lines = [header, "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        predicted = r.prediction()
        if r.insufficient:
            dashes = "| – " * 6
            lines.append(f"| {r.name} | **{r.verdict}** ({r.counts()}) {dashes}| {predicted} |")
            continue
        points = (
            f" (as predicted at {r.points_supported:.0%} of design points)"
            if r.points_supported is not None
            else ""
        )
        lines.append(
            f"| {r.name} | **{r.verdict}**{points} | {r.interval_text()} | {r.arms_text()} "
            f"({r.counts()}) | {r.cliffs_delta:+.2f} | {r.p_text()} | {_equivalence(r)} "
            f"| {r.power_text()} | {predicted} |"
        )
    return "\n".join(lines)


def _equivalence(result: ComparisonResult) -> str:
    """E.g. "±1: 0.003 (adj. 0.009)", or a dash without a sesoi."""
    if result.sesoi is None:
        return "–"
    return f"{result.sesoi_text()}: {result.tost_text()}"


def _markdown(analysis: Analysis, table: str, figures: dict[str, bytes]) -> str:
    """The report as Markdown: the claims, the rule, the verdicts, each comparison, the
    variants."""
    manifest, runs, results = analysis.manifest, analysis.runs, analysis.results
    ok = (runs["status"] == "ok").sum()
    lines = [
        f"# {manifest['name']}: sweep report",
        "",
        manifest.get("description", ""),
        "",
        f"Hypothesis: {manifest['hypothesis'].strip()}" if manifest.get("hypothesis") else "",
        "",
        "## Claims",
        "",
        *[f"- **{line.claim}** — {line.text()}" for line in analysis.claims],
        "",
        f"{len(runs)} runs ({ok} finished, {len(runs) - ok} failed) of "
        f"{manifest['runs_planned']} planned; {manifest['replicates']} replicates per variant "
        f"and design point; master seed {manifest['seed']}; "
        f"{_seeds_text(analysis)}; code {manifest['code_version']}.",
        "",
        *_precision_lines(manifest),
        "## Verdicts",
        "",
        analysis.rule,
        "",
        table,
        "",
    ]
    for r in results:
        lines += [f"### {r.name}", "", r.sentence(), ""]
        lines += _design_lines(r)
    lines += posterior_section(manifest, runs, results)
    lines += ["## Variants", ""]
    for name, variant in manifest["variants"].items():
        mark = " (baseline)" if name == manifest["baseline"] else ""
        lines.append(f"- **{name}**{mark}: {variant['description']} (`{variant['scenario']}`)")
    failed = runs[runs["status"] != "ok"]
    if len(failed):
        lines += ["", "## Failed runs", ""]
        lines += [f"- {r.run_id} (seed {r.seed}): {r.error.strip()}" for r in failed.itertuples()]
    for name in figures:
        lines += ["", f"![{name}]({name}.png)"]
    return "\n".join(lines) + "\n"


def _seeds_text(analysis: Analysis) -> str:
    if analysis.settings.paired:
        return "common seeds (replicate k of every variant has the same seed)"
    return "independent seeds (every run its own)"


def _precision_lines(manifest: dict) -> list[str]:
    """How `[precision]` chose the number of runs, if it did."""
    precision = manifest.get("precision")
    if not precision:
        return []
    rounds = ", ".join(str(r["replicates"]) for r in precision["rounds"])
    return [
        f"Replicates chosen by precision: {rounds} per variant and design point in "
        f"successive rounds (batches of {precision['batch']}, cap "
        f"{precision['max_replicates']}); {precision['stopped']}.",
        "",
    ]


def _design_lines(r: ComparisonResult) -> list[str]:
    """Sensitivity, Sobol indices and the PRIM box of a comparison over a design."""
    lines = []
    if r.sensitivity:
        lines.append("Sensitivity (Spearman's rho of the per-point difference with each one):")
        lines += [f"- `{name}`: {rho:+.2f}" for name, rho in r.sensitivity]
        lines.append("")
    if r.sobol:
        lines.append(
            "Sobol indices of the per-point difference (first-order, total; ± the 95 % "
            "bootstrap half-width):"
        )
        lines += [
            f"- `{s.parameter}`: S1 {s.first:.2f} ± {s.first_conf:.2f}, "
            f"ST {s.total:.2f} ± {s.total_conf:.2f}"
            for s in r.sobol
        ]
        lines.append("")
    if r.box is not None:
        lines += [f"Where the difference is as predicted (PRIM box): {r.box.text()}.", ""]
    return lines


Bands = dict[str, dict[str, np.ndarray]]  # variant -> faction -> (days, 3) percentiles


def territory_bands(directory: Path, runs: pd.DataFrame) -> Bands:
    """Places held per variant, faction and day: the 10th, 50th and 90th percentile over
    the finished runs in `runs` (factions that never hold a place are left out).

    The time series is read part by part, SERIES_BATCH_ROWS rows and only SERIES_COLUMNS
    at a time, into one float32 (runs x days) array per variant and faction: memory is
    4 bytes x finished runs x days x factions (e.g. 1,000 two-year runs of 6 factions:
    18 MB) rather than the whole table with its text columns. Rows of runs not in `runs`
    (parts left by an interrupted sweep) are skipped.
    """
    held = _places_held(directory, runs)
    bands: Bands = {}
    for variant, factions in held.items():
        for faction, values in factions.items():
            quantiles = _quantiles(values)
            if np.nanmax(quantiles[:, 2], initial=0) > 0:
                bands.setdefault(variant, {})[faction] = quantiles
    return bands


def _places_held(directory: Path, runs: pd.DataFrame) -> dict[str, dict[str, np.ndarray]]:
    """Per variant and faction, places held as a (runs, days) array, NaN where absent."""
    finished = runs[runs["status"] == "ok"]
    rows = finished.groupby("variant", sort=False).cumcount()
    where = dict(zip(finished["run_id"], zip(finished["variant"], rows, strict=True), strict=True))
    sizes = finished["variant"].value_counts().to_dict()
    held: dict[str, dict[str, np.ndarray]] = {}
    for path in sorted((Path(directory) / "timeseries").glob("part-*.parquet")):
        batches = pq.ParquetFile(path).iter_batches(
            batch_size=SERIES_BATCH_ROWS, columns=SERIES_COLUMNS
        )
        for batch in batches:
            _add_batch(held, batch, where, sizes)
    return held


def _add_batch(
    held: dict[str, dict[str, np.ndarray]],
    batch: pa.RecordBatch,
    where: dict[str, tuple[str, int]],
    sizes: dict[str, int],
) -> None:
    """Write one batch of time-series rows into the per-variant, per-faction arrays."""
    variant, row = _locate(batch.column("run_id"), where)
    factions = batch.column("faction").dictionary_encode()
    faction_code = factions.indices.to_numpy()
    day = batch.column("day").to_numpy()
    value = batch.column("places_held").to_numpy()
    for name in (v for v in pd.unique(variant) if v is not None):
        mine = variant == name
        grids = held.setdefault(name, {})
        codes, first = np.unique(faction_code[mine], return_index=True)
        for code in codes[np.argsort(first)]:  # factions in the order the runs list them
            rows = mine & (faction_code == code)
            key = factions.dictionary[code].as_py()
            grids[key] = _grown(grids.get(key), sizes[name], int(day[rows].max()) + 1)
            grids[key][row[rows], day[rows]] = value[rows]


def _locate(run_ids: pa.Array, where: dict[str, tuple[str, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's variant (None for runs not in the report) and row in that variant's
    arrays; looked up once per distinct run of the batch, not per row."""
    encoded = run_ids.dictionary_encode()
    located = [where.get(run_id, (None, -1)) for run_id in encoded.dictionary.to_pylist()]
    code = encoded.indices.to_numpy()
    variants = np.array([v for v, _ in located], dtype=object)[code]
    return variants, np.array([r for _, r in located], dtype=np.int64)[code]


def _grown(grid: np.ndarray | None, n_runs: int, days: int) -> np.ndarray:
    """`grid` (runs x days, NaN where absent) with at least `days` columns."""
    if grid is None:
        return np.full((n_runs, days), np.nan, dtype=np.float32)
    if grid.shape[1] >= days:
        return grid
    wider = np.full((n_runs, days), np.nan, dtype=np.float32)
    wider[:, : grid.shape[1]] = grid
    return wider


def _quantiles(values: np.ndarray) -> np.ndarray:
    """The (days, 3) QUANTILES over runs of a (runs, days) array; runs that are shorter
    or have no rows (NaN) are left out of the days they lack."""
    values = values.astype(np.float64)
    if np.isnan(values).any():
        values = values[~np.isnan(values).all(axis=1)]
        return np.nanquantile(values, QUANTILES, axis=0).T
    return np.quantile(values, QUANTILES, axis=0).T


def _fan_charts(bands: Bands, manifest: dict) -> bytes | None:
    """Places held per faction over time: median and 10-90 % band, one panel per variant.
    Each faction keeps one colour in every panel, and the legend lists them all, even
    when a panel (a variant without finished runs) has none."""
    if not bands:
        return None
    variants = list(manifest["variants"])
    factions = dict.fromkeys(f for v in variants for f in bands.get(v, {}))
    colours = {faction: f"C{i % 10}" for i, faction in enumerate(factions)}
    figure, axes = plt.subplots(
        1, len(variants), figsize=(4.5 * len(variants), 3.6), sharey=True, squeeze=False
    )
    for axis, variant in zip(axes[0], variants, strict=True):
        for faction, band in bands.get(variant, {}).items():
            days = np.arange(len(band))
            axis.plot(days, band[:, 1], color=colours[faction])
            axis.fill_between(days, band[:, 0], band[:, 2], color=colours[faction], alpha=0.2)
        axis.set_title(variant)
        axis.set_xlabel("day")
    axes[0][0].set_ylabel("places held (median, 10-90 %)")
    keys = [Line2D([], [], color=colour, label=f) for f, colour in colours.items()]
    axes[0][-1].legend(handles=keys, fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    return png(figure)


def _distributions(analysis: Analysis) -> bytes | None:
    """Each compared metric per variant: a box plot of its values, or for a 0/1 metric
    the share of runs with its Wilson 95 % interval (a variant without values is empty)."""
    metrics = list(dict.fromkeys(r.metric for r in analysis.results))
    if not metrics:
        return None
    finished = analysis.runs[analysis.runs["status"] == "ok"]
    variants = list(analysis.manifest["variants"])
    figure, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.4), squeeze=False)
    for axis, metric in zip(axes[0], metrics, strict=True):
        data = [metric_values(finished, v, metric) for v in variants]
        if metric in analysis.settings.binary:
            _share_plot(axis, data)
        else:
            _box_plot(axis, data)
        axis.set_xticks(range(1, len(variants) + 1), variants, rotation=20, fontsize=8)
        axis.set_title(metric, fontsize=9)
    return png(figure)


def _box_plot(axis, data: list[np.ndarray]) -> None:
    axis.boxplot(data, showmeans=True)
    for i, values in enumerate(data, start=1):
        jitter = np.random.default_rng(i).uniform(-0.12, 0.12, len(values))
        axis.scatter(np.full(len(values), i) + jitter, values, s=6, alpha=0.5)


def _share_plot(axis, data: list[np.ndarray]) -> None:
    """Share of runs where a 0/1 metric is 1, with its Wilson 95 % interval."""
    for i, values in enumerate(data, start=1):
        if not len(values):
            continue
        share = float(np.mean(values))
        low, high = wilson(int(np.sum(values)), len(values))
        below, above = max(share - low, 0.0), max(high - share, 0.0)  # rounding
        axis.errorbar(i, share, yerr=[[below], [above]], fmt="o", capsize=4)
        axis.annotate(f"{share:.0%}\nn={len(values)}", (i, share), xytext=(6, -4),
                      textcoords="offset points", fontsize=7)  # fmt: skip
    axis.set_ylim(-0.05, 1.05)
    axis.set_ylabel("share of runs (Wilson 95 %)", fontsize=8)


def _capture_map(captures: pd.DataFrame, runs: pd.DataFrame, manifest: dict) -> bytes | None:
    """Share of runs in which each place changes hands, on the baseline's map."""
    variant = manifest["variants"][manifest["baseline"]]
    experiment_dir = Path(manifest["experiment"]).parent
    try:
        world = load_scenario(experiment_dir / variant["scenario"]).map
    except InputError:
        return None
    n_runs = runs[(runs["variant"] == manifest["baseline"]) & (runs["status"] == "ok")]
    if n_runs.empty:
        return None
    baseline_ids = set(n_runs["run_id"])
    taken = captures[captures["run_id"].isin(baseline_ids)].drop_duplicates(["run_id", "place"])
    share = taken.groupby("place").size() / len(baseline_ids)
    probability = np.array([share.get(name, 0.0) for name in world.names])
    figure, axis = plt.subplots(figsize=(7, 6))
    xy = world.projected()
    for a, b in world.road_ends:
        axis.plot(*xy[[a, b]].T, color="#bbbbbb", linewidth=0.8, zorder=1)
    points = axis.scatter(
        *xy.T, c=probability, cmap="Reds", vmin=0, vmax=1, s=40, edgecolors="k",
        linewidths=0.4, zorder=2,
    )  # fmt: skip
    for i in np.argsort(-probability)[:12]:
        if probability[i] > 0:
            axis.annotate(world.names[i], xy[i], fontsize=7, xytext=(3, 3),
                          textcoords="offset points")  # fmt: skip
    figure.colorbar(points, label=f"share of {manifest['baseline']} runs in which it changes hands")
    axis.set_aspect("equal")
    axis.set_xlabel("km east")
    axis.set_ylabel("km north")
    axis.set_title("Capture probability")
    return png(figure)
