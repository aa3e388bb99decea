"""Helpers of the browser tests: a dashboard server in a subprocess, pages in contexts of
their own, joining a game, and whether an element is in sight."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60_000  # ms, for anything the server does (a busy machine is slow, not broken)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A dashboard server in a subprocess (our own, stopped by its id), on a port and a
    games database; `command`: the arguments after the Python executable (default
    `-m sim dashboard --port PORT`), `env`: more environment."""

    def __init__(self, database: Path, command: list[str] | None = None, env: dict | None = None):
        self.database = database
        self.port = free_port()
        self.command = command
        self.env = env or {}
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/wargame"

    def start(self) -> None:
        env = {**os.environ, "FRONTLINE_GAMES_DB": str(self.database), **self.env}
        for name in ("SERVER_NAME", "SERVER_PORT"):  # let the server say its own
            env.pop(name, None)
        command = self.command or ["-m", "sim", "dashboard"]
        self.process = subprocess.Popen(
            [sys.executable, *command, "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url, timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("the dashboard did not start within 90 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # our own process, by its id
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


OPENED: list = []  # the contexts open_page opened; conftest closes them after each test


def open_page(browser, url: str, width: int = 1400, height: int = 900):
    """A page in a browser context of its own (its own session on the server), closed
    after the test: a page left open once its server has stopped keeps trying to reconnect,
    and a dozen of them took more than a core from the rest of the test run."""
    context = browser.new_context(viewport={"width": width, "height": height})
    OPENED.append(context)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    return page


def enter_code(page, code: str) -> None:
    field = page.get_by_label("Join code")
    field.fill(code)
    field.press("Enter")


def boxes_in_one_frame(page, *selectors: str) -> list[dict]:
    """The boxes of the first element matching each selector, measured in one script call,
    so that a scroll still under way (a mouse wheel scrolls smoothly) cannot move one
    between two measurements."""
    return page.evaluate(
        """selectors => selectors.map(s => {
            const r = document.querySelector(s).getBoundingClientRect();
            return {x: r.x, y: r.y, width: r.width, height: r.height};
        })""",
        list(selectors),
    )


def in_viewport(page, locator) -> bool:
    """Whether the element's box lies inside the window (what a person sees without
    scrolling)."""
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + min(box["height"], 40) <= size["height"]
        and box["x"] >= 0
        and box["x"] < size["width"]
    )
