"""What there is to open: the scenario files (grouped by hypothesis family) and the sweep
results directories of the project.

Files are checked with the same loader as `frontline validate`; a file that fails is
listed with its problems rather than hidden, so a broken file is noticed. Fragments are
not listed: files other scenarios extend and with no `[run]` in themselves or what they
extend (the Syria map and factions), which alone would run a war without its forces or
events. Results of
the checks are kept until a file involved changes, so scanning again is cheap.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
import tomllib
from pathlib import Path

from dashboards import serving
from dashboards.confine import confined
from sim.formats.scenario import check_scenario

PROBLEM_GROUP = "Files with problems"
PROJECT_ENV = "FRONTLINE_PROJECT"  # the folder whose scenarios/ and results/ are served
_FAMILY = re.compile(r"^h(\d+)_")


def project_root() -> Path:
    """The project folder served: `$FRONTLINE_PROJECT` if set (`frontline dashboard` sets
    it), else the checkout this package lives in, else the current directory."""
    if os.environ.get(PROJECT_ENV):
        return Path(os.environ[PROJECT_ENV]).resolve()
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "scenarios").is_dir():
        return checkout
    return Path.cwd().resolve()


@dataclasses.dataclass(frozen=True)
class Entry:
    """A scenario file as the picker shows it."""

    path: Path
    label: str  # the path relative to the project
    group: str  # "H1", ..., or the folder ("Teaching", "Syria")
    description: str = ""
    hypothesis: str = ""
    problems: tuple[str, ...] = ()  # why it does not load (empty: it loads)


_checked: dict[Path, tuple[list[Path], tuple, Entry | None]] = {}
_checking = threading.Lock()  # one scan at a time: a second caller waits, then finds it done


def _stamp(files: list[Path]) -> tuple:
    """When each file last changed (a removed file counts as a change)."""
    return tuple(f.stat().st_mtime_ns if f.exists() else None for f in files)


def _entry(path: Path, root: Path) -> Entry | None:
    """The picker's entry of one file (None: not a scenario with factions)."""
    if path in _checked:
        files, stamp, entry = _checked[path]
        if _stamp(files) == stamp:
            return entry
    label = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    scenario, problems = check_scenario(path)
    files = [path] if problems else sorted({path, *(Path(f) for f in scenario.files)})
    if problems:
        entry = Entry(path, label, PROBLEM_GROUP, problems=tuple(str(p) for p in problems))
    elif not scenario.spec.factions:
        entry = None
    else:
        spec = scenario.spec
        entry = Entry(
            path, label, group_of(path), spec.description.strip(), spec.hypothesis.strip()
        )
    _checked[path] = (files, _stamp(files), entry)
    return entry


def group_of(path: Path) -> str:
    """The hypothesis family of a scenario file (`h3_...` -> "H3"), else its folder."""
    match = _FAMILY.match(path.stem)
    return f"H{match.group(1)}" if match else path.parent.name.capitalize()


def _group_order(group: str) -> tuple:
    match = re.fullmatch(r"H(\d+)", group)
    return (
        2 if group == PROBLEM_GROUP else 1 if match else 0,
        int(match.group(1)) if match else 0,
        group,
    )


def _own_keys(path: Path) -> tuple[set[str], Path | None]:
    """The top-level keys a file sets itself, and the file it extends (if it parses)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return set(), None
    parent = data.get("extends")
    extended = (path.parent / parent).resolve() if isinstance(parent, str) else None
    return set(data), extended


def fragments(paths: list[Path]) -> set[Path]:
    """The files others extend that have no `[run]` in their chain of `extends`."""
    keys = {path: _own_keys(path) for path in paths}
    extended = {parent for _, parent in keys.values() if parent is not None}

    def runs(path: Path) -> bool:
        seen = set()
        while path in keys and path not in seen:
            seen.add(path)
            own, parent = keys[path]
            if "run" in own:
                return True
            if parent is None:
                return False
            path = parent
        return True  # a chain leaving the folder (or looping): let the loader judge it

    return {path for path in extended if path in keys and not runs(path)}


def find_scenarios(root: Path) -> list[Entry]:
    """Every scenario file under `root`/scenarios (fragments left out), grouped and in a
    stable order."""
    root = Path(root).resolve()
    paths = [p.resolve() for p in sorted((root / "scenarios").rglob("*.toml"))]
    hidden = fragments(paths)
    with _checking:
        entries = [_entry(path, root) for path in paths if path not in hidden]
    found = [e for e in entries if e is not None]
    return sorted(found, key=lambda e: (_group_order(e.group), e.label))


def find_results(root: Path) -> list[str]:
    """Sweep results directories under `root`/results (those with a manifest), newest first."""
    base = Path(root).resolve() / "results"
    if not base.is_dir():
        return []
    manifests = [m for m in base.rglob("manifest.json") if len(m.relative_to(base).parts) <= 4]
    manifests.sort(key=lambda m: -m.stat().st_mtime)
    return [str(m.parent.relative_to(base.parent)) for m in manifests]


def typed_path(root: Path, text: str) -> Path:
    """A path from a page (typed, chosen or in the address), relative to the project
    unless absolute, through the one confinement check (`dashboards.confine`): when the
    dashboard is shared with other machines, only paths inside the project are opened,
    so that visitors cannot probe the server's files."""
    return confined(text, serving.roots(Path(root)), Path(root))
