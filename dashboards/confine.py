"""The one check every path from a page goes through before it reaches a loader.

A path comes from a page in a select's value (which a visitor can forge), a typed field,
or a query string. `confined` resolves it (relative to the project, symlinks followed)
and accepts it only inside the allowed roots. Its refusal is the same whether the path
exists or not, is a file or a folder: a visitor learns nothing about the server's files.
"""

from __future__ import annotations

from pathlib import Path

from sim.formats.problems import InputError, Problem

REFUSED = "not a file this dashboard may open: only files inside the project are served"


def confined(text: str | Path, roots: list[Path] | None, base: Path) -> Path:
    """`text` as a resolved path (relative paths from `base`), refused with an InputError
    unless it lies inside one of `roots` (None: any path, a dashboard served to this
    machine only). The error names what was given, never what the server has there."""
    given = str(text).strip()
    try:
        path = Path(given).expanduser() if given else Path("")
        path = (path if path.is_absolute() else Path(base) / path).resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte
        raise InputError([Problem(given or "(empty)", "path", REFUSED)]) from None
    if not given:
        raise InputError([Problem("(empty)", "path", "no file given")])
    if roots is not None and not any(path.is_relative_to(r.resolve()) for r in roots):
        raise InputError([Problem(given, "path", REFUSED)])
    return path
