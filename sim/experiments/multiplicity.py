"""Correction of p-values for the many tests of one experiment.

An experiment tests several comparisons (and, with a smallest effect of interest, an
equivalence for each); tested one by one at 0.05, the chance that at least one of 14
true null hypotheses comes out "significant" is over 50 %. Holm's step-down method
keeps that chance (the family-wise error rate) at or below alpha under any dependence
between the tests; Benjamini-Hochberg keeps the expected share of false discoveries
among the discoveries at or below alpha (for independent or positively dependent tests)
and is less strict. Both are statsmodels' `multipletests`.
"""

from __future__ import annotations

import numpy as np

METHODS = {"holm": "holm", "bh": "fdr_bh"}  # experiment file -> statsmodels
NAMES = {
    "holm": "Holm's step-down correction (family-wise error rate)",
    "bh": "the Benjamini-Hochberg correction (false discovery rate)",
    "none": "no correction",
}


def adjust(p_values: list[float], method: str) -> list[float]:
    """The adjusted p-values, in the given order (NaN entries stay NaN and do not count
    as tests); `method` is "holm", "bh" or "none"."""
    p = np.asarray(p_values, dtype=float)
    tested = ~np.isnan(p)
    adjusted = p.copy()
    if method == "none" or not tested.any():
        return adjusted.tolist()
    from statsmodels.stats.multitest import multipletests  # slow to import: only here

    adjusted[tested] = multipletests(p[tested], method=METHODS[method])[1]
    return adjusted.tolist()
