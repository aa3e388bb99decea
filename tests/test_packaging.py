"""The built wheel is complete: installed into a fresh virtual environment, its
`frontline dashboard` serves the app (the dashboard ships with the package)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(
    os.environ.get("FRONTLINE_SKIP_WHEEL") == "1", reason="FRONTLINE_SKIP_WHEEL=1"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        check=True,
    )
    (built,) = out.glob("frontline-*.whl")
    return built


def test_the_wheel_carries_the_dashboard(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"dashboards/app.py", "dashboards/map_view.vue", "sim/cli.py"} <= names
    assert "sim/model/day.py" in names and "sim/formats/schema.py" in names


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_frontline_dashboard_from_the_wheel_in_a_fresh_venv(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", str(wheel)], check=True)
    project = tmp_path / "project"  # a folder of the user's, with scenarios in it
    shutil.copytree(ROOT / "scenarios" / "teaching", project / "scenarios" / "teaching")
    port = free_port()
    server = subprocess.Popen(
        [venv / "bin" / "frontline", "dashboard", "--port", str(port)],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    try:
        page = _wait_for_page(f"http://127.0.0.1:{port}/", server, timeout=120)
        assert "solara" in page.lower()
        found = subprocess.run(
            [python, "-c", "import dashboards.app, sim; print(dashboards.app.__file__)"],
            cwd=project, capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert str(venv) in found.stdout  # the wheel's dashboard, not the checkout's
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait_for_page(url: str, server: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the dashboard stopped: {server.stdout.read().decode()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"no page at {url} within {timeout} s")
