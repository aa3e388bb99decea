"""The statistics of one comparison: a metric in a variant against the baseline.

Two arms of runs, independent (every run its own seed) or paired (common seeds: run i
of each arm had the same seed, so chance largely cancels in their difference). For a
number: the difference of means with a bootstrap 95 % interval (of pairs when paired),
Cliff's delta, a two-sided test (Mann-Whitney U, Wilcoxon signed-rank, or a permutation
test of labels or of signs), and with a smallest effect of interest (sesoi) the p-value
of two one-sided t-tests (TOST) that the difference lies within +-sesoi. For a 0/1
metric: shares with Wilson intervals, the difference with a Newcombe interval, an exact
test, and TOST on the Newcombe interval (`sim.experiments.proportions`).

The verdict needs the p-values of all the experiment's tests together (they are
corrected for multiplicity): `sim.experiments.verdicts` gives it.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import stats

from sim.experiments import proportions
from sim.experiments.proportions import Counts

ALPHA = 0.05  # significance level of every test, after correction
BOOTSTRAP_RESAMPLES = 2000
REPORT_SEED = 12345  # bootstrap and permutation resampling
MIN_RUNS = 2  # runs with a value (pairs, when paired) per side, below which there is no test
INSUFFICIENT = "insufficient data"
NO_RESPONSE = "no response"


@dataclasses.dataclass(frozen=True)
class Arms:
    """A metric's values in the variant (`x`) and the baseline (`y`); when `paired`,
    x[i] and y[i] are runs with the same seed (and design point)."""

    x: np.ndarray
    y: np.ndarray
    paired: bool = False


@dataclasses.dataclass
class ComparisonResult:
    """The statistics and verdict of one comparison (NaN statistics without enough data).

    `p_value` is the raw two-sided p of the difference test and `p_adjusted` its value
    after the experiment's multiplicity correction; `tost_p` / `tost_adjusted` those of
    the equivalence test (NaN without a sesoi). `power` is the chance of detecting a
    true difference of sesoi at these counts (normal approximation, at the level of the
    correction's strictest step). Shares and their Wilson intervals only for 0/1 metrics.
    """

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
    verdict: str = ""
    claim: str = ""
    description: str = ""
    sesoi: float | None = None
    paired: bool = False
    binary: bool = False
    no_response: bool = False
    standard_error: float = math.nan
    variant_interval: tuple[float, float] | None = None
    baseline_interval: tuple[float, float] | None = None
    tost_p: float = math.nan
    p_adjusted: float = math.nan
    tost_adjusted: float = math.nan
    power: float = math.nan
    points_supported: float | None = None
    sensitivity: list[tuple[str, float]] = dataclasses.field(default_factory=list)
    sobol: list[SobolIndex] = dataclasses.field(default_factory=list)
    box: object | None = None  # sim.experiments.prim.Box of the region where it holds

    @property
    def insufficient(self) -> bool:
        """Whether either side had too few values for any statistic."""
        return self.n_variant < MIN_RUNS or self.n_baseline < MIN_RUNS

    @property
    def tested(self) -> bool:
        """Whether the comparison has tests in the experiment's family."""
        return not (self.insufficient or self.no_response)

    def counts(self) -> str:
        """How many values each side had, e.g. "n = 12 vs 11" or "12 pairs"."""
        if self.paired:
            return f"{self.n_variant} pair" + ("" if self.n_variant == 1 else "s")
        return f"n = {self.n_variant} vs {self.n_baseline}"

    def prediction(self) -> str:
        """What the claim predicts, e.g. "v greater than base in m"."""
        than = "to" if self.expect == "equivalent" else "than"
        return f"{self.variant} {self.expect} {than} {self.baseline} in {self.metric}"

    def arms_text(self) -> str:
        """Each arm's mean, or share of runs with its Wilson interval."""
        if self.binary and self.variant_interval and self.baseline_interval:
            (vl, vh), (bl, bh) = self.variant_interval, self.baseline_interval
            return (
                f"{self.mean_variant:.0%} [{vl:.0%}, {vh:.0%}] vs "
                f"{self.mean_baseline:.0%} [{bl:.0%}, {bh:.0%}]"
            )
        return f"{self.mean_variant:.3g} vs {self.mean_baseline:.3g}"

    def interval_text(self) -> str:
        """The difference and its 95 % interval (percentage points for shares)."""
        if self.binary:
            return (
                f"{100 * self.difference:+.0f} pts [{100 * self.ci_low:+.0f}, "
                f"{100 * self.ci_high:+.0f}]"
            )
        return f"{self.difference:+.3g} [{self.ci_low:+.3g}, {self.ci_high:+.3g}]"

    def p_text(self) -> str:
        """Raw and adjusted p of the difference test, e.g. "0.012 (adj. 0.036)"."""
        return _raw_and_adjusted(self.p_value, self.p_adjusted)

    def tost_text(self) -> str:
        return _raw_and_adjusted(self.tost_p, self.tost_adjusted)

    def sesoi_text(self) -> str:
        if self.sesoi is None:
            return "–"
        return f"±{100 * self.sesoi:.0f} pts" if self.binary else f"±{self.sesoi:.3g}"

    def power_text(self) -> str:
        return "–" if math.isnan(self.power) else f"{self.power:.0%}"

    def sentence(self) -> str:
        """The verdict in plain words."""
        if self.insufficient:
            side = "pairs of runs" if self.paired else "finished runs"
            return (
                f"{self.verdict}: {side} with a value of {self.metric}: "
                f"{self.n_variant} of {self.variant}, {self.n_baseline} of {self.baseline}; "
                f"at least {MIN_RUNS} on each side are needed (predicted: {self.expect})"
            )
        if self.no_response:
            return (
                f"{self.verdict}: {self.metric} is the same in every run of {self.variant} "
                f"and {self.baseline}"
                + (" pair by pair" if self.paired else "")
                + f" ({self.arms_text()}; {self.counts()}): the model does not respond "
                f"to what the variant changes (predicted: {self.expect})"
            )
        unit = "share" if self.binary else self.metric
        text = (
            f"{self.verdict}: {self.variant} - {self.baseline} = {self.interval_text()} in "
            f"{unit} ({self.arms_text()}), Cliff's delta {self.cliffs_delta:+.2f}, "
            f"{self.test} p = {self.p_text()}"
        )
        if self.sesoi is not None:
            text += (
                f", equivalence within {self.sesoi_text()} p = {self.tost_text()}, "
                f"power {self.power_text()} to detect {self.sesoi_text()}"
            )
        if self.verdict == "equivalent" and self.p_adjusted < ALPHA:
            text += "; a real difference, but smaller than the smallest effect of interest"
        return text + f" (predicted: {self.expect}; {self.counts()})"


def _raw_and_adjusted(raw: float, adjusted: float) -> str:
    """E.g. "0.012 (adj. 0.036)"; a dash without a test, the raw p alone if it was not
    in the corrected family (no response)."""
    if math.isnan(raw):
        return "–"
    if math.isnan(adjusted):
        return f"{raw:.2g} (not tested)"
    return f"{raw:.2g} (adj. {adjusted:.2g})"


@dataclasses.dataclass(frozen=True)
class SobolIndex:
    """First-order and total Sobol index of one parameter, with 95 % bootstrap intervals
    (half-widths, as SALib gives them)."""

    parameter: str
    first: float
    first_conf: float
    total: float
    total_conf: float


def compare(name: str, spec: dict, baseline: str, arms: Arms, binary: bool) -> ComparisonResult:
    """The statistics of one comparison (no verdict yet: see `sim.experiments.verdicts`);
    with fewer than MIN_RUNS values (pairs) on a side, the statistics are NaN."""
    x, y = arms.x, arms.y
    nan = math.nan
    result = ComparisonResult(
        name=name,
        metric=spec["metric"],
        variant=spec["variant"],
        baseline=baseline,
        expect=spec["expect"],
        test=test_name(spec, arms.paired, binary),
        n_variant=len(x),
        n_baseline=len(y),
        mean_variant=float(np.mean(x)) if len(x) else nan,
        mean_baseline=float(np.mean(y)) if len(y) else nan,
        difference=nan,
        ci_low=nan,
        ci_high=nan,
        cliffs_delta=nan,
        p_value=nan,
        claim=spec.get("claim", ""),
        description=spec.get("description", ""),
        sesoi=spec.get("sesoi"),
        paired=arms.paired,
        binary=binary,
    )
    if result.insufficient:
        return result
    result.no_response = no_response(arms)
    result.difference = float(np.mean(x) - np.mean(y))
    result.cliffs_delta = cliffs_delta(x, y)
    if binary:
        _share_statistics(result, arms)
    else:
        _number_statistics(result, arms)
    return result


def test_name(spec: dict, paired: bool, binary: bool) -> str:
    """The test a comparison gets: an exact test for shares, else the file's choice or
    the rank test of the pairing."""
    if binary:
        return "McNemar's exact" if paired else "Fisher's exact"
    return spec.get("test") or ("signed-rank" if paired else "mann-whitney")


def no_response(arms: Arms) -> bool:
    """Whether the metric is the same in every run of both arms (or, for pairs, the
    same in both runs of every pair): nothing the variant changes reaches it."""
    if arms.paired:
        return bool(np.array_equal(arms.x, arms.y))
    return np.ptp(np.concatenate([arms.x, arms.y])) == 0


def cliffs_delta(x: np.ndarray, y: np.ndarray) -> float:
    """Share of (variant, baseline) pairs of runs where the variant is greater, minus the
    share where it is smaller."""
    u_statistic = stats.mannwhitneyu(x, y, alternative="two-sided").statistic
    return float(2 * u_statistic / (len(x) * len(y)) - 1)


def _number_statistics(result: ComparisonResult, arms: Arms) -> None:
    x, y = arms.x, arms.y
    rng = np.random.default_rng(REPORT_SEED)
    result.ci_low, result.ci_high = _bootstrap_interval(arms, rng)
    result.p_value = 1.0 if result.no_response else _p_value(result.test, arms, rng)
    if arms.paired:
        result.standard_error = float(np.std(x - y, ddof=1) / math.sqrt(len(x)))
    else:
        result.standard_error = float(
            math.sqrt(np.var(x, ddof=1) / len(x) + np.var(y, ddof=1) / len(y))
        )
    if result.sesoi is not None:
        result.tost_p = equivalence_p(arms, result.sesoi)


def _share_statistics(result: ComparisonResult, arms: Arms) -> None:
    counts = Counts.of(arms.x, arms.y, arms.paired)
    result.variant_interval = proportions.wilson(counts.successes[0], counts.runs[0])
    result.baseline_interval = proportions.wilson(counts.successes[1], counts.runs[1])
    result.ci_low, result.ci_high = proportions.newcombe(counts)
    result.p_value = proportions.exact_p(counts)
    if result.sesoi is not None:
        result.tost_p = proportions.equivalence_p(counts, result.sesoi)
        result.standard_error = share_standard_error(counts, result.sesoi)


def share_standard_error(counts: Counts, sesoi: float) -> float:
    """Standard error of a difference of shares of sesoi from the baseline's share (the
    alternative a power calculation aims at), as if the runs were independent (pairs
    can only do better)."""
    _, baseline = counts.shares
    shifted = baseline + sesoi if baseline + sesoi <= 1 else baseline - sesoi
    n1, n2 = counts.runs
    return math.sqrt(shifted * (1 - shifted) / n1 + baseline * (1 - baseline) / n2)


def _bootstrap_interval(arms: Arms, rng: np.random.Generator) -> tuple[float, float]:
    """Percentile bootstrap 95 % interval of the mean difference: of pairs when paired,
    of each arm apart otherwise (a degenerate resampling gives the difference itself)."""
    x, y = arms.x, arms.y
    difference = float(np.mean(x) - np.mean(y))
    samples = (x - y,) if arms.paired else (x, y)
    if all(np.ptp(sample) == 0 for sample in samples):
        return difference, difference

    def statistic(*values, axis=-1):
        if len(values) == 1:
            return np.mean(values[0], axis=axis)
        return np.mean(values[0], axis=axis) - np.mean(values[1], axis=axis)

    interval = stats.bootstrap(
        samples,
        statistic,
        n_resamples=BOOTSTRAP_RESAMPLES,
        confidence_level=0.95,
        method="percentile",
        random_state=rng,
    ).confidence_interval
    return float(interval.low), float(interval.high)


def _p_value(test: str, arms: Arms, rng: np.random.Generator) -> float:
    """Two-sided p of no difference, by the comparison's test."""
    x, y = arms.x, arms.y
    if test == "permutation":
        return float(
            stats.permutation_test(
                (x, y),
                lambda a, b, axis=-1: np.mean(a, axis=axis) - np.mean(b, axis=axis),
                permutation_type="samples" if arms.paired else "independent",
                alternative="two-sided",
                n_resamples=BOOTSTRAP_RESAMPLES,
                random_state=rng,
            ).pvalue
        )
    if test == "signed-rank":
        if not np.any(x != y):
            return 1.0
        return float(stats.wilcoxon(x, y, alternative="two-sided").pvalue)
    return float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)


def equivalence_p(arms: Arms, sesoi: float) -> float:
    """p-value of two one-sided t-tests (TOST) that the mean difference lies within
    +-sesoi: Welch's t for independent arms, the one-sample t of the differences for
    pairs. The larger of the two one-sided p-values."""
    x, y = arms.x, arms.y
    if arms.paired:
        d = x - y
        if np.ptp(d) == 0:
            return 0.0 if abs(d[0]) < sesoi else 1.0
        below = stats.ttest_1samp(d, -sesoi, alternative="greater").pvalue
        above = stats.ttest_1samp(d, sesoi, alternative="less").pvalue
    else:
        if np.ptp(x) == 0 and np.ptp(y) == 0:
            return 0.0 if abs(x[0] - y[0]) < sesoi else 1.0
        below = stats.ttest_ind(x, y - sesoi, equal_var=False, alternative="greater").pvalue
        above = stats.ttest_ind(x, y + sesoi, equal_var=False, alternative="less").pvalue
    return float(max(below, above))
