"""The experiment file format: which scenario variants to compare, how often, and what to
test. Every table and key with its type, range and default; `docs/experiment-format.md`
is generated from these dataclasses (`python -m sim.formats.format_docs experiment`).
Checking an experiment against its scenarios and planning its runs is
`sim.experiments.experiment`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from sim.formats.schema import key


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
    metrics: list[str] = key(
        "Metrics recorded (default: all). Each must be one that runs of some variant "
        "produce; a strike share `strike_share.A.T` only if air force A can strike T "
        "(it flies sorties while T is its enemy and among its targets, if it names any).",
        [],
    )
    variants: dict[str, VariantSpec] = key("Scenario variants, by name.", {})
    comparisons: dict[str, ComparisonSpec] = key("Comparisons with the baseline, by name.", {})
    design: DesignSpec | None = key("Optional design over uncertain parameters.", None)
    posterior: str | None = key(
        "A calibration's folder (`frontline calibrate --out`), relative to this file: each "
        "run's calibrated parameters are pinned to one of its accepted sets, drawn by weight "
        "from the master seed, the design point and the replicate (the same set for every "
        "variant), so that the verdicts integrate over what the history leaves open. A "
        "variant that sets a calibrated key itself keeps its own value "
        "(docs/calibration.md).",
        None,
    )
