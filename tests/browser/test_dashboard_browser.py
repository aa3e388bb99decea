"""The dashboard in a real headless Chromium: the page loads, a scenario is picked, days are
stepped and the map and plots change (screenshots and DOM), a sweep's results open on the
Compare page and a run is replayed, and a bad file shows its message.

Screenshots go to the `artifacts` folder (see conftest.py); with
FRONTLINE_UPDATE_SCREENSHOTS set, two of them are copied to docs/ for the README.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sim.experiments.experiment import load_experiment
from sim.experiments.sweep import sweep

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboards" / "app.py")
VALLEY = ROOT / "scenarios" / "teaching" / "valley.toml"


@pytest.fixture
def page(solara_server, solara_app, page_session):
    """The dashboard, freshly loaded, with the teaching scenario open."""
    with solara_app(APP):
        page_session.goto(solara_server.base_url)
        page_session.locator("svg.fl-map .fl-place").first.wait_for(timeout=60_000)
        yield page_session


def day_on_map(page) -> int:
    return int(page.locator("svg.fl-map").get_attribute("data-day"))


def pick_scenario(page, stem: str) -> None:
    page.locator(".fl-scenario").click()
    page.get_by_role("option", name=stem, exact=True).click()


def test_pick_a_scenario_and_step_ten_days(page, artifacts, keep_for_docs):
    pick_scenario(page, "h1_baseline")
    page.locator(".fl-date", has_text="2015-10-01").wait_for()
    assert "H1 baseline" in page.locator(".v-expansion-panel-content").first.inner_text()
    the_map = page.locator(".fl-map-box")
    places_chart = page.locator(".fl-chart-box").first
    map_before, chart_before = the_map.screenshot(), places_chart.screenshot()
    svg_before = the_map.inner_html()
    page.screenshot(path=artifacts / "explore-day0.png")
    step = page.get_by_role("button", name="Step 1 day")
    for day in range(1, 11):
        step.click()
        page.locator(f"svg.fl-map[data-day='{day}']").wait_for()
    assert page.locator(".fl-day").inner_text() == "10"
    assert page.locator(".fl-date").inner_text() == "2015-10-11"
    assert the_map.inner_html() != svg_before
    assert the_map.screenshot() != map_before
    assert places_chart.screenshot() != chart_before
    assert page.locator("svg.fl-map .fl-strike").count() > 0  # the day's air strikes
    page.locator("g.fl-place").nth(0).locator("circle").last.dispatch_event("click")
    page.locator(".fl-details h4").wait_for()
    shot = artifacts / "explore-day10.png"
    page.screenshot(path=shot)
    keep_for_docs(shot, "dashboard-explore.png")


def test_play_and_pause(page):
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('.fl-day').textContent) >= 20")
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for()
    stopped = day_on_map(page)
    page.wait_for_timeout(500)
    assert day_on_map(page) == stopped


def test_a_bad_file_shows_its_message(page, tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("[factions.red]\nmorale = 3\n")
    field = page.get_by_label("or open a scenario file")
    field.fill(str(bad))
    field.press("Enter")
    message = page.locator(".fl-problems")
    message.wait_for()
    assert "This file cannot be run" in message.inner_text()
    assert re.search(r"broken\.toml: factions\.red\.morale: .*", message.inner_text())
    pick_scenario(page, "valley")  # the app still works
    page.get_by_role("button", name="Step 1 day").click()
    page.locator("svg.fl-map[data-day='1']").wait_for()


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A small sweep of the quick experiment (3 variants x 6 seeds x 90 days)."""
    folder = tmp_path_factory.mktemp("sweep")
    text = (ROOT / "experiments" / "quick.toml").read_text()
    text = text.replace("../scenarios/teaching/valley.toml", VALLEY.as_posix())
    text = re.sub(r"(?m)^replicates = \d+", "replicates = 6", text)
    text = re.sub(r"(?m)^days = \d+", "days = 90", text)
    (folder / "quick.toml").write_text(text)
    sweep(load_experiment(folder / "quick.toml"), folder / "quick", workers=1, progress=False)
    return folder / "quick"


def test_compare_opens_results_and_replays_a_run(page, results, artifacts, keep_for_docs):
    page.get_by_role("tab", name="Compare").click()
    field = page.get_by_label("or open a results directory")
    field.fill(str(results / "missing"))
    field.press("Enter")
    page.locator(".fl-problems", has_text="no such directory").wait_for()
    field.fill(str(results))
    field.press("Enter")
    table = page.locator(".fl-verdicts")
    table.wait_for()
    assert "red_holds_more_without_air" in table.inner_text()
    assert page.locator("svg.fl-fan").count() == 3
    assert page.locator("svg.fl-strip").count() == 3
    assert page.locator("svg.fl-capture-map circle, svg.fl-capture-map rect").count() > 0
    assert page.locator("svg.fl-capture-map .fl-colour-scale").count() == 1
    assert "minus historical" in page.locator("svg.fl-capture-map").text_content()
    assert page.locator(".fl-claims li").count() == 1  # one line for quick's hypothesis
    assert "adjusted" in page.locator(".fl-rule").inner_text()
    shot = artifacts / "compare.png"
    page.screenshot(path=shot)
    keep_for_docs(shot, "dashboard-compare.png")
    page.get_by_role("button", name="Replay").nth(7).click()
    page.get_by_text("Replay of no_air/0/1").wait_for()
    expect(page.get_by_text("Replay of no_air/0/1")).to_be_in_viewport()  # scrolled to it
    assert page.get_by_text("Reproduces the stored run exactly").count() == 1
    compare_tab = page.locator(".v-window-item--active")
    compare_tab.locator("svg.fl-map[data-day='0']").wait_for()
    compare_tab.get_by_role("button", name="Step a week").click()
    compare_tab.locator("svg.fl-map[data-day='7']").wait_for()
    page.screenshot(path=artifacts / "compare-replay.png")
