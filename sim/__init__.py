"""Frontline: an agent-based simulation of front-line dynamics, built on Mesa."""

from sim.kernel_cache import use_source_keyed_cache

__version__ = "0.1.0"

use_source_keyed_cache()  # before any module defines a compiled kernel
