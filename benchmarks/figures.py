"""Saving a benchmark's figures as JSON, with the machine they were measured on."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path


def save_figures(path: Path, figures: dict) -> None:
    """Write `figures`, plus the Python version and the number of CPUs, to `path`."""
    figures = {**figures, "python": platform.python_version(), "cpus": os.cpu_count()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
