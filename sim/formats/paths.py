"""Which files an input file may name, and where outputs may be written.

A scenario or experiment file names other files (`extends`, a variant's `scenario`).
Such a path is resolved relative to the file that names it, symlinks included, and
must lie inside the *scenario roots*: the folder of the file the user gave, and the
`scenarios/` and `experiments/` folders of the project. A file passed around a class
cannot then make the loader open `/etc/passwd` or `../../.ssh/config`; a user who means
it allows it explicitly (`--allow-outside`, `allow_outside=True`).

`confine(path, roots)` is the one check, used by the loaders and the dashboard alike.
`check_output_file` checks an output file before anything is computed, and
`output_mode` gives new files the permissions the user's umask allows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

PROJECT_ENV = "FRONTLINE_PROJECT"  # a project folder whose scenarios/ may be named
SCENARIO_FOLDERS = ("scenarios", "experiments")


class OutsideRootsError(ValueError):
    """A path that resolves outside every allowed root."""

    def __init__(self, resolved: Path, roots: tuple[Path, ...]):
        self.resolved = resolved
        self.roots = roots
        super().__init__(f"{resolved} lies outside {', '.join(map(str, roots))}")


def confine(path: Path | str, roots: Iterable[Path | str], *, base: Path | None = None) -> Path:
    """`path` resolved (relative to folder `base` if it is relative; symlinks and `..`
    resolved) if it lies inside one of `roots`; else raise `OutsideRootsError`.

    It never tells whether the path exists, so callers can refuse a path without
    revealing anything about the file system.

    >>> confine("valley.toml", ["/srv/project"], base=Path("/srv/project/scenarios"))
    PosixPath('/srv/project/scenarios/valley.toml')
    """
    path = Path(path)
    if base is not None and not path.is_absolute():
        path = Path(base) / path
    resolved = path.resolve()
    allowed = tuple(Path(root).resolve() for root in roots)
    if not any(resolved.is_relative_to(root) for root in allowed):
        raise OutsideRootsError(resolved, allowed)
    return resolved


def project_roots() -> tuple[Path, ...]:
    """The project's scenario folders: `scenarios/` and `experiments/` of the checkout
    this package runs from, of `$FRONTLINE_PROJECT` and of the working directory."""
    projects = [Path(__file__).resolve().parents[2], Path.cwd()]
    if os.environ.get(PROJECT_ENV):
        projects.append(Path(os.environ[PROJECT_ENV]))
    folders = (project.resolve() / name for project in projects for name in SCENARIO_FOLDERS)
    return tuple(dict.fromkeys(folders))


def scenario_roots(given_file: Path | str) -> tuple[Path, ...]:
    """Where files named by `given_file` (and the files those name) may lie: its own
    folder and the project's scenario folders."""
    return (Path(given_file).resolve().parent, *project_roots())


def outside_message(resolved: Path, roots: tuple[Path, ...]) -> str:
    """Why a named file is refused, and how to allow it."""
    shown = ", ".join(_shown(root) for root in roots)
    return (
        f"{resolved} lies outside the scenario folders ({shown}); to use it anyway, "
        "pass --allow-outside (allow_outside=True when loading from Python)"
    )


def _shown(path: Path) -> str:
    cwd = Path.cwd()
    return str(path.relative_to(cwd)) + "/" if path.is_relative_to(cwd) else str(path)


def check_output_file(path: Path, *, force: bool = False) -> str | None:
    """What stops writing a new file at `path`, or None: checked before a run is
    computed, so that a bad `--out` costs nothing. An existing file is replaced only
    with `force`."""
    if path.is_dir():
        return "is a folder: give a file name"
    if path.exists() and not force:
        return "exists: pass --force to replace it (nothing was written)"
    return check_writable_folder(path.parent)


def check_writable_folder(folder: Path) -> str | None:
    """What stops creating files in `folder` (made if missing), or None."""
    existing = Path(os.path.abspath(folder))
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot be created: {existing} is a file, not a folder"
    if os.statvfs(existing).f_flag & os.ST_RDONLY:
        return f"cannot be written: {existing} is on a read-only file system"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot be written: no permission to write in {existing}"
    return None


def io_error_text(error: OSError) -> str:
    """The system's words for an I/O error, e.g. `No space left on device` (pyarrow's own
    text around them is longer)."""
    return os.strerror(error.errno) if error.errno else str(error)


def output_mode() -> int:
    """The permissions of a new file under the user's umask (0o644 under umask 022)."""
    return 0o666 & ~_umask()


def _umask() -> int:
    try:  # Linux: read it without changing it (changing it is not thread-safe)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
