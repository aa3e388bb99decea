"""What kind of file a path is: a scenario, an experiment or a history file.

The commands take files by path; a user who gives `frontline run` an experiment should be
told so, not shown a list of unknown scenario keys. The kind is read from the content
where it can be (an experiment has `variants`, a history file is a CSV with the history
columns), else from the folder it lives in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from sim.formats.input_files import read_toml

FileKind = Literal["scenario", "experiment", "history"]
HISTORY_SUFFIXES = (".csv",)


def file_kind(path: Path | str) -> FileKind:
    """The kind of file at `path` (a scenario unless it shows otherwise)."""
    path = Path(path)
    if path.suffix.lower() in HISTORY_SUFFIXES:
        return "history"
    table, _ = read_toml(path)
    if table is None:
        return "experiment" if path.resolve().parent.name == "experiments" else "scenario"
    return "experiment" if "variants" in table else "scenario"
