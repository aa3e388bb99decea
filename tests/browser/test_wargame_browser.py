"""The classroom wargame end to end in headless Chromium: `frontline dashboard` served in
a subprocess on its own games database; an umpire and two teams, each in a separate
browser context (separate cookies and sessions), play three turns of a week of the
Palmyra scenario (H2, with the air surge): the regime against ISIS.

Checked in the pages themselves (DOM): a wrong code and another team's code are refused;
a team sees only its own faction's controls and no forces where it does not observe; a
team's page follows the turns by itself; the server is stopped and started again
mid-game and the game resumes at the saved turn with the orders already given; the
after-action review replays the game and places each team among the model's own runs,
and its debrief downloads.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.wargame.store import GameStore
from tests.browser.helpers import Server, enter_code
from tests.browser.helpers import open_page as open_browser_page


@pytest.fixture
def server(tmp_path):
    served = Server(tmp_path / "games.sqlite")
    served.start()
    yield served
    served.stop()


def open_page(browser, server: Server):
    page = open_browser_page(browser, server.url, 1500, 1250)
    page.get_by_label("Join code").wait_for(timeout=FIRST_PAGE)
    return page


OBJECTIVES = "Places to attack (or click them on the map)"
FIRST_PAGE = 120_000  # ms: a server's first page imports the model (slow on a busy machine)


def turn_of(page) -> int:
    return int(page.locator(".fl-turn").inner_text())


def wait_turn(page, turn: int) -> None:
    page.locator(".fl-turn", has_text=re.compile(rf"^{turn}$")).wait_for()


def pick_objective(page, place: str) -> None:
    """Add `place` to the objectives, and wait for the server to show its odds."""
    page.get_by_label(OBJECTIVES).click(force=True)
    page.get_by_role("option", name=place, exact=True).click()
    page.keyboard.press("Escape")
    page.locator(".fl-odds", has_text=place).wait_for()


def submit(page) -> None:
    page.get_by_role("button", name="Submit orders").click()
    page.locator(".fl-submitted").wait_for()


def advance(umpire, turn: int) -> None:
    button = umpire.get_by_role("button", name=f"Advance turn {turn}")
    button.wait_for()
    button.click()
    wait_turn(umpire, turn + 1)


def check_fog(page, database: Path, game_id: str, faction: str) -> int:
    """Every place the team does not observe shows no other faction's forces; returns how
    many places hold forces the team cannot see."""
    truth = GameStore(database).game(game_id).model  # the same war, replayed here
    f = truth.faction_number(faction)
    labels = [x.label for x in truth.factions]
    hidden = 0
    places = page.locator("svg.fl-map g.fl-place")
    assert places.count() == truth.map.size
    observed = {
        int(p): o == "1"
        for p, o in page.eval_on_selector_all(
            "svg.fl-map g.fl-place",
            "els => els.map(e => [e.dataset.place, e.dataset.observed])",
        )
    }
    titles = page.eval_on_selector_all(
        "svg.fl-map g.fl-place > title", "els => els.map(e => e.textContent)"
    )
    for p, title in enumerate(titles):
        others = [g for g in range(len(labels)) if g != f and truth.forces[g, p] > 0]
        if observed[p] or not others:
            continue
        hidden += 1
        for g in others:
            assert f"{labels[g]}:" not in title, (truth.map.names[p], title)
    seen_rows = page.locator(".fl-seen-forces tr").all_inner_texts()[1:]
    for row in seen_rows:
        place = row.split("\t")[0]
        assert observed[truth.map.index(place)], place
    return hidden


def test_three_turns_two_teams_and_a_restart(browser, server, artifacts, keep_for_docs):
    # --- the instructor sets up a game and is its umpire --------------------------------
    umpire = open_page(browser, server)
    umpire.get_by_text("New game and saved games (instructor)").click()
    umpire.locator(".fl-game-scenario").click()
    umpire.get_by_role("option", name="h2_surge_900", exact=True).click()
    umpire.get_by_text("Regime (SAA) (ground)").click()
    umpire.get_by_text("ISIS (ground)").click()
    turn_length = umpire.get_by_label("Turn length (days)")
    turn_length.fill("7")
    turn_length.press("Enter")
    umpire.get_by_role("button", name="Create the game").click()
    umpire.locator("input.fl-code").nth(2).wait_for()
    regime_code, isis_code, umpire_code = [
        umpire.locator("input.fl-code").nth(i).input_value() for i in range(3)
    ]
    assert len({regime_code, isis_code, umpire_code}) == 3
    umpire.get_by_role("button", name=re.compile("Copy")).first.click()
    umpire.get_by_role("button", name=re.compile("I have the codes")).click()
    umpire.locator(".fl-teams").wait_for()
    (game,) = GameStore(server.database).games()
    game_id = game["id"]

    # --- two teams join, each in its own browser context --------------------------------
    regime = open_page(browser, server)
    enter_code(regime, "wrong-code-123")
    assert "No game opens with this code" in regime.locator(".fl-problems").inner_text()
    enter_code(regime, regime_code)
    regime.locator(".fl-orders-regime").wait_for()

    isis = open_page(browser, server)
    enter_code(isis, isis_code)
    isis.locator(".fl-orders-isis").wait_for()

    # --- each team sees and commands only its own faction -------------------------------
    for page, own, other in ((regime, "regime", "isis"), (isis, "isis", "regime")):
        assert page.locator(f".fl-orders-{other}").count() == 0
        assert page.locator(f".fl-orders-{own}").count() == 1
        assert page.get_by_role("button", name=re.compile("Advance|Roll back")).count() == 0
        assert check_fog(page, server.database, game_id, own) > 0
    assert "Team Regime (SAA)" in regime.locator(".fl-team-name").inner_text()

    # --- turn 1: the regime attacks Palmyra (chosen on the map), ISIS over-reaches, holds --
    palmyra = regime.evaluate(
        """() => [...document.querySelectorAll('svg.fl-map g.fl-place')]
            .find(g => g.querySelector('title').textContent.startsWith('Palmyra\\n'))
            .dataset.place"""
    )
    regime.locator(f"svg.fl-map g.fl-place[data-place='{palmyra}'] circle.fl-hit").dispatch_event(
        "click"
    )
    regime.get_by_role("button", name="Make it an objective").click()
    regime.locator(".fl-odds", has_text="Palmyra").wait_for()
    assert re.search(r"force ratio [\d.]+:1", regime.locator(".fl-odds").first.inner_text())
    assert "committed" in regime.locator(".fl-cost-line").inner_text()
    submit(regime)
    umpire.locator(".fl-teams .fl-in").first.wait_for()  # the umpire sees it arrive
    isis.get_by_label(OBJECTIVES).click(force=True)
    three = isis.get_by_role("option").all_inner_texts()[:3]
    isis.keyboard.press("Escape")
    for place in three:  # more than ISIS may attack at once
        pick_objective(isis, place)
    isis.get_by_role("button", name="Submit orders").click()
    assert "at most 2 objectives at once, got 3" in isis.locator(".fl-problems").inner_text()
    isis.get_by_role("button", name="Hold (no attacks)").click()
    submit(isis)
    advance(umpire, 1)
    for page in (regime, isis):  # the teams' pages follow by themselves
        wait_turn(page, 2)
        page.locator(".fl-reports", has_text="Turn 1 (days 1-7)").wait_for()
    assert check_fog(regime, server.database, game_id, "regime") >= 0

    # --- turn 2 -------------------------------------------------------------------------
    submit(regime)
    submit(isis)
    advance(umpire, 2)
    wait_turn(regime, 3)
    wait_turn(isis, 3)
    regime.get_by_label("Places to attack (or click them on the map)").click(force=True)
    first = regime.get_by_role("option").first.inner_text()
    regime.keyboard.press("Escape")
    pick_objective(regime, first)
    submit(regime)  # the regime's orders for turn 3 are in when the server stops
    regime.screenshot(path=artifacts / "wargame-team.png", full_page=True)

    # --- the server restarts mid-game ---------------------------------------------------
    server.stop()
    server.start()
    for page in (umpire, regime, isis):  # each rejoins from a fresh page, as after a reload
        page.context.close()
    umpire, regime, isis = (open_page(browser, server) for _ in range(3))
    for page, code in ((umpire, umpire_code), (regime, regime_code), (isis, isis_code)):
        enter_code(page, code)
        wait_turn(page, 3)
    regime.locator(".fl-game-day", has_text=re.compile("^14$")).wait_for()
    regime.locator(".fl-state", has_text="orders in").wait_for()  # nothing lost
    regime.locator(".fl-odds", has_text=first).wait_for()  # its orders, as given
    isis.locator(".fl-state", has_text="your orders are awaited").wait_for()
    isis.locator(".fl-reports", has_text="Turn 2 (days 8-14)").wait_for()
    umpire.locator(".fl-teams .fl-in").wait_for()
    assert umpire.locator(".fl-teams .fl-in").count() == 1
    shot = artifacts / "wargame-team.png"
    regime.screenshot(path=shot, full_page=True)
    keep_for_docs(shot, "wargame-team.png")

    # --- turn 3, then the after-action review -------------------------------------------
    submit(isis)
    advance(umpire, 3)
    wait_turn(regime, 4)
    umpire.get_by_role("button", name="After-action review").click()
    umpire.locator("svg.fl-replay[data-day='21']").wait_for()
    umpire.locator(".fl-percentile").first.wait_for(timeout=120_000)
    lines = umpire.locator(".fl-standing-line").all_inner_texts()
    assert len(lines) == 2
    assert all(
        re.search(r"better than \d+% of simulated runs|the same as every simulated run", line)
        for line in lines
    )
    assert "doctrine" in umpire.locator(".fl-orders-table").inner_text()
    first_map = umpire.locator("svg.fl-replay").inner_html()
    umpire.locator(".fl-review-start").click()
    umpire.locator("svg.fl-replay[data-day='0']").wait_for()
    assert umpire.locator("svg.fl-replay").inner_html() != first_map
    with umpire.expect_download() as download:
        umpire.get_by_role("button", name="Download the debrief (HTML)").click()
    saved = artifacts / "debrief.html"
    download.value.save_as(saved)
    assert re.search("better than|the same as every", saved.read_text(encoding="utf-8"))
    umpire.locator(".fl-review-end").click()
    umpire.locator("svg.fl-replay[data-day='21']").wait_for()
    shot = artifacts / "wargame-review.png"
    umpire.screenshot(path=shot, full_page=True)
    keep_for_docs(shot, "wargame-review.png")
