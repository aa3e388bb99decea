"""Problems found in an input file, reported together with the file and key path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: where it is and what is expected."""

    file: Path | str  # a file, or the command-line value at fault
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}"


class InputError(Exception):
    """Raised when an input file has problems; carries all of them at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
