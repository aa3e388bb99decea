"""Browser tests never pass silently without a browser: skipped when none is installed,
failed instead when FRONTLINE_REQUIRE_BROWSER is set (as CI does)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run_browser_tests(**environment) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FRONTLINE_REQUIRE_BROWSER"}
    env |= {"FRONTLINE_CHROMIUM": "/nonexistent/chromium", **environment}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "play_and_pause",
         "tests/browser"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize("required", [False, True])
def test_missing_browser_skips_or_fails(required):
    result = _run_browser_tests(**({"FRONTLINE_REQUIRE_BROWSER": "1"} if required else {}))
    if required:
        assert result.returncode == 1, result.stdout
        assert "FRONTLINE_REQUIRE_BROWSER is set" in result.stdout
    else:
        assert result.returncode == 0, result.stdout
        assert "1 skipped" in result.stdout and "no Chromium" in result.stdout
