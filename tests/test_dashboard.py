"""The dashboard without a browser: its pure parts, and its pages rendered with
`solara.render` and driven by setting widget values and clicking buttons.

Browser tests of the same pages (a real Chromium) are in tests/browser/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import ipyvuetify as v
import numpy as np
import pytest
import solara

from dashboards import catalogue, controls, map_view
from dashboards.compare import Compare
from dashboards.explore import Explore
from sim.experiments.experiment import load_experiment
from sim.experiments.sweep import sweep
from sim.formats.problems import InputError
from sim.formats.scenario import load_scenario, parse_overrides
from sim.model.model import FrontlineModel
from sim.outcomes.summary import strike_table

ROOT = Path(__file__).resolve().parents[1]

VALLEY = ROOT / "scenarios" / "teaching" / "valley.toml"
H3 = ROOT / "scenarios" / "syria" / "h3_baseline.toml"


# --- helpers ----------------------------------------------------------------------------


def html_of(rc) -> str:
    """All raw HTML and SVG the page shows, and its problem boxes' text, joined."""
    parts = [w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets]
    templates = rc.find(v.VuetifyTemplate).widgets
    parts += [w.svg for w in templates if hasattr(w, "svg")]
    parts += [w.title + "\n" + "\n".join(w.lines) for w in templates if hasattr(w, "lines")]
    return "\n".join(parts)


@pytest.fixture(autouse=True)
def served_here(monkeypatch):
    """The dashboard as `solara run` on this machine's loopback address serves it (a
    dashboard served otherwise is shared, see dashboards.serving)."""
    monkeypatch.setenv("SERVER_NAME", "127.0.0.1")
    monkeypatch.delenv("FRONTLINE_DASHBOARD_SHARED", raising=False)
    monkeypatch.delenv("FRONTLINE_CLASSROOM", raising=False)


def map_widget(rc):
    (found,) = [w for w in rc.find(v.VuetifyTemplate).widgets if hasattr(w, "svg")]
    return found


def map_day(rc) -> int:
    return int(re.search(r'class="fl-map" data-day="(\d+)"', map_widget(rc).svg).group(1))


def click(rc, label: str, index: int = 0) -> None:
    """Click the `index`-th button that says `label` (beside an icon or not)."""
    buttons = [b for b in rc.find(v.Btn).widgets if label in b.children]
    buttons[index].click()


def choose(rc, label: str, value) -> None:
    rc.find(v.Select, label=label).widget.v_model = value


def type_in(rc, label: str, text: str) -> None:
    field = rc.find(v.TextField, label=label).widget
    field.v_model = text
    field.fire_event("keyup.enter")


def write(rc, text: str) -> None:
    """Type into the page's text area (the `--set` lines) and leave it."""
    area = rc.find(v.Textarea).widget
    area.v_model = text
    area.fire_event("focusout")


def wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def settled(read, quiet: float, seconds: float = 20.0):
    """`read()` once it has not changed for `quiet` seconds (a busy machine may still be
    drawing the frame that was under way when the page was paused)."""
    deadline = time.monotonic() + seconds
    value, since = read(), time.monotonic()
    while time.monotonic() - since < quiet:
        if time.monotonic() > deadline:
            raise AssertionError("still changing")
        time.sleep(0.05)
        now = read()
        if now != value:
            value, since = now, time.monotonic()
    return value


# --- pure parts -------------------------------------------------------------------------


def test_catalogue_lists_scenarios_by_hypothesis_family():
    entries = catalogue.find_scenarios(ROOT)
    groups = {e.label: e.group for e in entries}
    assert groups["scenarios/teaching/valley.toml"] == "Teaching"
    assert groups["scenarios/syria/h1_baseline.toml"] == "H1"
    assert groups["scenarios/syria/h3_no_militias.toml"] == "H3"
    order = [e.group for e in entries]
    assert order.index("Teaching") < order.index("H1") < order.index("H3")
    h1 = next(e for e in entries if e.label.endswith("h1_baseline.toml"))
    assert h1.description and h1.hypothesis


def test_catalogue_lists_a_broken_file_with_its_problems(tmp_path):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "valley.toml").write_text(VALLEY.read_text())
    (tmp_path / "scenarios" / "broken.toml").write_text("[factions.red]\nreserve = -5\n")
    entries = {e.label: e for e in catalogue.find_scenarios(tmp_path)}
    assert entries["scenarios/valley.toml"].group == "Scenarios"
    broken = entries["scenarios/broken.toml"]
    assert broken.group == catalogue.PROBLEM_GROUP
    assert any("factions.red.reserve" in p for p in broken.problems)


def test_controls_come_from_the_scenario_factions():
    valley = {c.key: c for c in controls.derive_controls(load_scenario(VALLEY))}
    assert valley["sorties:blue"].default == 8
    assert valley["targeting:blue"].target == "red"
    assert valley["targeting:blue"].default == 0.7
    assert {"reserve:blue", "reserve:red", "reserve:green", "morale:green"} <= set(valley)
    assert "militias" not in valley
    syria = {c.key: c for c in controls.derive_controls(load_scenario(H3))}
    assert syria["sorties:russia"].default == 55  # set by the campaign's day-0 event
    assert syria["targeting:russia"].target == "rebels"
    assert "militias" in syria and "reserve:coastal_shield" not in syria


def test_overrides_set_the_day0_values_the_controls_show():
    scenario = load_scenario(H3)
    found = controls.derive_controls(scenario)
    values = {
        "sorties:russia": 110,
        "targeting:russia": 0.3,
        "reserve:regime": 10_000,
        "morale:isis": 0.5,
        "militias": False,
    }
    table = controls.overrides_for(scenario, found, values)
    model = FrontlineModel(load_scenario(H3, table))
    index = {f.key: f for f in model.factions}
    russia = index["russia"].spec.air
    assert russia.sorties_per_day == 110
    assert russia.targeting == pytest.approx({"rebels": 0.3, "isis": 0.7})
    assert model.reserve[index["regime"].index] == 10_000
    assert model.base_morale[index["isis"].index] == 0.5
    militias = [f.index for f in model.factions if f.is_militia]
    assert model.manpower()[militias].sum() == 0
    # the same overrides as --set lines load to the same scenario
    from sim.formats.scenario import parse_overrides

    again = load_scenario(H3, parse_overrides(controls.set_lines(table)))
    assert again.spec == load_scenario(H3, table).spec
    # untouched controls change nothing
    assert controls.overrides_for(scenario, found, {}) == {}


def test_strikes_today_are_the_strike_log_of_the_day():
    model = FrontlineModel(load_scenario(VALLEY), seed=2)
    for _ in range(5):
        model.step()
    table = strike_table(model)
    today = table[table["day"] == model.day]
    found = map_view.strikes_today(model)
    names = model.map.names
    assert {names[p] for p in found} == set(today.loc[today["sorties"] > 0, "place"])
    total = sum(s for rows in found.values() for _, _, s in rows)
    assert total == pytest.approx(today["sorties"].sum())


def test_map_escapes_names_and_marks_the_front():
    model = FrontlineModel(load_scenario(H3))
    model.map.names[0] = "<script>alert(1)</script>"
    svg = map_view.MapPainter(model).svg(model)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'class="fl-front"' in svg
    assert svg.count('class="fl-place"') == model.map.size


# --- Explore ----------------------------------------------------------------------------


def test_explore_pick_a_scenario_and_step():
    _, rc = solara.render(Explore(ROOT), handle_error=False)
    choose(rc, "Scenario", str(VALLEY))
    assert map_day(rc) == 0
    first, charts = map_widget(rc).svg, html_of(rc)
    assert "fl-chart" in charts
    assert "About valley" in str(rc.find(v.ExpansionPanelHeader).widget.children)
    click(rc, "Step 1 day")
    assert map_day(rc) == 1
    click(rc, "Step a week")
    assert map_day(rc) == 8
    assert map_widget(rc).svg != first
    assert html_of(rc) != charts
    map_widget(rc).vue_select(place_number(rc, "Rivertown"))  # a click on the map
    assert "<h4>Rivertown</h4>" in html_of(rc)
    click(rc, "Reset")
    assert map_day(rc) == 0
    rc.close()


def place_number(rc, name: str) -> int:
    svg = map_widget(rc).svg
    for number, title in re.findall(r'data-place="(\d+)"><title>([^\n<]*)', svg):
        if title == name:
            return int(number)
    raise AssertionError(name)


def test_explore_play_and_pause():
    _, rc = solara.render(Explore(ROOT), handle_error=False)
    choose(rc, "Scenario", str(VALLEY))
    click(rc, "Play")
    wait_for(lambda: map_day(rc) >= 3)
    click(rc, "Pause")
    stopped = settled(lambda: map_day(rc), quiet=0.5)  # the frame under way is drawn
    assert stopped < load_scenario(VALLEY).spec.run.days  # it did not play on to the end
    time.sleep(0.5)
    assert map_day(rc) == stopped
    rc.close()


def test_explore_parameters_apply_at_reset():
    _, rc = solara.render(Explore(ROOT), handle_error=False)
    choose(rc, "Scenario", str(VALLEY))
    rc.find(v.Slider).widgets[0].v_model = 0  # Blue's sorties per day
    assert "press Reset" in html_of(rc)
    click(rc, "Reset")
    assert "factions.blue.air.sorties_per_day = 0" in html_of(rc)
    for _ in range(3):
        click(rc, "Step a week")
    assert "fl-strike" not in map_widget(rc).svg  # no air strikes without sorties
    rc.close()


def test_explore_bad_file_shows_its_problems(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "nowhere.toml"\n')
    _, rc = solara.render(Explore(ROOT), handle_error=False)
    choose(rc, "Scenario", str(VALLEY))
    type_in(rc, "or open a scenario file", str(bad))
    shown = html_of(rc)
    assert "This file cannot be run" in shown
    assert "bad.toml: extends: no such file" in shown
    choose(rc, "Scenario", str(VALLEY))  # the app still works
    click(rc, "Step 1 day")
    assert map_day(rc) == 1
    rc.close()


def test_a_shared_dashboard_opens_only_files_inside_the_project(tmp_path, monkeypatch):
    from sim.cli import DASHBOARD_SHARED

    monkeypatch.setenv(DASHBOARD_SHARED, "1")
    outside = tmp_path / "elsewhere.toml"
    outside.write_text(VALLEY.read_text())
    _, rc = solara.render(Explore(ROOT), handle_error=False)
    type_in(rc, "or open a scenario file", str(outside))
    assert "only files inside the project are served" in html_of(rc)
    type_in(rc, "or open a scenario file", str(VALLEY.relative_to(ROOT)))
    assert "only files inside" not in html_of(rc)
    click(rc, "Step 1 day")
    assert map_day(rc) == 1
    rc.close()
    _, rc = solara.render(Compare(ROOT), handle_error=False)
    type_in(rc, "or open a results directory", str(tmp_path))
    assert "only files inside the project are served" in html_of(rc)
    rc.close()


def test_explore_lists_a_broken_file_and_says_why(tmp_path):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "valley.toml").write_text(VALLEY.read_text())
    broken = tmp_path / "scenarios" / "broken.toml"
    broken.write_text("[factions.red]\nmorale = 3\n")
    _, rc = solara.render(Explore(tmp_path, initial="scenarios/valley.toml"), handle_error=False)
    assert map_day(rc) == 0
    items = rc.find(v.Select, label="Scenario").widget.items
    assert {"header": catalogue.PROBLEM_GROUP} in items
    assert {"text": "⚠ broken", "value": str(broken)} in items
    choose(rc, "Scenario", str(broken))
    assert "factions.red.morale" in html_of(rc)
    rc.close()


def test_explore_switching_maps_keeps_working():
    _, rc = solara.render(Explore(ROOT), handle_error=False)
    choose(rc, "Scenario", str(H3))
    map_widget(rc).vue_select(59)  # beyond the 48 places of the valley
    assert "fl-details" in html_of(rc)
    choose(rc, "Scenario", str(VALLEY))
    click(rc, "Step 1 day")
    assert map_day(rc) == 1 and "fl-details" not in html_of(rc)
    rc.close()


def test_explore_out_of_range_values_keep_the_run(tmp_path):
    _, rc = solara.render(Explore(ROOT), handle_error=False)
    choose(rc, "Scenario", str(VALLEY))
    click(rc, "Step a week")
    type_in(rc, "Seed", "-3")
    click(rc, "Reset")
    shown = html_of(rc)
    assert "Not applied" in shown and "run.seed" in shown
    assert map_day(rc) == 7  # the previous run stays
    write(rc, "factions.blue.morale = 2")
    type_in(rc, "Seed", "3")
    click(rc, "Reset")
    assert "factions.blue.morale" in html_of(rc)
    write(rc, "")
    click(rc, "Reset")
    assert "Not applied" not in html_of(rc) and map_day(rc) == 0
    rc.close()


# --- Compare ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project folder with a small sweep of the quick experiment in results/quick."""
    root = tmp_path_factory.mktemp("project")
    text = (ROOT / "experiments" / "quick.toml").read_text()
    text = text.replace("../scenarios/teaching/valley.toml", VALLEY.as_posix())
    text = re.sub(r"(?m)^replicates = \d+", "replicates = 2", text)
    text = re.sub(r"(?m)^days = \d+", "days = 20", text)
    (root / "experiments").mkdir()
    (root / "experiments" / "quick.toml").write_text(text)
    sweep(load_experiment(root / "experiments" / "quick.toml"), root / "results" / "quick",
          workers=1, progress=False)  # fmt: skip
    return root


def test_compare_shows_the_sweep_and_replays_a_run(project):
    _, rc = solara.render(Compare(project), handle_error=False)
    choose(rc, "Results directory", "results/quick")
    shown = html_of(rc)
    for piece in ("fl-verdicts", "red_holds_more_without_air", "fl-strip", "fl-fan",
                  "fl-capture-map", "double_air/0/1", "fl-claims", "fl-rule",
                  "fl-colour-scale", "verdicts use the adjusted values"):  # fmt: skip
        assert piece in shown, piece
    assert re.search(r"(supported|contradicted|inconclusive|equivalent|no response)", shown)
    # the capture map opens on the first variant minus the baseline, with its scale
    assert "no_air minus historical" in shown and "+100" in shown
    click(rc, "Replay", 3)  # no_air/0/1
    shown = html_of(rc)
    assert "Replay of no_air/0/1" in shown
    assert "Reproduces the stored run exactly" in shown
    assert "frontline run" in shown and map_day(rc) == 0
    click(rc, "Step a week")
    assert map_day(rc) == 7
    choose(rc, "Capture map of", "historical")
    assert "share of historical runs" in html_of(rc)
    rc.close()


def test_compare_empty_and_corrupt_directories(project, tmp_path):
    (project / "results" / "empty").mkdir(exist_ok=True)
    corrupt = project / "results" / "corrupt"
    if not corrupt.exists():
        import shutil

        shutil.copytree(project / "results" / "quick", corrupt)
        for part in (corrupt / "runs").glob("*.parquet"):
            part.write_bytes(b"not parquet at all")
    _, rc = solara.render(Compare(project), handle_error=False)
    type_in(rc, "or open a results directory", "results/empty")
    shown = html_of(rc)
    assert "Cannot open results/empty" in shown and "not a sweep results directory" in shown
    choose(rc, "Results directory", "results/corrupt")
    assert "Cannot open results/corrupt" in html_of(rc)
    type_in(rc, "or open a results directory", str(tmp_path / "missing"))
    assert "no such directory" in html_of(rc)
    choose(rc, "Results directory", "results/quick")  # the page still works
    assert "fl-verdicts" in html_of(rc)
    rc.close()


def test_app_page_has_the_three_tabs():
    from dashboards import app

    _, rc = solara.render(app.Page(), handle_error=False)
    tabs = [w.children[0] for w in rc.find(v.Tab).widgets]
    assert tabs == ["Explore", "Compare", "Wargame"]
    assert map_day(rc) == 0  # the teaching scenario is open
    rc.close()


def test_play_speed_is_days_per_second():
    from dashboards.player import FRAMES_PER_SECOND, SPEEDS

    assert max(SPEEDS) >= 20 and FRAMES_PER_SECOND <= 30
    assert np.all(np.diff(SPEEDS) > 0)


# --- a shared dashboard holds (issue 12) ------------------------------------------------


@pytest.mark.parametrize(
    ("bind", "shared"),
    [("127.0.0.1", False), ("localhost", False), ("::1", False), ("127.0.0.5", False),
     ("0.0.0.0", True), ("192.168.1.20", True), ("::", True), ("myhost.example", True),
     (None, True)],
)  # fmt: skip
def test_shared_mode_is_decided_by_the_bind_address(monkeypatch, bind, shared):
    from dashboards import serving

    if bind is None:  # served some other way: nothing says it is local, so it is shared
        monkeypatch.delenv("SERVER_NAME")
    else:
        monkeypatch.setenv("SERVER_NAME", bind)
    assert serving.shared() is shared
    assert (serving.roots(ROOT) is not None) is shared


def test_the_confinement_check_follows_symlinks_and_says_nothing_of_what_exists(tmp_path):
    from dashboards.confine import REFUSED, confined

    project = tmp_path / "project"
    (project / "scenarios").mkdir(parents=True)
    inside = project / "scenarios" / "a.toml"
    inside.write_text("")
    secret = tmp_path / "secret.toml"
    secret.write_text("")
    (project / "scenarios" / "link.toml").symlink_to(secret)  # points outside
    assert confined("scenarios/a.toml", [project], project) == inside.resolve()
    messages = set()
    for text in ("scenarios/link.toml", str(secret), "../secret.toml", "/nonexistent/x.toml",
                 "/etc", "scenarios/../../secret.toml"):  # fmt: skip
        with pytest.raises(InputError) as refused:
            confined(text, [project], project)
        (problem,) = refused.value.problems
        assert problem.message == REFUSED
        messages.add(str(problem).replace(text, "X"))
    assert len(messages) == 1
    assert confined(str(secret), None, project) == secret.resolve()  # local: anywhere


def test_a_forged_picker_value_is_refused(monkeypatch):
    monkeypatch.setenv("SERVER_NAME", "0.0.0.0")
    _, rc = solara.render(Explore(ROOT, initial="scenarios/teaching/valley.toml"))
    for forged in ("/etc/passwd", "/nonexistent.toml", str(VALLEY.parent)):
        choose(rc, "Scenario", forged)
        assert f"{forged}: path: not a scenario this page lists" in html_of(rc)
    assert map_day(rc) == 0 and "About valley" in str(rc.find(v.ExpansionPanelHeader).widgets)
    rc.close()


def test_a_description_is_shown_as_text(tmp_path):
    marked = tmp_path / "marked.toml"
    text = VALLEY.read_text().replace(
        '"""\nA fictional valley.', '"""\n<img src=x onerror="alert(1)"> A fictional valley.', 1
    )
    marked.write_text(text)
    _, rc = solara.render(Explore(ROOT), handle_error=False)
    type_in(rc, "or open a scenario file", str(marked))
    shown = html_of(rc)
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; A fictional valley." in shown
    assert "<img" not in shown
    rc.close()


def test_page_overrides_are_limited_to_the_teaching_parameters():
    scenario = load_scenario(VALLEY)
    table = parse_overrides([
        "map.grid.width = 1000", "run.days = 100000", "factions.blue.reserve = 1e308",
        "factions.purple.reserve = 3", "factions.blue.forces.Nowhere = 3", 'extends = "/x"',
        "factions.red.morale = 0.5", "events.air_surge.day = 3", "run.days = 90",
    ])  # fmt: skip
    refused = "\n".join(controls.page_override_problems(table, scenario))
    for key in ("map.grid.width", "run.days", "factions.blue.reserve", "factions.purple",
                "factions.blue.forces.Nowhere", "extends"):  # fmt: skip
        assert f"{key}" in refused
    fine = parse_overrides(["factions.red.morale = 0.5", "events.air_surge.day = 3",
                            "run.days = 90", "combat.morale_weight = 1"])  # fmt: skip
    assert controls.page_override_problems(fine, scenario) == []


def test_fragments_are_not_offered():
    labels = [e.label for e in catalogue.find_scenarios(ROOT)]
    assert "scenarios/syria/map.toml" not in labels
    assert "scenarios/syria/factions.toml" not in labels
    assert "scenarios/syria/base_2015.toml" in labels
    assert "scenarios/syria/h3_baseline.toml" in labels  # extended, but runs (its base's run)


def test_no_two_labels_overlap_in_the_layout():
    """The labels' boxes as placed (the browser test measures them as drawn)."""
    from dashboards.labels import CHAR_WIDTH, FONT, LINE

    model = FrontlineModel(load_scenario(H3))
    painter = map_view.MapPainter(model)
    for zoom in (1, 2, 4, 8):
        boxes = []
        for label in (lab for lab in painter.placed if lab.zoom <= zoom):
            w = (CHAR_WIDTH * FONT * len(model.map.names[label.place]) + 2) / zoom
            h = LINE * FONT / zoom
            left = {"start": label.x, "end": label.x - w, "middle": label.x - w / 2}[label.anchor]
            boxes.append((left, label.y - h / 2, left + w, label.y + h / 2))
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
    names = {model.map.names[lab.place] for lab in painter.placed if lab.zoom == 1}
    assert {"Damascus", "Aleppo west", "Homs", "Palmyra"} <= names
