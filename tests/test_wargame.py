"""The Wargame pages without a browser (`solara.render`): setting up a game, joining it
with a good, a wrong or another team's code, a team's orders (refused with the engine's
reasons, then accepted; given on the map), the umpire's controls (advance, inject, roll
back, each needing a confirmation where it takes something back), join codes (stored as
digests, replaced, expiring with the game), the instructor token on a shared server,
private channels, turn reports that explain, and the after-action review. The same pages
in Chromium: tests/browser/test_wargame_browser.py.
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
from sim.wargame.store import CODE_ALPHABET, GameStore, digest

ROOT = Path(__file__).resolve().parents[1]

VALLEY = str(ROOT / "scenarios" / "teaching" / "valley.toml")
CROSSROADS = str(ROOT / "scenarios" / "teaching" / "crossroads.toml")
OBJECTIVES = "Places to attack (or click them on the map)"
HERE = games.Instructor()  # a dashboard served to this machine needs no token


@pytest.fixture(autouse=True)
def served_here(monkeypatch):
    """The dashboard as `solara run` on the loopback address serves it."""
    monkeypatch.setenv("SERVER_NAME", "127.0.0.1")
    for name in ("FRONTLINE_DASHBOARD_SHARED", "FRONTLINE_CLASSROOM"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def store(tmp_path):
    """A games database of the test's own."""
    return games.open_store(tmp_path / "games.sqlite")


@pytest.fixture
def game(store):
    """A valley game: team A commands blue, team B red; (game id, codes)."""
    setup = GameSetup(scenario=VALLEY, seed=3, turn_days=5, teams={"A": "blue", "B": "red"})
    return games.create(HERE, setup)


# --- helpers ----------------------------------------------------------------------------


def html_of(rc) -> str:
    parts = [w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets]
    templates = rc.find(v.VuetifyTemplate).widgets
    parts += [w.svg for w in templates if hasattr(w, "svg")]
    parts += [w.title + "\n" + "\n".join(w.lines) for w in templates if hasattr(w, "lines")]
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
    """Wait until `condition()` holds. What a click changes in the game is drawn a moment
    later, not at once, when the page's watcher of the game (a thread) is drawing as the
    click asks for a redraw: the watcher then draws the click's outcome when it is done."""
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
    assert all(re.fullmatch(rf"[{CODE_ALPHABET}]{{5}}-[{CODE_ALPHABET}]{{5}}", c) for c in codes)
    assert "keeps only their digests" in html_of(rc)
    assert html_of(rc).count("/wargame?code=") == 2  # a join address per team
    click(rc, "Show QR code")
    assert "<svg" in html_of(rc).split("fl-join-url")[-1] or "<path" in html_of(rc)
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


def test_saved_games_open_as_umpire_for_the_instructor(game):
    _, rc = solara.render(Wargame(ROOT), handle_error=False)
    assert "load" not in html_of(rc)
    click(rc, "Open as umpire")
    assert "<b>Umpire</b>" in html_of(rc)
    rc.close()


def test_a_shared_server_needs_the_instructor_token(game, monkeypatch):
    """Served to other machines (however started): creating and listing games is refused
    without the instructor token, and the page shows neither until it is given."""
    monkeypatch.setenv("SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("FRONTLINE_INSTRUCTOR_TOKEN", "s3cret-token")
    setup = GameSetup(scenario=VALLEY, seed=1, turn_days=7, teams={"A": "blue"})
    with pytest.raises(games.RefusedError):
        games.create(games.Instructor("guess"), setup)
    with pytest.raises(games.RefusedError):
        games.saved_games(games.Instructor())
    assert games.saved_games(games.Instructor("s3cret-token"))
    _, rc = solara.render(Wargame(ROOT), handle_error=False)
    assert not buttons(rc, "Open as umpire") and not buttons(rc, "Create the game")
    enter(rc, "Instructor token", "wrong")
    assert "not the instructor token" in html_of(rc)
    assert not buttons(rc, "Open as umpire")
    enter(rc, "Instructor token", "s3cret-token")
    assert buttons(rc, "Open as umpire")
    rc.close()


def test_codes_are_stored_as_digests_replaced_and_expire_with_the_game(game):
    _, codes = game
    store = games.store()
    with sqlite3.connect(store.path) as db:
        stored = (
            db.execute("SELECT code FROM teams").fetchall()
            + db.execute("SELECT umpire_code FROM games").fetchall()
        )
    assert {row[0] for row in stored} == {digest(c) for c in codes.values()}
    assert not any(c in str(stored) for c in codes.values())
    assert store.access(codes["A"].lower().replace("-", " ")).team == "A"  # any case
    umpire = games.join(codes["umpire"])
    new = games.reissue(umpire, "A")
    assert games.join(codes["A"]) is None and games.join(new).team == "A"
    with pytest.raises(games.RefusedError):
        games.reissue(games.join(codes["B"]), "A")  # a team cannot
    games.end_game(umpire)
    assert games.join(new) is None and games.join(codes["umpire"]) is None
    assert not store.games()[0]["open"]


def test_a_database_with_plain_codes_is_upgraded(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE games (id TEXT PRIMARY KEY, title TEXT, scenario TEXT, seed INTEGER,"
            " turn_days INTEGER, created TEXT, umpire_code TEXT UNIQUE);"
            "CREATE TABLE teams (game_id TEXT, team TEXT, faction TEXT, code TEXT UNIQUE,"
            " PRIMARY KEY (game_id, team));"
        )
        db.execute("INSERT INTO games VALUES ('g1', '', ?, 1, 7, ?, 'UMPIRECODE')",
                   (VALLEY, time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())))  # fmt: skip
        db.execute("INSERT INTO teams VALUES ('g1', 'A', 'blue', 'TEAMCODE23')")
    store = GameStore(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT code FROM teams").fetchone()[0] == digest("TEAMCODE23")
    assert store.access("teamcode23").faction == "blue"
    assert store.access("UMPIRECODE").role == "umpire"


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
    targets = rc.find(v.Select, label=OBJECTIVES).widget
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
        game_id, codes = games.create(HERE, setup)
        model = games.store().game(game_id).model
        model.morale[model.faction_number("red"), model.map.index("Rivertown")] = hidden
        rc = join(codes["A"])
        rc.find(v.Select, label=OBJECTIVES).widget.v_model = ["Rivertown"]
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
    wait_for(lambda: "received" in html_of(rc))
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
    wait_for(lambda: turn_shown(umpire) == 2 and "Turn 1 played" in html_of(umpire))
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
    wait_for(lambda: "will hold their ground" in html_of(umpire))
    assert turn_shown(umpire) == 1  # not yet: the page asks first
    click(umpire, "Yes, play the turn")
    wait_for(lambda: turn_shown(umpire) == 2)
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
    wait_for(lambda: "This turn: air_surge" in html_of(umpire))
    store = games.store()
    team_access = {"blue": store.access(codes["A"]), "red": store.access(codes["B"])}
    for turn in (1, 2):
        for access in team_access.values():
            games.submit(access, Orders())
        wait_for(lambda turn=turn: buttons(umpire, f"Advance turn {turn}"))
        click(umpire, f"Advance turn {turn}")
        wait_for(lambda turn=turn: turn_shown(umpire) == turn + 1)
    assert turn_shown(umpire) == 3
    model = store.game(game_id).model
    assert model.params.sorties[model.faction_number("blue")] == 20
    umpire.find(v.Select, label="Go back to").widget.v_model = 2
    click(umpire, "Roll back")
    assert turn_shown(umpire) == 3  # not yet: the page asks first
    click(umpire, "Cancel")
    assert turn_shown(umpire) == 3
    click(umpire, "Roll back")
    wait_for(lambda: "taken back for every team" in html_of(umpire))
    click(umpire, "Yes, roll back")
    wait_for(lambda: turn_shown(umpire) == 2)
    assert store.game(game_id).model.day == 5
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
        r"better than <b class='fl-percentile'>\d+%</b> of simulated runs|"
        r"<b class='fl-percentile'>the same as every</b> simulated run",
        html_of(umpire),
    )
    data = game_review.review_of(game_id)
    assert data.ranked is not None and len(data.ranked[0].simulated) == 6
    assert game_review.review_of(game_id) is data  # cached per game and turn
    page = game_review.debrief_html(data).decode()
    assert "Debrief" in page and ("better than" in page or "the same as every" in page)
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(game_review.data_zip(data))).namelist()
    assert {"captures.csv", "captures.parquet", "orders.csv", "timeseries.parquet"} <= set(names)
    assert not list(scratch.iterdir())  # the debrief's folder is gone
    assert "as written (no event was injected)" in html_of(umpire)
    umpire.close()


# --- channels, orders on the map, reports that explain, a game that moves --------------


def test_a_private_channel_is_read_by_its_teams_and_the_umpire_only(store):
    setup = GameSetup(scenario=VALLEY, seed=1, turn_days=7,
                      teams={"A": "blue", "B": "red", "C": "green"})  # fmt: skip
    game_id, codes = games.create(HERE, setup)
    a, b, c, umpire = (games.join(codes[k]) for k in ("A", "B", "C", "umpire"))
    with pytest.raises(games.RefusedError):
        games.open_channel(a, "talks", ["blue", "red"])  # only the umpire opens channels
    with pytest.raises(games.RefusedError, match="at least two teams"):
        games.open_channel(umpire, "alone", ["blue"])
    channel = games.open_channel(umpire, "Truce talks", ["blue", "red"])
    games.post(a, channel.number, "Cease fire at <b>Rivertown</b>?")
    games.post(b, channel.number, "Agreed.")
    with pytest.raises(games.RefusedError):
        games.post(c, channel.number, "Let me in")
    for reader in (a, b, umpire):
        assert [m.text for m in games.messages_of(reader)] == [
            "Cease fire at <b>Rivertown</b>?",
            "Agreed.",
        ]
    assert games.messages_of(c) == [] and games.channels_of(c) == []
    store.forget()  # saved with the game
    assert len(GameStore(store.path).messages(game_id, [channel.number])) == 2
    page = join(codes["C"])
    assert "Cease fire" not in html_of(page)
    page.close()
    page = join(codes["A"])
    assert "Cease fire at &lt;b&gt;Rivertown&lt;/b&gt;?" in html_of(page)  # text, not markup
    page.close()


def test_an_objective_is_ordered_by_clicking_the_map(game):
    game_id, codes = game
    rc = join(codes["A"])
    model = games.store().game(game_id).model
    target = attackable(model, "blue")[0]
    map_widget = next(w for w in rc.find(v.VuetifyTemplate).widgets if hasattr(w, "svg"))
    map_widget.vue_select(model.map.index(target))
    assert f"fl-place-name'>{target}" in html_of(rc)
    click(rc, "Make it an objective")
    assert rc.find(v.Select, label=OBJECTIVES).widget.v_model == [target]
    assert f'data-objective="{model.map.index(target)}"' in fog_map(rc)
    assert re.search(rf"⚑ {target}: ([\d.]+:1|no defenders), expected to (win|fail)", fog_map(rc))
    click(rc, "Submit orders")
    assert games.store().game(game_id).pending().orders["blue"]["objectives"] == [target]
    rc.close()


def test_a_turn_report_names_each_objectives_result_and_reason():
    game = Game(GameSetup(scenario=CROSSROADS, seed=2, turn_days=7, teams={"A": "blue"}))
    game.submit("blue", Orders(objectives=["Ford", "Mill"]))
    game.inject("air_surge")
    (report,) = game.advance().values()
    by_place = {o.place: o for o in report.objectives}
    assert set(by_place) == {"Ford", "Mill"}
    lines = report.lines()
    assert "The umpire injected an event: air_surge: Blue's air support surges" in lines[1]
    for outcome in by_place.values():
        assert outcome.result in {"taken", "repulsed", "contested", "not launched"}
        line = outcome.line()
        assert line in lines and line.startswith(f"Objective {outcome.place}: ")
        assert outcome.reasons  # a reason is always given
    taken = [o for o in by_place.values() if o.result == "taken"]
    assert taken, lines  # the unheld villages next to Blue fall in the first week
    for outcome in taken:
        assert outcome.launched and outcome.day is not None
        assert re.search(r"(force ratio [\d.]+:1|undefended) when your attackers arrived",
                         outcome.reasons[0])  # fmt: skip
        assert game.model.controller[game.model.map.index(outcome.place)] == 0


def test_the_first_teaching_game_moves_in_its_first_two_turns():
    """Crossroads, played by the model alone in two turns of seven days, has places change
    hands in every one of 20 seeds, and the factions' colours match their names."""
    for seed in range(20):
        game = Game(GameSetup(scenario=CROSSROADS, seed=seed, turn_days=7, teams={"A": "red"}))
        game.advance()
        game.advance()
        assert [c for c in game.model.captures if c.day <= 14], seed
    colours = {f.key: f.color for f in game.model.factions}
    assert colours == {"blue": "#1f77b4", "red": "#d62728", "green": "#2ca02c"}


def test_a_result_equal_to_every_model_run_is_not_called_better_than_half():
    from sim.wargame.debrief import Standing

    same = Standing("blue", 12.0, np.full(30, 12.0))
    assert same.all_same and "the same as every one of the 30 runs" in same.sentence()
    assert "better than" not in same.sentence()
    spread = Standing("blue", 12.0, np.array([10.0, 12.0, 14.0, 15.0]))
    assert not spread.all_same and "better than 38%" in spread.sentence()
