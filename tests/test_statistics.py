"""The statistics behind verdicts, each against an independent computation: Holm and
Benjamini-Hochberg on a p-vector worked by hand, TOST against statsmodels, Wilson and
Newcombe intervals against Newcombe's published examples (and statsmodels), exact tests
against closed forms, Sobol indices of the Ishigami function against their analytic
values, PRIM on a constructed box, power against its closed form, and the verdict and
claim rules on constructed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.weightstats import ttost_ind, ttost_paired

from sim.experiments.comparison import Arms, ComparisonResult, compare, equivalence_p
from sim.experiments.design import design_points
from sim.experiments.multiplicity import adjust
from sim.experiments.prim import prim_box
from sim.experiments.proportions import Counts, exact_p, newcombe, wilson
from sim.experiments.proportions import equivalence_p as share_equivalence_p
from sim.experiments.sensitivity import sobol_indices
from sim.experiments.verdicts import ALPHA, claim_lines, decide, power, verdict_of
from sim.formats.experiment import DesignSpec, ParameterRange

# --- multiplicity -----------------------------------------------------------------------

P = [0.01, 0.04, 0.03, 0.005]
# sorted: 0.005, 0.01, 0.03, 0.04 (m = 4)
# Holm: 4 x 0.005 = 0.02, 3 x 0.01 = 0.03, 2 x 0.03 = 0.06, max(1 x 0.04, 0.06) = 0.06
HOLM = [0.03, 0.06, 0.06, 0.02]
# BH: min over k >= i of m p_(k) / k: 0.04, 0.04, 0.04 (4 x 0.03 / 3), 0.04 (4 x 0.04 / 4)
# for the two smallest: 4 x 0.005 / 1 = 0.02, 4 x 0.01 / 2 = 0.02
BH = [0.02, 0.04, 0.04, 0.02]


def test_holm_on_a_p_vector_worked_by_hand():
    assert adjust(P, "holm") == pytest.approx(HOLM)


def test_benjamini_hochberg_on_a_p_vector_worked_by_hand():
    assert adjust(P, "bh") == pytest.approx(BH)


def test_untested_entries_stay_nan_and_do_not_count():
    adjusted = adjust([0.01, math.nan, 0.04], "holm")
    assert adjusted[0] == pytest.approx(0.02) and adjusted[2] == pytest.approx(0.04)
    assert math.isnan(adjusted[1])
    assert adjust(P, "none") == P


# --- equivalence (TOST) -------------------------------------------------------------------


def constructed(shift: float, spread: float, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Two samples whose means differ by exactly `shift`, with the given spread."""
    base = np.linspace(-1.0, 1.0, n) * spread
    rng = np.random.default_rng(3)
    return rng.permutation(base) + shift, base.copy()


@pytest.mark.parametrize(
    ("shift", "spread", "equivalent"),
    [
        (0.1, 0.5, True),  # a small difference, measured precisely: within +-1
        (0.1, 6.0, False),  # the same difference, too noisy to say
        (1.5, 0.5, False),  # precisely beyond the margin
    ],
)
def test_tost_of_independent_samples_matches_statsmodels(shift, spread, equivalent):
    x, y = constructed(shift, spread)
    ours = equivalence_p(Arms(x, y), 1.0)
    theirs = ttost_ind(x, y, -1.0, 1.0, usevar="unequal")[0]
    assert ours == pytest.approx(theirs, rel=1e-9)
    assert (ours < ALPHA) is equivalent


@pytest.mark.parametrize(("shift", "equivalent"), [(0.2, True), (0.95, False)])
def test_tost_of_pairs_matches_statsmodels(shift, equivalent):
    rng = np.random.default_rng(4)
    common = rng.normal(0, 5, 30)  # shared by both runs of a pair: cancels
    x = common + shift + rng.normal(0, 0.3, 30)
    y = common + rng.normal(0, 0.3, 30)
    ours = equivalence_p(Arms(x, y, paired=True), 1.0)
    assert ours == pytest.approx(ttost_paired(x, y, -1.0, 1.0)[0], rel=1e-9)
    assert (ours < ALPHA) is equivalent
    assert equivalence_p(Arms(x, y), 1.0) > ALPHA  # unpaired, the common noise swamps it


# --- shares -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    # Newcombe (1998a), Table I, method 3 (Wilson score without continuity correction)
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
     (1, 29, 0.0061, 0.1718)],
)  # fmt: skip
def test_wilson_interval_on_newcombes_examples(k, n, low, high):
    assert wilson(k, n) == pytest.approx((low, high), abs=1e-4)
    assert wilson(k, n) == pytest.approx(proportion_confint(k, n, method="wilson"), abs=1e-12)


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2", "low", "high"),
    # Newcombe (1998b, independent proportions), method 10
    [(56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090)],
)
def test_newcombe_interval_of_independent_shares_on_published_examples(k1, n1, k2, n2, low, high):
    counts = Counts((k1, k2), (n1, n2))
    assert newcombe(counts) == pytest.approx((low, high), abs=1e-4)
    theirs = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb")
    assert newcombe(counts) == pytest.approx(theirs, abs=1e-10)


@pytest.mark.parametrize(
    ("pairs", "low", "high"),
    # Newcombe (1998c, paired data), method 10; pairs = (both, variant only, baseline only,
    # neither), the difference (b - c) / n
    [((36, 12, 2, 0), 0.0569, 0.3404), ((18, 12, 2, 18), 0.0562, 0.3290),
     ((53, 0, 0, 1), -0.0729, 0.0729), ((0, 30, 0, 0), 0.8395, 1.0)],
)  # fmt: skip
def test_newcombe_interval_of_paired_shares_on_published_examples(pairs, low, high):
    a, b, c, d = pairs
    x = np.array([1] * a + [1] * b + [0] * c + [0] * d)
    y = np.array([1] * a + [0] * b + [1] * c + [0] * d)
    counts = Counts.of(x, y, paired=True)
    assert counts.pairs == pairs
    assert newcombe(counts) == pytest.approx((low, high), abs=1e-4)


def test_exact_tests_against_closed_forms():
    # McNemar: 8 discordant pairs all one way: 2 x 0.5^8
    x, y = np.array([1] * 8 + [0] * 4), np.array([0] * 8 + [0] * 4)
    assert exact_p(Counts.of(x, y, paired=True)) == pytest.approx(2 * 0.5**8)
    # Fisher: 3/3 against 0/3: the table [[3, 0], [0, 3]] has probability 1 / C(6, 3),
    # and so has its mirror image: two-sided p = 2 / 20
    assert exact_p(Counts((3, 0), (3, 3))) == pytest.approx(2 / 20)


@pytest.mark.parametrize("paired", [False, True])
def test_equivalence_of_shares_is_the_90_percent_interval_within_the_margin(paired):
    """p < 0.05 exactly when Newcombe's 90 % interval (z = 1.645) lies within +-sesoi."""
    rng = np.random.default_rng(8)
    z90 = 1.6448536269514722
    for _ in range(60):
        n = int(rng.integers(20, 120))
        x = (rng.uniform(size=n) < rng.uniform(0.2, 0.8)).astype(float)
        y = np.where(rng.uniform(size=n) < 0.8, x, 1 - x) if paired else rng.permutation(x)
        counts = Counts.of(x, y, paired)
        low, high = newcombe(counts, z90)
        p = share_equivalence_p(counts, 0.15)
        if abs(min(low + 0.15, 0.15 - high)) > 1e-6:  # not on the margin
            assert (p < 0.05) == (low > -0.15 and high < 0.15), (counts, low, high, p)


# --- power ------------------------------------------------------------------------------


def test_power_at_the_textbook_point():
    """A difference of (1.96 + 0.8416) standard errors is detected 80 % of the time by a
    two-sided test at 0.05 (plus the negligible other tail)."""
    assert power(2.8016, 1.0, 0.05) == pytest.approx(0.80, abs=0.001)
    assert power(1.0, 0.0, 0.05) == 1.0


# --- Sobol indices ------------------------------------------------------------------------


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_the_ishigami_function_match_the_analytic_values():
    """Analytic values (a = 7, b = 0.1): S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424,
    0.2437. The design is the one a sweep draws (`method = "sobol"`, SALib's scheme)."""
    ranges = {name: ParameterRange(low=-math.pi, high=math.pi) for name in ("x1", "x2", "x3")}
    spec = DesignSpec(method="sobol", points=2048, parameters=ranges)
    points = design_points(spec, 11, lambda *problem: pytest.fail(str(problem)))
    x = np.array([[p[name] for name in ranges] for p in points])
    found = {s.parameter: s for s in sobol_indices(ishigami(x), list(ranges))}
    for name, first, total in (("x1", 0.3139, 0.5576), ("x2", 0.4424, 0.4424),
                               ("x3", 0.0, 0.2437)):  # fmt: skip
        index = found[name]
        assert index.first == pytest.approx(first, abs=0.03)
        assert index.total == pytest.approx(total, abs=0.03)
        # the analytic value lies within the bootstrap interval, which is narrow
        assert abs(index.first - first) <= index.first_conf < 0.1
        assert abs(index.total - total) <= index.total_conf < 0.1


# --- PRIM -------------------------------------------------------------------------------


def test_prim_finds_a_constructed_box():
    """The outcome holds where 0.2 <= a <= 0.6 and b >= 0.3, whatever c: the box restricts
    a and b only, to within a peel of the true limits."""
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (1000, 3))
    y = (x[:, 0] >= 0.2) & (x[:, 0] <= 0.6) & (x[:, 1] >= 0.3)
    box = prim_box(x, y, ["a", "b", "c"], threshold=0.95)
    assert box.restricted == ("a", "b")
    assert box.limits["a"] == pytest.approx((0.2, 0.6), abs=0.03)
    assert box.limits["b"][0] == pytest.approx(0.3, abs=0.03)
    assert box.coverage >= 0.95 and box.density >= 0.95
    assert box.mass == pytest.approx(0.4 * 0.7, abs=0.05)


def test_prim_with_noisy_outcomes_still_finds_the_region():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (2000, 2))
    y = (x[:, 0] < 0.5) ^ (rng.uniform(size=2000) < 0.1)  # 10 % of outcomes flipped
    box = prim_box(x, y, ["a", "b"])  # the box of highest coverage at density >= 0.8
    assert box.restricted == ("a",)
    assert 0.5 <= box.limits["a"][1] <= 0.6  # it may take in a little of the far side
    assert box.density >= 0.8 and box.coverage >= 0.9


def test_prim_of_an_outcome_that_never_holds_is_none():
    assert prim_box(np.zeros((5, 1)), np.zeros(5, bool), ["a"]) is None


# --- comparisons and verdicts -------------------------------------------------------------


def spec(expect: str = "greater", sesoi: float | None = None, **extra) -> dict:
    return {"metric": "m", "variant": "v", "expect": expect, "sesoi": sesoi} | extra


def decided(expect, x, y, sesoi=None, paired=False, binary=False) -> ComparisonResult:
    result = compare("c", spec(expect, sesoi), "base", Arms(np.asarray(x, float),
                     np.asarray(y, float), paired), binary)  # fmt: skip
    decide([result], "holm")
    return result


def test_pairs_see_a_shift_that_independent_runs_miss():
    """Common noise (sd 5) shared by both runs of a pair hides a shift of 1 from the
    unpaired test but not from the signed-rank test of the pairs."""
    rng = np.random.default_rng(6)
    common = rng.normal(0, 5, 30)
    x, y = common + 1 + rng.normal(0, 0.5, 30), common + rng.normal(0, 0.5, 30)
    assert decided("greater", x, y, paired=True).verdict == "supported"
    assert decided("greater", x, y, paired=False).verdict == "inconclusive"
    paired = decided("greater", x, y, paired=True)
    assert paired.ci_low > 0 and paired.ci_high - paired.ci_low < 1.0
    assert paired.test == "signed-rank" and paired.counts() == "30 pairs"


@pytest.mark.parametrize(
    ("expect", "x", "y", "sesoi", "verdict"),
    [
        ("greater", [5, 6, 7, 8, 9, 5, 6, 7], [0, 1, 2, 1, 0, 1, 2, 0], None, "supported"),
        ("less", [5, 6, 7, 8, 9, 5, 6, 7], [0, 1, 2, 1, 0, 1, 2, 0], None, "contradicted"),
        ("different", [0, 1, 2, 1, 0, 1, 2, 0], [5, 6, 7, 8, 9, 5, 6, 7], None, "supported"),
        ("greater", [1, 3, 2, 2], [2, 1, 3, 2], None, "inconclusive"),
        ("greater", [3] * 6, [3] * 6, 1.0, "no response"),
        ("equivalent", [3] * 6, [3] * 6, 1.0, "no response"),
        ("greater", [3], [2, 2], None, "insufficient data"),
    ],
)
def test_verdict_rules_on_constructed_samples(expect, x, y, sesoi, verdict):
    assert decided(expect, x, y, sesoi).verdict == verdict


def test_equivalence_verdicts():
    x, y = constructed(0.1, 0.5)
    assert decided("equivalent", x, y, sesoi=1.0).verdict == "equivalent"
    assert decided("greater", x, y, sesoi=1.0).verdict == "equivalent"  # too small to matter
    far_x, far_y = constructed(3.0, 0.5)
    assert decided("equivalent", far_x, far_y, sesoi=1.0).verdict == "contradicted"
    noisy_x, noisy_y = constructed(0.1, 6.0)
    assert decided("equivalent", noisy_x, noisy_y, sesoi=1.0).verdict == "inconclusive"


def test_a_binary_metric_is_a_share_with_intervals_and_an_exact_test():
    x, y = [1] * 27 + [0] * 3, [1] * 22 + [0] * 8
    r = decided("greater", x, y, sesoi=0.2, binary=True)
    assert r.test == "Fisher's exact"
    assert r.mean_variant == pytest.approx(0.9) and r.variant_interval == wilson(27, 30)
    assert (r.ci_low, r.ci_high) == pytest.approx(newcombe(Counts((27, 22), (30, 30))))
    assert r.p_value == pytest.approx(exact_p(Counts((27, 22), (30, 30))))
    assert "90% [" in r.arms_text() and "pts" in r.interval_text()


def test_the_verdict_uses_the_adjusted_p():
    """A comparison significant alone (p = 0.03) is not once corrected with others."""
    result = ComparisonResult("c", "m", "v", "b", "greater", "mann-whitney", 10, 10, 1.0, 0.0,
                              1.0, 0.2, 1.8, 0.5, 0.03)  # fmt: skip
    result.p_adjusted = 0.03
    assert verdict_of(result) == "supported"
    result.p_adjusted = 0.09
    assert verdict_of(result) == "inconclusive"


def result_with(name: str, expect: str, verdict: str, claim: str = "") -> ComparisonResult:
    r = ComparisonResult(name, "m", "v", "b", expect, "t", 5, 5, 0, 0, 0, 0, 0, 0, 1.0)
    r.verdict, r.claim = verdict, claim
    return r


@pytest.mark.parametrize(
    ("verdicts", "reading"),
    [
        ([("greater", "supported"), ("less", "supported")], "supported"),
        ([("greater", "supported"), ("less", "inconclusive")], "partly supported"),
        ([("greater", "supported"), ("less", "contradicted")], "mixed"),
        ([("equivalent", "equivalent"), ("greater", "equivalent")], "mixed"),
        ([("greater", "contradicted"), ("less", "no response")], "partly contradicted"),
        ([("greater", "no response"), ("less", "no response")], "no response"),
        ([("greater", "inconclusive"), ("less", "no response")], "inconclusive"),
    ],
)
def test_a_claim_reads_its_comparisons_together(verdicts, reading):
    results = [result_with(f"c{i}", e, v) for i, (e, v) in enumerate(verdicts)]
    (line,) = claim_lines(results, "H")
    assert line.claim == "H" and line.reading == reading


def test_comparisons_with_claims_get_a_line_each_in_order():
    results = [result_with("a", "greater", "supported", "air"),
               result_with("b", "less", "inconclusive", "militias"),
               result_with("c", "less", "supported", "air")]  # fmt: skip
    lines = claim_lines(results, "H")
    assert [(line.claim, line.reading) for line in lines] == [
        ("air", "supported"),
        ("militias", "inconclusive"),
    ]
    assert lines[0].agreeing == ["a", "c"]
