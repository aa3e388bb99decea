"""The Wargame pages without a browser (`solara.render`): setting up a game, joining it
with a good, a wrong or another team's code, a team's orders (refused with the engine's
reasons, then accepted), the umpire's controls (advance, inject, roll back) and the
after-action review. The same pages in Chromium: tests/browser/test_wargame_browser.py.
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
import time
from pathlib import Path

import ipyvuetify as v
import numpy as np
import pytest
import solara

from dashboards import game_maps, game_review, games
from dashboards.game_setup import setup_problems
from dashboards.wargame import REFUSED, Wargame
from sim.wargame.fog import observed
from sim.wargame.game import Game, GameSetup
from sim.wargame.orders import Orders, attackable

ROOT = Path(__file__).resolve().parents[1]

VALLEY = str(ROOT / "scenarios" / "teaching" / "valley.toml")


@pytest.fixture
def store(tmp_path):
    """A games database of the test's own."""
    return games.open_store(tmp_path / "games.sqlite")


@pytest.fixture
def game(store):
    """A valley game: team A commands blue, team B red; (game id, codes)."""
    setup = GameSetup(scenario=VALLEY, seed=3, turn_days=5, teams={"A": "blue", "B": "red"})
    return games.create(setup)


# --- helpers ----------------------------------------------------------------------------


def html_of(rc) -> str:
    parts = [w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets]
    parts += [w.svg for w in rc.find(v.VuetifyTemplate).widgets if hasattr(w, "svg")]
    return "\n".join(parts)


def buttons(rc, label: str) -> list:
    return [
        b
        for b in rc.find(v.Btn).widgets
        if label in b.children or any(isinstance(c, str) and label in c for c in b.children)
    ]


def has_class(rc, name: str) -> bool:
    """Whether any widget of the page has the CSS class `name`."""
    stack = list(rc.find(v.Sheet).widgets)
    while stack:
        widget = stack.pop()
        if name in (getattr(widget, "class_", None) or "").split():
            return True
        stack += [c for c in getattr(widget, "children", []) if not isinstance(c, str)]
    return False


def click(rc, label: str, index: int = 0) -> None:
    buttons(rc, label)[index].click()


def enter(rc, label: str, text: str) -> None:
    field = rc.find(v.TextField, label=label).widget
    field.v_model = text
    field.fire_event("keyup.enter")


def join(code: str):
    _, rc = solara.render(Wargame(ROOT), handle_error=False)
    enter(rc, "Join code", code)
    return rc


def wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def turn_shown(rc) -> int:
    return int(re.search(r'class="fl-turn">(\d+)<', html_of(rc)).group(1))


def fog_map(rc) -> str:
    (svg,) = [w.svg for w in rc.find(v.VuetifyTemplate).widgets if hasattr(w, "svg")]
    return svg


# --- setup ------------------------------------------------------------------------------


def test_the_database_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(games.DB_VARIABLE, str(tmp_path / "class.sqlite"))
    assert games.database_path() == tmp_path / "class.sqlite"
    monkeypatch.delenv(games.DB_VARIABLE)
    assert games.database_path() == Path("wargames") / "frontline.sqlite"


def test_setup_creates_a_game_and_shows_its_codes_once(store):
    _, rc = solara.render(Wargame(ROOT), handle_error=False)
    rc.find(v.Select, label="Scenario").widget.v_model = VALLEY
    labels = [c.label for c in rc.find(v.Checkbox).widgets]
    assert labels == [
        "Blue government (ground and air)",
        "Red rebels (ground)",
        "Green insurgents (ground)",
    ]
    click(rc, "Create the game")
    assert "choose at least one faction" in html_of(rc)
    rc.find(v.Checkbox, label="Blue government (ground and air)").widget.v_model = True
    rc.find(v.Checkbox, label="Red rebels (ground)").widget.v_model = True
    field = rc.find(v.TextField, label="Team name").widgets[1]
    field.v_model = "Rebels"
    enter(rc, "Turn length (days)", "7")
    click(rc, "Create the game")
    codes = [w.code for w in rc.find(v.VuetifyTemplate).widgets if hasattr(w, "code")]
    assert len(codes) == 3 and len(set(codes)) == 3
    assert "shown only once" in html_of(rc)
    (listed,) = store.games()
    access = {c: store.access(c) for c in codes}
    assert {(a.role, a.faction, a.team) for a in access.values()} == {
        ("team", "blue", "Blue government"),
        ("team", "red", "Rebels"),
        ("umpire", None, None),
    }
    assert store.game(listed["id"]).setup.turn_days == 7
    click(rc, "I have the codes")
    assert "<b>Umpire</b>" in html_of(rc)
    click(rc, "Leave")
    assert not [w for w in rc.find(v.VuetifyTemplate).widgets if hasattr(w, "code")]
    rc.close()


def test_setup_problems_are_named():
    bad = GameSetup(scenario=VALLEY, seed=-1, turn_days=0, teams={" ": "blue"})
    found = "\n".join(setup_problems(bad))
    assert "every team needs a name" in found
    assert "turn length" in found and "seed" in found


def test_saved_games_resume_only_with_their_umpire_code(game):
    _, codes = game
    _, rc = solara.render(Wargame(ROOT), handle_error=False)
    click(rc, "Resume")
    enter(rc, "Umpire code", codes["A"])
    click(rc, "Open")
    assert "This is a team&#x27;s code" in html_of(rc)
    enter(rc, "Umpire code", "nonsense")
    click(rc, "Open")
    assert "No game opens with this code" in html_of(rc)
    enter(rc, "Umpire code", codes["umpire"])
    click(rc, "Open")
    assert "<b>Umpire</b>" in html_of(rc)
    rc.close()


# --- join -------------------------------------------------------------------------------


def test_a_wrong_code_is_refused(game):
    rc = join("not-a-code")
    assert REFUSED.split(".")[0] in html_of(rc)
    assert not buttons(rc, "Submit orders")
    rc.close()


def test_a_team_code_opens_only_its_faction(game):
    _, codes = game
    rc = join(codes["A"])
    shown = html_of(rc)
    assert "<b>Team A</b>: Blue government" in shown
    assert has_class(rc, "fl-orders-blue")
    assert not has_class(rc, "fl-orders-red")
    assert not buttons(rc, "Advance") and not buttons(rc, "Roll back")
    rc.close()
    other = join(codes["B"])  # another team's code opens that team, not team A
    assert "<b>Team B</b>: Red rebels" in html_of(other)
    assert has_class(other, "fl-orders-red")
    assert not has_class(other, "fl-orders-blue")
    other.close()


def test_the_team_map_hides_forces_it_does_not_observe(game):
    game_id, codes = game
    rc = join(codes["A"])
    model = games.store().game(game_id).model
    seen = observed(model, "blue")
    svg = fog_map(rc)
    hidden = 0
    for p, name in enumerate(model.map.names):
        tag = re.search(rf'data-place="{p}" data-observed="(\d)"><title>([^<]*)</title>', svg)
        assert tag and tag.group(1) == str(int(seen[p])), name
        others = [f for f in model.factions if f.key != "blue" and model.forces[f.index, p] > 0]
        if not seen[p] and others:
            hidden += 1
            assert "fighters" not in tag.group(2), name
    assert hidden > 0  # the valley has forces out of blue's sight on day 0
    assert "fl-seen-forces" in html_of(rc)
    rc.close()


def test_fogged_view_keeps_own_forces_and_observed_others(store):
    game = Game(GameSetup(scenario=VALLEY, seed=3, turn_days=5, teams={"A": "blue"}))
    view, _, seen = game_maps.fogged(game.model, "blue")
    blue = game.model.faction_number("blue")
    assert np.array_equal(view.forces[blue], game.model.forces[blue])
    others = np.arange(len(game.model.factions)) != blue
    assert np.array_equal(view.forces[others][:, seen], game.model.forces[others][:, seen])
    assert not view.forces[others][:, ~seen].any()
    assert np.isnan(view.morale[others]).all()


# --- a team's orders --------------------------------------------------------------------


def test_orders_beyond_the_means_show_the_engines_problems_then_a_valid_submission(game):
    game_id, codes = game
    rc = join(codes["A"])
    targets = rc.find(v.Select, label="Places to attack").widget
    targets.v_model = targets.items[:3]
    assert "cost" in html_of(rc).lower()
    click(rc, "Submit orders")
    shown = html_of(rc)
    assert "Not submitted" in shown and "at most 2 objectives at once, got 3" in shown
    assert games.store().game(game_id).submitted() == set()
    targets.v_model = ["Rivertown"]
    assert re.search(
        r"against [\d,]+ \(force ratio [\d.]+:1\): <b class='fl-(win|lose)'>", html_of(rc)
    )
    rc.find(v.Select, label="Send to").widget.v_model = "Capital"
    enter(rc, "Fighters", "700")
    click(rc, "Add")
    assert "700 to Capital" in html_of(rc)
    click(rc, "Submit orders")
    shown = html_of(rc)
    assert "Not submitted" not in shown and "Orders for turn 1 received" in shown
    stored = games.store().game(game_id).pending().orders["blue"]
    assert stored["objectives"] == ["Rivertown"] and stored["reinforcements"] == {"Capital": 700.0}
    with sqlite3.connect(games.store().path) as db:  # saved at once
        (orders,) = db.execute("SELECT orders FROM turns WHERE game_id = ?", (game_id,)).fetchone()
    assert json.loads(orders)["blue"]["objectives"] == ["Rivertown"]
    rc.close()


def test_the_odds_shown_to_a_team_do_not_reveal_the_defenders_hidden_morale(store):
    """Two games that differ only in the hidden morale of Rivertown's defenders show
    team A the same odds and costs, and say what morale they assume."""
    shown = []
    for hidden in (0.05, 0.95):
        setup = GameSetup(scenario=VALLEY, seed=3, turn_days=5, teams={"A": "blue", "B": "red"})
        game_id, codes = games.create(setup)
        model = games.store().game(game_id).model
        model.morale[model.faction_number("red"), model.map.index("Rivertown")] = hidden
        rc = join(codes["A"])
        rc.find(v.Select, label="Places to attack").widget.v_model = ["Rivertown"]
        page = html_of(rc)
        shown.append(re.findall(r"Rivertown \(held by.*|<b>Cost</b>.*", page))
        rc.close()
    assert len(shown[0]) == 2 and shown[0] == shown[1]
    assert "their morale unseen, assumed as at the start (red 0.60)" in "\n".join(shown[0])


def test_air_tasking_shares_must_sum_to_one(game):
    game_id, codes = game
    rc = join(codes["A"])
    rc.find(v.Switch, label="Task the air force (8 sorties a day)").widget.v_model = True
    sliders = rc.find(v.Slider).widgets
    assert len(sliders) == 2  # red and green, blue's enemies
    sliders[0].v_model = 50
    sliders[1].v_model = 20
    assert "sum to <b>70 %</b>" in html_of(rc)
    click(rc, "Submit orders")
    assert "targeting shares must sum to 1" in html_of(rc)
    sliders[1].v_model = 50
    click(rc, "Submit orders")
    assert "received" in html_of(rc)
    assert games.store().game(game_id).pending().orders["blue"]["targeting"] == {
        "red": 0.5,
        "green": 0.5,
    }
    rc.close()


# --- the umpire -------------------------------------------------------------------------


def test_umpire_advances_when_all_have_submitted_and_teams_follow(game):
    game_id, codes = game
    umpire, team = join(codes["umpire"]), join(codes["A"])
    (advance,) = buttons(umpire, "Advance anyway")
    assert advance.disabled  # nobody has submitted, no countdown
    assert "waiting" in html_of(umpire)
    store = games.store()
    store_game = store.game(game_id)
    for faction in ("blue", "red"):
        assert (
            games.submit(
                store.access(codes["A" if faction == "blue" else "B"]),
                Orders(objectives=attackable(store_game.model, faction)[:1]),
            )
            == []
        )
    wait_for(lambda: buttons(umpire, "Advance turn 1"))
    click(umpire, "Advance turn 1")
    assert turn_shown(umpire) == 2 and "Turn 1 played" in html_of(umpire)
    wait_for(lambda: turn_shown(team) == 2)  # the team's page follows by itself
    wait_for(lambda: "Turn 1 (days 1-5)" in html_of(team))
    assert store.games()[0]["turns_played"] == 1
    umpire.close()
    team.close()


def test_countdown_lets_the_umpire_advance_anyway(game):
    game_id, codes = game
    umpire = join(codes["umpire"])
    enter(umpire, "Countdown (minutes)", "0")
    click(umpire, "Start")
    wait_for(lambda: not buttons(umpire, "Advance anyway")[0].disabled)
    click(umpire, "Advance anyway")
    assert turn_shown(umpire) == 2
    report = games.store().game(game_id).reports[1]["blue"]
    assert report.last_day == 5
    umpire.close()


def test_umpire_injects_an_event_and_rolls_back(game):
    game_id, codes = game
    umpire = join(codes["umpire"])
    events = umpire.find(v.Select, label="Scenario event").widget
    assert {item["value"] for item in events.items} == {"air_surge", "green_amnesty"}
    events.v_model = "air_surge"
    click(umpire, "Inject at the start of this turn")
    assert "This turn: air_surge" in html_of(umpire)
    store = games.store()
    team_access = {"blue": store.access(codes["A"]), "red": store.access(codes["B"])}
    for _ in range(2):
        for access in team_access.values():
            games.submit(access, Orders())
        wait_for(lambda: buttons(umpire, "Advance turn"))
        click(umpire, "Advance turn")
    assert turn_shown(umpire) == 3
    model = store.game(game_id).model
    assert model.params.sorties[model.faction_number("blue")] == 20
    umpire.find(v.Select, label="Go back to").widget.v_model = 2
    click(umpire, "Roll back")
    assert turn_shown(umpire) == 2 and store.game(game_id).model.day == 5
    with sqlite3.connect(games.store().path) as db:
        (archived,) = db.execute(
            "SELECT turns FROM archive WHERE game_id = ?", (game_id,)
        ).fetchone()
    assert [t["number"] for t in json.loads(archived)] == [2, 3]
    store.forget()  # a restart: the game comes back at the saved turn
    assert games.store().game(game_id).model.day == 5
    umpire.close()


def test_a_team_cannot_use_the_umpires_controls(game):
    _, codes = game
    team = games.join(codes["A"])
    with pytest.raises(games.RefusedError):
        games.advance(team, anyway=True)
    with pytest.raises(games.RefusedError):
        games.rollback(team, 1)
    with pytest.raises(games.RefusedError):
        games.inject(team, "air_surge")
    with pytest.raises(games.RefusedError):
        games.submit(games.join(codes["umpire"]), Orders())


# --- the after-action review ------------------------------------------------------------


def test_review_replays_the_game_and_places_each_team(game, monkeypatch, tmp_path):
    game_id, codes = game
    monkeypatch.setattr(game_review, "BENCHMARK_RUNS", 6)
    scratch = tmp_path / "scratch"  # the temporary folders of the downloads, watched
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    store = games.store()
    for _ in range(3):
        for code in ("A", "B"):
            access = store.access(codes[code])
            model = store.game(game_id).model
            games.submit(access, Orders(objectives=attackable(model, access.faction)[:1]))
        games.advance(store.access(codes["umpire"]))
    umpire = join(codes["umpire"])
    click(umpire, "After-action review")
    shown = html_of(umpire)
    assert "After-action review" in shown and "3 turns of 5 days" in shown
    assert "fl-orders-table" in shown and "doctrine" in shown
    slider = umpire.find(v.Slider, label="Day").widget
    assert slider.max == 15 and slider.v_model == 15
    last = fog_map(umpire)
    assert 'data-day="15"' in last
    slider.v_model = 0
    first = fog_map(umpire)
    assert 'data-day="0"' in first and first != last
    wait_for(lambda: "fl-percentile" in html_of(umpire))
    assert re.search(
        r"better than <b class='fl-percentile'>\d+%</b> of simulated runs", html_of(umpire)
    )
    data = game_review.review_of(game_id)
    assert data.ranked is not None and len(data.ranked[0].simulated) == 6
    assert game_review.review_of(game_id) is data  # cached per game and turn
    page = game_review.debrief_html(data).decode()
    assert "Debrief" in page and "better than" in page
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(game_review.data_zip(data))).namelist()
    assert {"captures.csv", "captures.parquet", "orders.csv", "timeseries.parquet"} <= set(names)
    assert not list(scratch.iterdir())  # the debrief's folder is gone
    assert "as written (no event was injected)" in html_of(umpire)
    umpire.close()
