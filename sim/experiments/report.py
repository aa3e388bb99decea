"""Reports of a sweep: per comparison, the distributions, the effect, a test and a verdict.

For each comparison of the experiment (a metric, a variant against the baseline, the
direction the article predicts) the report gives each variant's distribution, the
difference of means with a bootstrap 95 % confidence interval, Cliff's delta as effect
size, a Mann–Whitney U or permutation test, and a verdict in plain words: supported
(significant, in the predicted direction), contradicted (significant, the other way),
inconclusive at this sample size, or insufficient data (fewer than two finished runs
with a value on either side: that comparison is named with its counts and the rest of
the report is still written). With a parameter design it also gives the share of
design points at which the verdict holds and ranks the uncertain parameters by how
strongly they move the difference (Spearman's rho over the points). It writes
`report.md` and a self-contained `report.html` with PNG plots: territory fan charts per
variant, outcome distributions, and the capture probability of each place on the map.
The daily time series, by far the largest table, is read part by part and batch by batch
(`territory_bands`), so reporting a large sweep does not need the whole table in memory.
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
from scipy import stats

from sim.experiments.posterior import posterior_section
from sim.experiments.results import ResultStore
from sim.formats.problems import InputError, Problem
from sim.formats.scenario import load_scenario
from sim.outcomes.pages import markdown_to_html, png

ALPHA = 0.05
BOOTSTRAP_RESAMPLES = 2000
REPORT_SEED = 12345  # bootstrap and permutation resampling
MIN_RUNS = 2  # finished runs with a value, per side, below which a comparison has no verdict
INSUFFICIENT = "insufficient data"
QUANTILES = (0.1, 0.5, 0.9)  # the fan charts' band and line
SERIES_BATCH_ROWS = 65_536  # time-series rows decoded at a time
SERIES_COLUMNS = ["run_id", "day", "faction", "places_held"]


@dataclasses.dataclass
class ComparisonResult:
    """The statistics and verdict of one comparison (NaN statistics without enough data)."""

    name: str
    metric: str
    variant: str
    baseline: str
    expect: str
    test: str
    n_variant: int
    n_baseline: int
    mean_variant: float
    mean_baseline: float
    difference: float
    ci_low: float
    ci_high: float
    cliffs_delta: float
    p_value: float
    verdict: str
    points_supported: float | None = None
    sensitivity: list[tuple[str, float]] = dataclasses.field(default_factory=list)

    @property
    def insufficient(self) -> bool:
        """Whether either side had too few values for any statistic."""
        return self.verdict == INSUFFICIENT

    def counts(self) -> str:
        """How many values each side had, e.g. "n = 12 vs 11"."""
        return f"n = {self.n_variant} vs {self.n_baseline}"

    def sentence(self) -> str:
        """The verdict in plain words."""
        if self.insufficient:
            return (
                f"{self.verdict}: finished runs with a value of {self.metric}: "
                f"{self.n_variant} of {self.variant}, {self.n_baseline} of {self.baseline}; "
                f"at least {MIN_RUNS} on each side are needed (predicted: {self.expect})"
            )
        return (
            f"{self.verdict}: {self.variant} - {self.baseline} = {self.difference:+.3g} "
            f"[{self.ci_low:+.3g}, {self.ci_high:+.3g}] in {self.metric}, Cliff's delta "
            f"{self.cliffs_delta:+.2f}, {self.test} p = {self.p_value:.3g} "
            f"(predicted: {self.expect}; {self.counts()})"
        )


def verdict_of(expect: str, p_value: float, ci_low: float, ci_high: float) -> str:
    """Supported, contradicted or inconclusive, from the test and the interval."""
    above, below = ci_low > 0, ci_high < 0
    if expect == "different":
        return "supported" if p_value < ALPHA and (above or below) else "inconclusive"
    agrees = above if expect == "greater" else below
    opposes = below if expect == "greater" else above
    if p_value < ALPHA and agrees:
        return "supported"
    if opposes:
        return "contradicted"
    return "inconclusive"


def compare(
    name: str, spec: dict, baseline: str, variant_values: np.ndarray, baseline_values: np.ndarray
) -> ComparisonResult:
    """The statistics of one comparison from the metric's values in both variants; with
    fewer than MIN_RUNS values on a side, the verdict is INSUFFICIENT and the statistics NaN."""
    x, y = variant_values, baseline_values
    nan = float("nan")
    difference = ci_low = ci_high = p_value = delta = nan
    if min(len(x), len(y)) < MIN_RUNS:
        verdict = INSUFFICIENT
    else:
        difference, ci_low, ci_high, delta, p_value = _statistics(spec, x, y)
        verdict = verdict_of(spec["expect"], p_value, ci_low, ci_high)
    return ComparisonResult(
        name=name,
        metric=spec["metric"],
        variant=spec["variant"],
        baseline=baseline,
        expect=spec["expect"],
        test=spec["test"],
        n_variant=len(x),
        n_baseline=len(y),
        mean_variant=float(np.mean(x)) if len(x) else nan,
        mean_baseline=float(np.mean(y)) if len(y) else nan,
        difference=difference,
        ci_low=ci_low,
        ci_high=ci_high,
        cliffs_delta=delta,
        p_value=p_value,
        verdict=verdict,
    )


def _statistics(
    spec: dict, x: np.ndarray, y: np.ndarray
) -> tuple[float, float, float, float, float]:
    """Difference of means, its bootstrap interval, Cliff's delta and the p-value."""
    alternative = {"greater": "greater", "less": "less"}.get(spec["expect"], "two-sided")
    rng = np.random.default_rng(REPORT_SEED)
    difference = float(np.mean(x) - np.mean(y))
    if np.ptp(np.concatenate([x, y])) == 0:
        return difference, difference, difference, 0.0, 1.0
    interval = stats.bootstrap(
        (x, y),
        lambda a, b, axis=-1: np.mean(a, axis=axis) - np.mean(b, axis=axis),
        n_resamples=BOOTSTRAP_RESAMPLES,
        confidence_level=0.95,
        method="percentile",
        random_state=rng,
    ).confidence_interval
    u_statistic = stats.mannwhitneyu(x, y, alternative="two-sided").statistic
    delta = float(2 * u_statistic / (len(x) * len(y)) - 1)
    p_value = _p_value(spec["test"], x, y, alternative, rng)
    return difference, float(interval.low), float(interval.high), delta, p_value


def _p_value(
    test: str, x: np.ndarray, y: np.ndarray, alternative: str, rng: np.random.Generator
) -> float:
    """The p-value of the experiment's test: a permutation test or Mann-Whitney U."""
    if test == "permutation":
        return float(
            stats.permutation_test(
                (x, y),
                lambda a, b, axis=-1: np.mean(a, axis=axis) - np.mean(b, axis=axis),
                alternative=alternative,
                n_resamples=BOOTSTRAP_RESAMPLES,
                random_state=rng,
            ).pvalue
        )
    return float(stats.mannwhitneyu(x, y, alternative=alternative).pvalue)


def metric_values(runs: pd.DataFrame, variant: str, metric: str) -> np.ndarray:
    """The metric's values in the variant's rows (empty if no run recorded the metric,
    e.g. when all runs failed: a thin comparison, not a broken report)."""
    column = f"metric.{metric}"
    if column not in runs:
        return np.empty(0)
    return runs.loc[runs["variant"] == variant, column].dropna().to_numpy(float)


def design_effects(
    name: str, runs: pd.DataFrame, spec: dict, baseline: str
) -> tuple[float | None, list[tuple[str, float]]]:
    """Share of design points where the comparison is supported (None if no point has
    enough runs), and the parameters ranked by |Spearman's rho| with the difference."""
    parameters = [c for c in runs.columns if c.startswith("param.")]
    per_point = []
    for point, group in runs.groupby("point"):
        x = metric_values(group, spec["variant"], spec["metric"])
        y = metric_values(group, baseline, spec["metric"])
        local = compare(f"{name}@{point}", spec, baseline, x, y)
        if local.insufficient:
            continue
        row = {"point": point, "difference": local.difference, "holds": local.verdict}
        row |= group[parameters].iloc[0].to_dict()
        per_point.append(row)
    table = pd.DataFrame(per_point)
    if table.empty:
        return None, []
    ranking = []
    for parameter in parameters:
        values = pd.to_numeric(table[parameter], errors="coerce")
        if values.nunique() > 1 and table["difference"].nunique() > 1:
            rho = stats.spearmanr(values, table["difference"]).statistic
            ranking.append((parameter.removeprefix("param."), float(rho)))
    ranking.sort(key=lambda item: -abs(item[1]))
    return float((table["holds"] == "supported").mean()), ranking


@dataclasses.dataclass
class Report:
    """Where the report went, and its verdict table as text."""

    markdown: Path
    html: Path
    verdict_table: str
    comparisons: list[ComparisonResult]


def in_plan_order(runs: pd.DataFrame, variants: list[str]) -> pd.DataFrame:
    """The runs in the sweep's plan order (variant as listed, design point, replicate), not
    in the order they finished: resampling then gives the same intervals for the same rows,
    whatever the workers, and tables list the runs as planned."""
    rank = {name: i for i, name in enumerate(variants)}
    return runs.sort_values(
        ["variant", "point", "replicate"],
        key=lambda column: column.map(rank) if column.name == "variant" else column,
        ignore_index=True,
    )


def analyse(directory: Path) -> tuple[dict, pd.DataFrame, list[ComparisonResult]]:
    """The manifest, the stored runs and every comparison's statistics."""
    store = ResultStore(directory)
    manifest = store.manifest()
    runs = in_plan_order(store.read("runs"), list(manifest["variants"]))
    if runs.empty:
        raise InputError([Problem(Path(directory), "runs", "no finished runs in this directory")])
    finished = runs[runs["status"] == "ok"]
    baseline = manifest["baseline"]
    results = []
    for name, spec in manifest["comparisons"].items():
        x = metric_values(finished, spec["variant"], spec["metric"])
        y = metric_values(finished, baseline, spec["metric"])
        result = compare(name, spec, baseline, x, y)
        if len(manifest.get("design", [])) > 1 and not result.insufficient:
            effects = design_effects(name, finished, spec, baseline)
            result.points_supported, result.sensitivity = effects
        results.append(result)
    return manifest, runs, results


def write_report(directory: Path) -> Report:
    """Analyse a results directory and write report.md and report.html into it."""
    directory = Path(directory)
    manifest, runs, results = analyse(directory)
    store = ResultStore(directory)
    figures = {
        "territory": _fan_charts(territory_bands(directory, runs), manifest),
        "distributions": _distributions(runs, results, manifest),
        "capture_map": _capture_map(store.read("captures", ["run_id", "place"]), runs, manifest),
    }
    figures = {k: v for k, v in figures.items() if v is not None}
    for name, image in figures.items():
        (directory / f"{name}.png").write_bytes(image)
    table = _verdict_table(results)
    markdown = _markdown(manifest, runs, results, table, figures)
    (directory / "report.md").write_text(markdown, encoding="utf-8")
    (directory / "report.html").write_text(
        markdown_to_html(markdown, figures, "Sweep report"), encoding="utf-8"
    )
    return Report(directory / "report.md", directory / "report.html", table, results)


def _verdict_table(results: list[ComparisonResult]) -> str:
    """The verdicts as a Markdown table, one row per comparison."""
    header = "| comparison | verdict | difference [95% CI] | Cliff's delta | p | predicted |"
    lines = [header, "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        predicted = f"{r.variant} {r.expect} than {r.baseline} in {r.metric}"
        if r.insufficient:
            lines.append(f"| {r.name} | **{r.verdict}** ({r.counts()}) | – | – | – | {predicted} |")
            continue
        points = (
            f" (holds at {r.points_supported:.0%} of design points)"
            if r.points_supported is not None
            else ""
        )
        lines.append(
            f"| {r.name} | **{r.verdict}**{points} | {r.difference:+.3g} "
            f"[{r.ci_low:+.3g}, {r.ci_high:+.3g}] | {r.cliffs_delta:+.2f} | {r.p_value:.3g} "
            f"| {predicted} |"
        )
    return "\n".join(lines)


def _markdown(
    manifest: dict,
    runs: pd.DataFrame,
    results: list[ComparisonResult],
    table: str,
    figures: dict[str, bytes],
) -> str:
    """The report as Markdown: the sweep, the verdicts, each comparison, the variants."""
    ok = (runs["status"] == "ok").sum()
    thin = (
        f" A comparison with fewer than {MIN_RUNS} finished runs with a value on either "
        "side has insufficient data: it gets no statistics, and its counts are given."
        if any(r.insufficient for r in results)
        else ""
    )
    lines = [
        f"# {manifest['name']}: sweep report",
        "",
        manifest.get("description", ""),
        "",
        f"Hypothesis: {manifest['hypothesis'].strip()}" if manifest.get("hypothesis") else "",
        "",
        f"{len(runs)} runs ({ok} finished, {len(runs) - ok} failed) of "
        f"{manifest['runs_planned']} planned; {manifest['replicates']} replicates per variant "
        f"and design point; master seed {manifest['seed']}; code {manifest['code_version']}.",
        "",
        "## Verdicts",
        "",
        f"Each comparison is tested on its own at alpha = {ALPHA} (one-sided in the predicted "
        "direction; no correction for multiple comparisons): supported when p < alpha and the "
        "bootstrap 95 % interval of the difference lies on the predicted side of zero, "
        f"contradicted when it lies on the other side, inconclusive otherwise.{thin}",
        "",
        table,
        "",
    ]
    for r in results:
        lines += [f"### {r.name}", "", r.sentence(), ""]
        if r.sensitivity:
            lines.append("Sensitivity (Spearman's rho of the difference with each parameter):")
            lines += [f"- `{name}`: {rho:+.2f}" for name, rho in r.sensitivity]
            lines.append("")
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


def _distributions(
    runs: pd.DataFrame, results: list[ComparisonResult], manifest: dict
) -> bytes | None:
    """Each compared metric's distribution per variant (a variant without values is an
    empty column)."""
    metrics = list(dict.fromkeys(r.metric for r in results))
    if not metrics:
        return None
    finished = runs[runs["status"] == "ok"]
    variants = list(manifest["variants"])
    figure, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.4), squeeze=False)
    for axis, metric in zip(axes[0], metrics, strict=True):
        data = [metric_values(finished, v, metric) for v in variants]
        axis.boxplot(data, showmeans=True)
        for i, values in enumerate(data, start=1):
            jitter = np.random.default_rng(i).uniform(-0.12, 0.12, len(values))
            axis.scatter(np.full(len(values), i) + jitter, values, s=6, alpha=0.5)
        axis.set_xticks(range(1, len(variants) + 1), variants, rotation=20, fontsize=8)
        axis.set_title(metric, fontsize=9)
    return png(figure)


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
