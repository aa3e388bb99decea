"""The model and its mechanisms: the Mesa model (`model`), factions and their doctrine,
logistics, air, combat, morale, recruitment and events, and the compiled day (`day`) that
runs the mechanisms in order. Imports `sim.formats` only.

The compiled kernels are defined here, on first import of the package, with numba's cache
in a folder named after this package's source (`kernel_cache`): a change to any mechanism
compiles afresh instead of running stale rules.
"""

from sim.model.kernel_cache import source_keyed_cache

with source_keyed_cache() as KERNEL_CACHE:
    from sim.model import day  # noqa: F401  (defines every kernel the day calls)
