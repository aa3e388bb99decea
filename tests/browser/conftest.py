"""Browser tests: the real dashboard served by solara's test server, driven in Chromium.

Playwright cannot download its own browser here, so it runs Debian's Chromium
(`apt-get install -y chromium`; FRONTLINE_CHROMIUM names another binary). Without it these
tests are skipped, unless the environment variable FRONTLINE_REQUIRE_BROWSER is set (CI
sets it): then they fail, so a missing browser is never mistaken for passing tests.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("FRONTLINE_CHROMIUM", "/usr/bin/chromium"))  # Debian's
CHROMIUM_ARGS = [
    "--no-sandbox",  # tests may run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",  # offline: no update checks or field trials
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
        import pytest_playwright  # noqa: F401
    except ImportError:
        return 'Playwright is not installed (pip install -e ".[dev]")'
    return None


@pytest.fixture(scope="session", autouse=True)
def _chromium_present():
    """Skip without a browser, or fail if FRONTLINE_REQUIRE_BROWSER is set."""
    missing = _missing()
    if missing and os.environ.get("FRONTLINE_REQUIRE_BROWSER"):
        pytest.fail(f"{missing}; FRONTLINE_REQUIRE_BROWSER is set, so browser tests must run")
    if missing:
        pytest.skip(missing)


@pytest.fixture(scope="session", autouse=True)
def _kernels_compiled(_chromium_present):
    """Compile the model's kernels (and write them to their cache) before any server starts:
    on a fresh checkout the first server would otherwise compile them while a page waits,
    which on a busy machine takes longer than a page may."""
    from sim.formats.scenario import load_scenario
    from sim.model.model import FrontlineModel

    valley = load_scenario(ROOT / "scenarios" / "teaching" / "valley.toml")
    FrontlineModel(valley, days=2).run_model()


@pytest.fixture(autouse=True)
def _pages_closed():
    """Close the pages a test opened with `helpers.open_page` (see there)."""
    yield
    from tests.browser.helpers import OPENED

    while OPENED:
        OPENED.pop().close()


@pytest.fixture(autouse=True)
def _patient_pages(request):
    """Pages from pytest-playwright's `page` fixture wait as long as our own pages do
    (helpers.TIMEOUT), not Playwright's 30 s: a busy machine is slow, not broken."""
    if "page" in request.fixturenames:
        from tests.browser.helpers import TIMEOUT

        request.getfixturevalue("page").set_default_timeout(TIMEOUT)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch the system's Chromium, offline."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1500, "height": 1250}}


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    """Where screenshots go: $FRONTLINE_ARTIFACTS, else a temporary folder."""
    chosen = os.environ.get("FRONTLINE_ARTIFACTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def keep_for_docs():
    """copy(shot, name): copy a screenshot to docs/ when FRONTLINE_UPDATE_SCREENSHOTS is set."""

    def copy(shot: Path, name: str) -> None:
        if os.environ.get("FRONTLINE_UPDATE_SCREENSHOTS"):
            shutil.copyfile(shot, ROOT / "docs" / name)

    return copy


@pytest.fixture(autouse=True)
def served_here(monkeypatch):
    """Solara's in-process test server runs on the loopback address: say so, as
    `solara run` does (see dashboards.serving)."""
    monkeypatch.setenv("SERVER_NAME", "127.0.0.1")
