"""The experiment file format: which scenario variants to compare, how often, and what to
test. Every table and key with its type, range and default; `docs/experiment-format.md`
is generated from these dataclasses (`python -m sim.formats.format_docs experiment`).
Checking an experiment against its scenarios and planning its runs is
`sim.experiments.experiment`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from sim.formats.schema import MAX_DAYS, MAX_SEED, key

MAX_RUNS = 1_000_000  # runs in one sweep (variants x design points x replicates), at most


@dataclasses.dataclass
class VariantSpec:
    """One scenario variant: a scenario file, optionally with keys overridden."""

    scenario: str = key("Scenario file, relative to this file.")
    baseline: bool = key("The variant others are compared with (exactly one).", False)
    description: str = key("What this variant changes, in words.", "")
    set: dict[str, Any] = key(
        'Scenario keys (dotted) overridden for this variant, e.g. `{ "run.days" = 180 }`; '
        "`frontline validate` checks the scenario with them.",
        {},
    )


@dataclasses.dataclass
class ComparisonSpec:
    """A test of a hypothesis: a metric's difference between a variant and the baseline."""

    metric: str = key(
        "Metric compared (standard or the scenario's `[metrics]`): one that runs of both "
        "the variant and the baseline produce, and in `metrics` if that is given."
    )
    variant: str = key("Variant compared with the baseline.")
    expect: Literal["greater", "less", "different", "equivalent"] = key(
        "What the article predicts for variant minus baseline: `greater`, `less`, "
        "`different` (either way), or `equivalent` (little or no effect: within "
        "+-`sesoi`, which it then needs)."
    )
    sesoi: float | None = key(
        "Smallest effect size of interest, in the metric's units (a share for a `binary` "
        "metric): a difference within +-sesoi is too small to matter. Two one-sided tests "
        "then decide whether the difference is `equivalent` (within +-sesoi); the report "
        "gives the power to detect a difference of sesoi, and `[precision]` adds runs "
        "until the interval is narrower than sesoi. Justify it from the source in a comment.",
        None,
    )
    test: Literal["mann-whitney", "signed-rank", "permutation"] | None = key(
        "Test of the difference (two-sided): Mann-Whitney U (independent seeds), Wilcoxon "
        "signed-rank (common seeds: pairs of runs), or a permutation test of the mean "
        "difference (of labels, or of signs of pairs). Default: the rank test of the "
        "experiment's `pairing`. A `binary` metric always gets Fisher's exact test "
        "(independent) or McNemar's exact test (pairs).",
        None,
    )
    claim: str = key(
        "The part of the hypothesis this comparison tests: comparisons with the same claim "
        "are read together in one line at the top of the report (default: one line for the "
        "experiment's whole hypothesis).",
        "",
    )
    description: str = key("The claim, in words.", "")


@dataclasses.dataclass
class ParameterRange:
    """An uncertain parameter: a range (Latin hypercube, Sobol) or values (grid)."""

    low: float | None = key("Lowest value (lhs, sobol).", None)
    high: float | None = key(
        "Highest value (lhs, sobol). A draw u in [0, 1) gives low + u (high - low); for a "
        "whole-number key (e.g. `doctrine.max_offensives`) floor(low + u (high + 1 - low)), "
        "each whole number from `low` to `high` alike. Both ends are checked against "
        "every variant's scenario.",
        None,
    )
    values: list[float] = key(
        "Values to try (grid), each checked against every variant's scenario; whole "
        "numbers for a whole-number key.",
        [],
    )


@dataclasses.dataclass
class DesignSpec:
    """A design over uncertain parameters, applied to every variant alike."""

    method: Literal["grid", "lhs", "sobol"] = key(
        "How points are chosen: a full `grid` of values, a Latin hypercube (`lhs`), or "
        "Saltelli's scheme for Sobol indices (`sobol`, drawn by SALib: `points` x "
        "(parameters + 2) points, from which the report computes first-order and total "
        "Sobol indices of each compared difference).",
        "lhs",
    )
    points: int = key(
        "Number of points (lhs), or of base samples (sobol: a power of 2).",
        8,
        min=1,
        max=MAX_RUNS,
    )
    parameters: dict[str, ParameterRange] = key("Scenario keys (dotted) and their ranges.", {})


@dataclasses.dataclass
class PrecisionSpec:
    """Enough runs: replicates added in batches until every interval is narrower than its sesoi."""

    batch: int = key("Replicates added per variant and design point in each round.", 10, min=1)
    max_replicates: int = key(
        "Cap on the replicates per variant and design point.", 200, min=2, max=100_000
    )


@dataclasses.dataclass
class ExperimentSpec:
    """An experiment file."""

    name: str = key("Short name (default: the file name).", "")
    description: str = key("What the experiment asks, in words.", "")
    hypothesis: str = key("The claim it tests and the predicted direction.", "")
    replicates: int = key(
        "Runs per variant and design point (with `[precision]`: to begin with). A sweep "
        "holds at most 1,000,000 runs (variants x design points x replicates): its plan is "
        "kept in memory.",
        30,
        min=1,
        max=MAX_RUNS,
    )
    seed: int = key("Master seed: every run's seed derives from it.", 0, min=0, max=MAX_SEED)
    pairing: Literal["independent", "common_seeds"] = key(
        "`independent`: every run has its own seed. `common_seeds`: replicate k of every "
        "variant (at a design point) gets the same seed (common random numbers), and runs "
        "are compared pair by pair (signed-rank test, paired bootstrap): differences caused "
        "by chance alone largely cancel.",
        "independent",
    )
    multiplicity: Literal["holm", "bh", "none"] = key(
        "Correction of the p-values over all the experiment's tests: `holm` (Holm-Bonferroni: "
        "the chance of any false verdict stays below 0.05), `bh` (Benjamini-Hochberg: the "
        "expected share of false ones), or `none`.",
        "holm",
    )
    binary: list[str] = key(
        "Metrics that are 0 or 1 in every run (e.g. a place held or not): reported as the "
        "share of runs with a Wilson interval, the difference of shares with a Newcombe "
        "interval and an exact test.",
        [],
    )
    days: int | None = key(
        "Horizon for every variant (default: each scenario's).", None, min=1, max=MAX_DAYS
    )
    metrics: list[str] = key(
        "Metrics recorded (default: all). Each must be one that runs of some variant "
        "produce; a strike share `strike_share.A.T` only if air force A can strike T "
        "(it flies sorties while T is its enemy and among its targets, if it names any).",
        [],
    )
    variants: dict[str, VariantSpec] = key("Scenario variants, by name.", {})
    comparisons: dict[str, ComparisonSpec] = key("Comparisons with the baseline, by name.", {})
    design: DesignSpec | None = key("Optional design over uncertain parameters.", None)
    precision: PrecisionSpec | None = key(
        "Enough runs: with this table (or `frontline sweep --precision`) the sweep adds "
        "replicates until every comparison's interval is narrower than its `sesoi`.",
        None,
    )
    posterior: str | None = key(
        "A calibration's folder (`frontline calibrate --out`), relative to this file: each "
        "run's calibrated parameters are pinned to one of its accepted sets, drawn by weight "
        "from the master seed, the design point and the replicate (the same set for every "
        "variant), so that the verdicts integrate over what the history leaves open. A "
        "variant that sets a calibrated key itself keeps its own value "
        "(docs/calibration.md).",
        None,
    )
