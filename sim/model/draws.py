"""Random draws inside the compiled kernels, seeded from the model's generator.

Handing a numpy Generator to a compiled kernel costs tens of microseconds per call, more
than a whole day of the model. So each day the model draws one seed from its own
generator (`model.rng`) and the compiled day (`sim.model.day.advance_day`) seeds the kernels'
generator with it first; every draw of that day then follows from the model's seed,
serial or parallel, on any machine. (The kernels' generator is per thread, and a model's
day runs in one thread.)
"""

from __future__ import annotations

import numpy as np
from numba import njit

SEED_BOUND = 2**32


@njit(cache=True)
def poisson(expected, deterministic):
    """A Poisson number with the given mean, or the mean itself in a deterministic run."""
    if deterministic or expected <= 0.0:
        return max(expected, 0.0)
    return float(np.random.poisson(expected))
