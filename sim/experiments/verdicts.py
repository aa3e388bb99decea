"""Verdicts: from every comparison's tests, corrected together, to a word per comparison
and a line per claim.

The rule (`rule_text` states it wherever verdicts are shown):

- *insufficient data*: fewer than 2 runs with a value (pairs, with common seeds) on a side;
- *no response*: the metric is the same in every run of both arms (pair by pair, with
  common seeds): the model does not respond to what the variant changes;
- *equivalent*: a smallest effect of interest (sesoi) is declared and the two one-sided
  tests put the difference within +-sesoi (adjusted p < alpha). For a claim of little or
  no effect (`expect = "equivalent"`) this is what was predicted; for a directional claim
  it says the effect, if any, is too small to matter;
- *supported*: the difference test's adjusted p < alpha and the 95 % interval of the
  difference lies on the predicted side of zero (either side for `different`);
- *contradicted*: the adjusted p < alpha and the interval lies on the other side (for a
  claim of little or no effect: entirely beyond +-sesoi);
- *inconclusive*: none of these.

The p-values of all tests of the experiment (each tested comparison's difference test,
and its equivalence test when it has a sesoi) are corrected together
(`sim.experiments.multiplicity`). Tests are two-sided; the direction comes from the
interval.
"""

from __future__ import annotations

import dataclasses
import math

from scipy import stats

from sim.experiments.comparison import ALPHA, INSUFFICIENT, NO_RESPONSE, ComparisonResult
from sim.experiments.multiplicity import NAMES, adjust

VERDICTS = ("supported", "contradicted", "equivalent", "inconclusive", NO_RESPONSE, INSUFFICIENT)


def verdict_of(result: ComparisonResult) -> str:
    """The verdict of one comparison from its adjusted p-values and interval."""
    if result.insufficient:
        return INSUFFICIENT
    if result.no_response:
        return NO_RESPONSE
    if result.sesoi is not None and result.tost_adjusted < ALPHA:
        return "equivalent"
    low, high = result.ci_low, result.ci_high
    significant = result.p_adjusted < ALPHA
    if result.expect == "equivalent":
        beyond = low > result.sesoi or high < -result.sesoi
        return "contradicted" if significant and beyond else "inconclusive"
    above, below = low > 0, high < 0
    if result.expect == "different":
        return "supported" if significant and (above or below) else "inconclusive"
    agrees = above if result.expect == "greater" else below
    opposes = below if result.expect == "greater" else above
    if significant and agrees:
        return "supported"
    if significant and opposes:
        return "contradicted"
    return "inconclusive"


def decide(results: list[ComparisonResult], method: str) -> None:
    """Correct the p-values of all the results' tests together, then set each result's
    adjusted p-values, power and verdict."""
    tested = [r for r in results if r.tested]
    raw = [r.p_value for r in tested] + [r.tost_p for r in tested if r.sesoi is not None]
    adjusted = adjust(raw, method)
    family = sum(not math.isnan(p) for p in raw)
    level = ALPHA / family if method != "none" and family else ALPHA
    tost = iter(adjusted[len(tested) :])
    for result, p in zip(tested, adjusted, strict=False):
        result.p_adjusted = p
        if result.sesoi is not None:
            result.tost_adjusted = next(tost)
            result.power = power(result.sesoi, result.standard_error, level)
    for result in results:
        result.verdict = verdict_of(result)


def power(sesoi: float, standard_error: float, level: float) -> float:
    """Chance that a two-sided test at `level` detects a true difference of sesoi when
    the difference's standard error is `standard_error` (normal approximation)."""
    if math.isnan(standard_error):
        return math.nan
    if standard_error == 0:
        return 1.0
    z = stats.norm.isf(level / 2)
    shift = sesoi / standard_error
    return float(stats.norm.cdf(shift - z) + stats.norm.cdf(-shift - z))


def agrees(result: ComparisonResult) -> bool | None:
    """Whether the verdict agrees with the claim (True), goes against it (False), or
    decides nothing (None)."""
    if result.verdict == "supported":
        return True
    if result.verdict == "contradicted":
        return False
    if result.verdict == "equivalent":
        return result.expect == "equivalent"
    return None


@dataclasses.dataclass
class ClaimLine:
    """One line per claim of the hypothesis: its reading and the comparisons behind it."""

    claim: str
    reading: str
    agreeing: list[str]
    against: list[str]
    undecided: list[str]

    def text(self) -> str:
        """E.g. "partly supported: 1 of 2 comparisons agree (a); inconclusive: b"."""
        total = len(self.agreeing) + len(self.against) + len(self.undecided)
        parts = [f"{len(self.agreeing)} of {total} comparisons agree"]
        if self.agreeing:
            parts[0] += f" ({', '.join(self.agreeing)})"
        if self.against:
            parts.append(f"against: {', '.join(self.against)}")
        if self.undecided:
            parts.append(f"undecided: {', '.join(self.undecided)}")
        return f"{self.reading}: " + "; ".join(parts)


def claim_lines(results: list[ComparisonResult], hypothesis: str) -> list[ClaimLine]:
    """The reading of each claim (comparisons grouped by `claim`; the experiment's
    hypothesis when none is named), in the order the comparisons are listed."""
    groups: dict[str, list[ComparisonResult]] = {}
    for r in results:
        groups.setdefault(r.claim or hypothesis, []).append(r)
    lines = []
    for claim, members in groups.items():
        verdicts = {r.name: agrees(r) for r in members}
        lines.append(
            ClaimLine(
                claim=claim,
                reading=_reading(list(verdicts.values()), members),
                agreeing=[n for n, v in verdicts.items() if v is True],
                against=[n for n, v in verdicts.items() if v is False],
                undecided=[f"{r.name} ({r.verdict})" for r in members if agrees(r) is None],
            )
        )
    return lines


def _reading(votes: list[bool | None], members: list[ComparisonResult]) -> str:
    """supported / partly supported / mixed / partly contradicted / contradicted, or
    what the undecided comparisons share."""
    yes, no, undecided = votes.count(True), votes.count(False), votes.count(None)
    if yes and no:
        return "mixed"
    if yes:
        return "partly supported" if undecided else "supported"
    if no:
        return "partly contradicted" if undecided else "contradicted"
    kinds = {r.verdict for r in members}
    return kinds.pop() if len(kinds) == 1 else "inconclusive"


def rule_text(method: str, pairing: str) -> str:
    """The verdict rule in words, as the report and the Compare page state it."""
    paired = (
        "Runs are compared pair by pair (common seeds: replicate k of each variant had "
        "the same seed): signed-rank or permutation test, bootstrap of the paired "
        "differences. "
        if pairing == "common_seeds"
        else "Runs are independent (each its own seed): Mann-Whitney or permutation test, "
        "bootstrap of each arm. "
    )
    return (
        f"{paired}0/1 metrics: shares with Wilson intervals, Newcombe interval of the "
        "difference, exact test. All tests are two-sided; their p-values over the whole "
        f"experiment are corrected with {NAMES[method]}, and verdicts use the adjusted "
        f"values at alpha = {ALPHA}. **supported**: adjusted p < alpha and the 95 % interval "
        "of the difference on the predicted side of zero; **contradicted**: adjusted p < "
        "alpha and the interval on the other side (for a claim of little or no effect: "
        "beyond ±sesoi); **equivalent**: two one-sided tests put the difference within "
        "±sesoi, the smallest effect of interest (what a claim of little or no effect "
        "predicts; for a directional claim, an effect too small to matter); **no "
        "response**: the metric is the same in every run of both arms"
        + (" (pair by pair)" if pairing == "common_seeds" else "")
        + "; **inconclusive**: none of these; **insufficient data**: fewer than 2 runs "
        "with a value on a side. Power: the chance of detecting a true difference of "
        "sesoi at these counts (normal approximation, at alpha divided by the number of "
        "tests)."
    )
