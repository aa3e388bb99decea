"""Where the compiled kernels are cached: a directory named after the package's source.

numba's on-disk cache (`@njit(cache=True)`) is checked against the file of the function
it compiled only. The day's kernel (`sim.model.day`) calls the phases in other modules, so
after a change to, say, `sim.model.factions` numba would go on running the old rules, silently.
Naming the cache directory after a hash of every module of the package makes any change
compile afresh (once, about 20 s), and keeps results tied to the code that produced them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import numba

PACKAGE = Path(__file__).resolve().parent


def source_digest(package: Path = PACKAGE) -> str:
    """A short hash of the package's modules (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_directory(package: Path = PACKAGE) -> Path:
    """The kernels' cache for this source: under $NUMBA_CACHE_DIR if set, else the user's
    cache directory (writable even when the package is installed read-only)."""
    base = os.environ.get("NUMBA_CACHE_DIR") or Path.home() / ".cache" / "frontline"
    return Path(base) / f"kernels-{source_digest(package)}"


@contextlib.contextmanager
def source_keyed_cache() -> Iterator[Path]:
    """Define kernels inside this block to cache them in `cache_directory()`.

    numba fixes a kernel's cache folder when the kernel is defined (`@njit(cache=True)`
    reads `numba.config.CACHE_DIR` then), so the setting is needed only while the kernel
    modules are imported; it is restored afterwards, leaving the process's numba settings
    as they were (other numba users keep theirs)."""
    before = numba.config.CACHE_DIR
    folder = cache_directory()
    numba.config.CACHE_DIR = str(folder)
    try:
        yield folder
    finally:
        numba.config.CACHE_DIR = before
