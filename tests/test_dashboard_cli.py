"""`frontline dashboard`: the command it starts, its options, and a real start offline."""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import ClassVar

import pytest

import sim.cli
from dashboards.serving import CLASSROOM_VARIABLE
from sim.cli import DASHBOARD_APP, main

ROOT = Path(__file__).resolve().parents[1]


class FakeServer:
    """Stands in for the `solara run` process."""

    started: ClassVar[list] = []

    def __init__(self, command, env):
        self.started.append((command, env))

    def wait(self):
        return 0

    def poll(self):
        return 0


@pytest.fixture
def fake_server(monkeypatch):
    FakeServer.started = []
    monkeypatch.setattr(sim.cli.subprocess, "Popen", FakeServer)
    return FakeServer.started


def test_defaults_serve_the_app_on_localhost_8765(fake_server, capsys):
    assert main(["dashboard"]) == 0
    ((command, env),) = fake_server
    assert command[:4] == [sys.executable, "-m", "solara", "run"]
    assert command[4] == DASHBOARD_APP
    assert importlib.util.find_spec(DASHBOARD_APP) is not None  # the app ships with the package
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "8765"
    assert {"--production", "--no-check-version", "--no-open"} <= set(command)
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert "http://127.0.0.1:8765" in capsys.readouterr().out


@pytest.mark.parametrize(("host", "shared"), [("127.0.0.1", False), ("0.0.0.0", True)])
def test_a_dashboard_served_to_other_machines_is_marked_shared(fake_server, host, shared):
    assert main(["dashboard", "--host", host]) == 0
    ((_, env),) = fake_server
    assert (env.get(sim.cli.DASHBOARD_SHARED) == "1") is shared


def test_classroom_mode_serves_the_wargame_with_an_instructor_token(
    fake_server, capsys, monkeypatch
):
    monkeypatch.delenv(sim.cli.INSTRUCTOR_TOKEN, raising=False)
    assert main(["dashboard", "--classroom"]) == 0
    ((_, env),) = fake_server
    assert env[sim.cli.DASHBOARD_CLASSROOM] == "1"
    token = env[sim.cli.INSTRUCTOR_TOKEN]
    assert len(token) >= 16
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8765/wargame" in out and f"Instructor token: {token}" in out
    monkeypatch.setenv(sim.cli.INSTRUCTOR_TOKEN, "chosen-by-the-instructor")
    fake_server.clear()
    assert main(["dashboard", "--classroom"]) == 0
    ((_, env),) = fake_server
    assert env[sim.cli.INSTRUCTOR_TOKEN] == "chosen-by-the-instructor"


def test_a_local_dashboard_needs_no_token(fake_server, capsys, monkeypatch):
    monkeypatch.delenv(sim.cli.INSTRUCTOR_TOKEN, raising=False)
    assert main(["dashboard"]) == 0
    ((_, env),) = fake_server
    assert sim.cli.INSTRUCTOR_TOKEN not in env
    assert "Instructor token" not in capsys.readouterr().out


def test_host_port_and_open(fake_server, capsys):
    assert main(["dashboard", "--host", "10.1.2.3", "--port", "9000", "--open"]) == 0
    ((command, _),) = fake_server
    assert command[command.index("--host") + 1] == "10.1.2.3"
    assert command[command.index("--port") + 1] == "9000"
    assert "--open" in command
    assert "http://10.1.2.3:9000" in capsys.readouterr().out


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_bad_port_is_refused(port, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["dashboard", "--port", port])
    assert exit_info.value.code == 2
    assert "--port" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


def test_the_dashboard_starts_and_serves_its_front_end_locally():
    """A real start: the page and its scripts and styles come from this machine
    (solara-assets), so it works without an internet connection."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "dashboard", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline, page = time.monotonic() + 90, None
        while page is None and time.monotonic() < deadline:
            try:
                page = _get(f"http://127.0.0.1:{port}/").decode()
            except OSError:
                time.sleep(0.3)
        assert page is not None, "the dashboard did not answer within 90 s"
        assets = re.findall(r'(?:href|src)="(/_solara/cdn/[^"]+)"', page)
        assert assets, "the page loads its front end from elsewhere"
        for asset in assets:
            assert len(_get(f"http://127.0.0.1:{port}{asset}")) > 100, asset
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}" in output


@pytest.mark.parametrize("classroom", ["0", "1"])
def test_pandas_is_whole_before_any_page_can_be_drawn(classroom):
    """Reacton looks `pandas.DataFrame` up at every `use_state`; the app's warm-up thread
    imports the pages (and pandas) in the background, so the app must have imported pandas
    whole before that thread starts, or a page drawn meanwhile fails."""
    check = "import sys, dashboards.app; print(hasattr(sys.modules.get('pandas'), 'DataFrame'))"
    env = {**os.environ, CLASSROOM_VARIABLE: classroom}
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                         check=True, env=env)  # fmt: skip
    assert out.stdout.strip() == "True"
