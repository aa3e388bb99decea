"""The dashboard in a real headless Chromium: the page loads, a scenario is picked, days are
stepped and the map and plots change (screenshots and DOM), a sweep's results open on the
Compare page and a run is replayed, and a bad file shows its message. At 1400 x 900: no
two place names overlap on the Syria map (their boxes, as laid out), a place under the
day's strike marker opens when clicked, every error message is in sight when it
appears, and fragment files are not offered.

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
from tests.browser.helpers import boxes_in_one_frame, in_viewport

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


# --- the map people read, and errors in sight (issue 17) --------------------------------


@pytest.fixture
def window(solara_server, solara_app, page_session):
    """The dashboard at 1400 x 900, a laptop's window."""
    page_session.set_viewport_size({"width": 1400, "height": 900})
    with solara_app(APP):
        page_session.goto(solara_server.base_url)
        page_session.locator("svg.fl-map .fl-place").first.wait_for(timeout=60_000)
        yield page_session


def label_boxes(page) -> list[dict]:
    """The boxes of the map's visible place names, as the browser lays them out."""
    return page.eval_on_selector_all(
        "svg.fl-map text.fl-label",
        """els => els.filter(e => getComputedStyle(e).display !== 'none')
                   .map(e => { const b = e.getBoundingClientRect();
                               return {name: e.textContent, x: b.x, y: b.y, r: b.right,
                                       b: b.bottom}; })""",
    )


def overlapping(boxes: list[dict], slack: float = 0.5) -> list[tuple[str, str]]:
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if (
                a["x"] < b["r"] - slack
                and b["x"] < a["r"] - slack
                and a["y"] < b["b"] - slack
                and b["y"] < a["b"] - slack
            ):
                found.append((a["name"], b["name"]))
    return found


def test_no_two_labels_overlap_on_the_syria_map(window, artifacts):
    page = window
    pick_scenario(page, "h1_baseline")
    page.locator(".fl-date", has_text="2015-10-01").wait_for()
    boxes = label_boxes(page)
    assert len(boxes) >= 40  # most of the 60 places are named at the first zoom
    assert overlapping(boxes) == []
    for _ in range(2):  # zoomed in, more names fit, still none overlapping
        page.locator(".fl-zoom-in").click()
    page.locator(".fl-map-box[data-zoom='4']").wait_for()
    zoomed = label_boxes(page)
    assert overlapping(zoomed) == []
    page.screenshot(path=artifacts / "explore-zoomed.png")


def test_a_place_under_a_strike_marker_opens_when_clicked(window):
    page = window
    pick_scenario(page, "h2_surge_900")
    page.locator(".fl-date", has_text="2016-03-01").wait_for()
    palmyra = page.evaluate(
        "() => [...document.querySelectorAll('svg.fl-map g.fl-place')]"
        ".find(g => g.querySelector('title').textContent.startsWith('Palmyra'))"
        ".dataset.place"
    )
    star = page.locator(f"svg.fl-map .fl-strike[data-strike='{palmyra}']")
    for _ in range(30):  # the surge strikes Palmyra within days
        if star.count():
            break
        day = int(page.locator("svg.fl-map").get_attribute("data-day"))
        page.get_by_role("button", name="Step 1 day").click()
        page.locator(f"svg.fl-map[data-day='{day + 1}']").wait_for()
    box = star.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.locator(".fl-details h4", has_text="Palmyra").wait_for()


def test_every_error_message_is_in_sight_when_it_appears(window, tmp_path):
    page = window
    bad = tmp_path / "broken.toml"
    bad.write_text("[factions.red]\nmorale = 3\n")
    field = page.get_by_label("or open a scenario file")
    field.fill(str(bad))
    field.press("Enter")
    message = page.locator(".fl-problems", has_text="broken.toml")
    message.wait_for()
    assert in_viewport(page, message)
    # the scenario shown and its controls stay
    assert page.locator(".fl-scenario").inner_text().strip().endswith("valley")
    assert page.get_by_label("Seed").count() == 1
    page.mouse.wheel(0, 2000)  # the overrides box is far down the sidebar
    area = page.locator(".fl-sidebar textarea")  # Other overrides (--set lines)
    area.fill("map.grid.width = 1000")
    area.evaluate("e => e.blur()")
    page.locator(".fl-pending").wait_for()  # the hint sits beside Reset
    reset = page.locator(".fl-reset")
    hint, button = boxes_in_one_frame(page, ".fl-pending", ".fl-reset")
    assert abs(hint["y"] - button["y"]) < 30 and 0 < hint["x"] - button["x"] < 300
    reset.click()
    refused = page.locator(".fl-problems", has_text="map.grid.width")
    refused.wait_for()
    assert in_viewport(page, refused)
    assert "not a setting of this page" in refused.inner_text()
    page.locator(".fl-scenario").click()
    page.get_by_role("option", name="h1_baseline", exact=True).click()
    page.locator(".fl-date", has_text="2015-10-01").wait_for()  # the page goes on


def test_fragment_files_are_not_offered(window):
    window.locator(".fl-scenario").click()
    options = window.get_by_role("option").all_inner_texts()
    assert "base_2015" in options and "h1_baseline" in options
    assert "map" not in options and "factions" not in options
