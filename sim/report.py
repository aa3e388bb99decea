"""Reports of a sweep: per comparison, the distributions, the effect, a test and a verdict.

For each comparison of the experiment (a metric, a variant against the baseline, the
direction the article predicts) the report gives each variant's distribution, the
difference of means with a bootstrap 95 % confidence interval, Cliff's delta as effect
size, a Mann–Whitney U or permutation test, and a verdict in plain words: supported
(significant, in the predicted direction), contradicted (significant, the other way) or
inconclusive at this sample size. With a parameter design it also gives the share of
design points at which the verdict holds and ranks the uncertain parameters by how
strongly they move the difference (Spearman's rho over the points). It writes
`report.md` and a self-contained `report.html` with PNG plots: territory fan charts per
variant, outcome distributions, and the capture probability of each place on the map.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from sim.pages import markdown_to_html, png
from sim.problems import InputError, Problem
from sim.results import ResultStore
from sim.scenario import load_scenario

ALPHA = 0.05
BOOTSTRAP_RESAMPLES = 2000
REPORT_SEED = 12345  # bootstrap and permutation resampling


@dataclasses.dataclass
class ComparisonResult:
    """The statistics and verdict of one comparison."""

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

    def sentence(self) -> str:
        """The verdict in plain words."""
        return (
            f"{self.verdict}: {self.variant} - {self.baseline} = {self.difference:+.3g} "
            f"[{self.ci_low:+.3g}, {self.ci_high:+.3g}] in {self.metric}, Cliff's delta "
            f"{self.cliffs_delta:+.2f}, {self.test} p = {self.p_value:.3g} "
            f"(predicted: {self.expect}; n = {self.n_variant} vs {self.n_baseline})"
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
    """The statistics of one comparison from the metric's values in both variants."""
    x, y = variant_values, baseline_values
    alternative = {"greater": "greater", "less": "less"}.get(spec["expect"], "two-sided")
    rng = np.random.default_rng(REPORT_SEED)
    if min(len(x), len(y)) < 2:
        raise InputError([Problem(Path(name), "runs", "fewer than 2 finished runs to compare")])
    difference = float(np.mean(x) - np.mean(y))
    if np.ptp(np.concatenate([x, y])) == 0:
        ci_low = ci_high = difference
        p_value, delta = 1.0, 0.0
    else:
        interval = stats.bootstrap(
            (x, y),
            lambda a, b, axis=-1: np.mean(a, axis=axis) - np.mean(b, axis=axis),
            n_resamples=BOOTSTRAP_RESAMPLES,
            confidence_level=0.95,
            method="percentile",
            random_state=rng,
        ).confidence_interval
        ci_low, ci_high = float(interval.low), float(interval.high)
        u_statistic = stats.mannwhitneyu(x, y, alternative="two-sided").statistic
        delta = float(2 * u_statistic / (len(x) * len(y)) - 1)
        p_value = _p_value(spec["test"], x, y, alternative, rng)
    return ComparisonResult(
        name=name,
        metric=spec["metric"],
        variant=spec["variant"],
        baseline=baseline,
        expect=spec["expect"],
        test=spec["test"],
        n_variant=len(x),
        n_baseline=len(y),
        mean_variant=float(np.mean(x)),
        mean_baseline=float(np.mean(y)),
        difference=difference,
        ci_low=ci_low,
        ci_high=ci_high,
        cliffs_delta=delta,
        p_value=p_value,
        verdict=verdict_of(spec["expect"], p_value, ci_low, ci_high),
    )


def _p_value(test: str, x, y, alternative: str, rng) -> float:
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


def _design_effects(result: ComparisonResult, runs: pd.DataFrame, spec: dict, baseline: str):
    """Share of design points where the verdict holds; parameters ranked by influence."""
    column = f"metric.{spec['metric']}"
    parameters = [c for c in runs.columns if c.startswith("param.")]
    per_point = []
    for point, group in runs.groupby("point"):
        x = group.loc[group["variant"] == spec["variant"], column].dropna().to_numpy()
        y = group.loc[group["variant"] == baseline, column].dropna().to_numpy()
        if min(len(x), len(y)) < 2:
            continue
        local = compare(f"{result.name}@{point}", spec, baseline, x, y)
        row = {"point": point, "difference": local.difference, "holds": local.verdict}
        row |= group[parameters].iloc[0].to_dict()
        per_point.append(row)
    table = pd.DataFrame(per_point)
    if table.empty:
        return
    result.points_supported = float((table["holds"] == "supported").mean())
    ranking = []
    for parameter in parameters:
        values = pd.to_numeric(table[parameter], errors="coerce")
        if values.nunique() > 1 and table["difference"].nunique() > 1:
            rho = stats.spearmanr(values, table["difference"]).statistic
            ranking.append((parameter.removeprefix("param."), float(rho)))
    result.sensitivity = sorted(ranking, key=lambda item: -abs(item[1]))


@dataclasses.dataclass
class Report:
    """Where the report went, and its verdict table as text."""

    markdown: Path
    html: Path
    verdict_table: str
    comparisons: list[ComparisonResult]


def analyse(directory: Path) -> tuple[dict, pd.DataFrame, list[ComparisonResult]]:
    """The manifest, the finished runs and every comparison's statistics."""
    store = ResultStore(directory)
    manifest = store.manifest()
    runs = store.read("runs")
    if runs.empty:
        raise InputError([Problem(Path(directory), "runs", "no finished runs in this directory")])
    finished = runs[runs["status"] == "ok"]
    baseline = manifest["baseline"]
    results = []
    for name, spec in manifest["comparisons"].items():
        column = f"metric.{spec['metric']}"
        if column not in finished:
            raise InputError(
                [Problem(Path(directory), f"comparisons.{name}", f"no metric {spec['metric']!r}")]
            )
        x = finished.loc[finished["variant"] == spec["variant"], column].dropna().to_numpy(float)
        y = finished.loc[finished["variant"] == baseline, column].dropna().to_numpy(float)
        result = compare(name, spec, baseline, x, y)
        if len(manifest.get("design", [])) > 1:
            _design_effects(result, finished, spec, baseline)
        results.append(result)
    return manifest, runs, results


def write_report(directory: Path) -> Report:
    """Analyse a results directory and write report.md and report.html into it."""
    directory = Path(directory)
    manifest, runs, results = analyse(directory)
    store = ResultStore(directory)
    figures = {
        "territory": _fan_charts(store.read("timeseries"), manifest),
        "distributions": _distributions(runs, results, manifest),
        "capture_map": _capture_map(store.read("captures"), runs, manifest),
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
    header = "| comparison | verdict | difference [95% CI] | Cliff's delta | p | predicted |"
    lines = [header, "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        points = (
            f" (holds at {r.points_supported:.0%} of design points)"
            if r.points_supported is not None
            else ""
        )
        lines.append(
            f"| {r.name} | **{r.verdict}**{points} | {r.difference:+.3g} "
            f"[{r.ci_low:+.3g}, {r.ci_high:+.3g}] | {r.cliffs_delta:+.2f} | {r.p_value:.3g} "
            f"| {r.variant} {r.expect} than {r.baseline} in {r.metric} |"
        )
    return "\n".join(lines)


def _markdown(manifest, runs, results, table, figures) -> str:
    ok = (runs["status"] == "ok").sum()
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
        "contradicted when it lies on the other side, inconclusive otherwise.",
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


def _fan_charts(series: pd.DataFrame, manifest: dict) -> bytes | None:
    """Places held per faction over time: median and 10-90 % band, one panel per variant."""
    if series.empty:
        return None
    series = series.assign(variant=series["run_id"].str.split("/").str[0])
    variants = list(manifest["variants"])
    figure, axes = plt.subplots(
        1, len(variants), figsize=(4.5 * len(variants), 3.6), sharey=True, squeeze=False
    )
    for axis, variant in zip(axes[0], variants, strict=True):
        subset = series[series["variant"] == variant]
        for faction, group in subset.groupby("faction", sort=False):
            bands = group.groupby("day")["places_held"].quantile([0.1, 0.5, 0.9]).unstack()
            if bands[0.9].max() == 0:
                continue
            line = axis.plot(bands.index, bands[0.5], label=faction)[0]
            axis.fill_between(
                bands.index, bands[0.1], bands[0.9], color=line.get_color(), alpha=0.2
            )
        axis.set_title(variant)
        axis.set_xlabel("day")
    axes[0][0].set_ylabel("places held (median, 10-90 %)")
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    return png(figure)


def _distributions(runs: pd.DataFrame, results: list[ComparisonResult], manifest) -> bytes | None:
    """Each compared metric's distribution per variant."""
    metrics = list(dict.fromkeys(r.metric for r in results))
    if not metrics:
        return None
    finished = runs[runs["status"] == "ok"]
    variants = list(manifest["variants"])
    figure, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.4), squeeze=False)
    for axis, metric in zip(axes[0], metrics, strict=True):
        data = [
            finished.loc[finished["variant"] == v, f"metric.{metric}"].dropna().to_numpy(float)
            for v in variants
        ]
        axis.boxplot(data, showmeans=True)
        for i, values in enumerate(data, start=1):
            jitter = np.random.default_rng(i).uniform(-0.12, 0.12, len(values))
            axis.scatter(np.full(len(values), i) + jitter, values, s=6, alpha=0.5)
        axis.set_xticks(range(1, len(variants) + 1), variants, rotation=20, fontsize=8)
        axis.set_title(metric, fontsize=9)
    return png(figure)


def _capture_map(captures: pd.DataFrame, runs: pd.DataFrame, manifest) -> bytes | None:
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
    for a, b in world.road_ends:
        axis.plot(*world.coords[[a, b]].T, color="#bbbbbb", linewidth=0.8, zorder=1)
    points = axis.scatter(
        *world.coords.T, c=probability, cmap="Reds", vmin=0, vmax=1, s=40, edgecolors="k",
        linewidths=0.4, zorder=2,
    )  # fmt: skip
    for i in np.argsort(-probability)[:12]:
        if probability[i] > 0:
            axis.annotate(world.names[i], world.coords[i], fontsize=7, xytext=(3, 3),
                          textcoords="offset points")  # fmt: skip
    figure.colorbar(points, label=f"share of {manifest['baseline']} runs in which it changes hands")
    axis.set_aspect("equal" if not world.geographic else 1 / np.cos(np.radians(35)))
    axis.set_title("Capture probability")
    return png(figure)
