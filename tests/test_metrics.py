"""Outcome metrics read the right thing off a run."""

from __future__ import annotations

import pytest

from sim.formats.schema import MetricSpec
from sim.outcomes.metrics import RunRecord, evaluate, measure
from tests.conftest import build, duel_table
from tests.test_model import isolated_table


@pytest.fixture(scope="module")
def duel():
    """Blue (1000) takes red's Fort (800) on a day found from the capture log."""
    model = build(duel_table(defenders=800, attackers=1000, days=200))
    model.run_model()
    return model


def value(model, **spec) -> float | None:
    return measure(RunRecord(model), MetricSpec(**spec))


def test_capture_day_is_the_day_the_place_fell(duel):
    (capture,) = duel.captures
    assert value(duel, kind="capture_day", place="Fort") == capture.day
    assert value(duel, kind="capture_day", place="Fort", faction="red") is None
    assert value(duel, kind="capture_day", place="Fort", by_day=capture.day - 1) is None


def test_holding_and_taking_before_and_after_the_capture(duel):
    day = duel.captures[0].day
    assert value(duel, kind="holds", place="Fort", faction="red", by_day=day - 1) == 1.0
    assert value(duel, kind="holds", place="Fort", faction="red", by_day=day) == 0.0
    assert value(duel, kind="holds", place="Fort", faction="blue") == 1.0
    assert value(duel, kind="places_taken", faction="blue", target="red") == 1.0
    assert value(duel, kind="places_taken", faction="blue", by_day=day - 1) == 0.0
    assert value(duel, kind="places_taken", faction="red") == 0.0


def test_front_length_counts_roads_between_enemies(duel):
    assert value(duel, kind="front_length", by_day=0) == 10.0
    assert value(duel, kind="front_length") == 0.0


def test_territory_and_peak(duel):
    assert value(duel, kind="territory", faction="red", by_day=0) == 1.0
    assert value(duel, kind="territory", faction="red") == 0.0
    assert value(duel, kind="peak_territory", faction="red") == 1.0
    assert value(duel, kind="territory", faction="blue") == 2.0


def test_a_route_through_enemy_ground_is_cut():
    model = build(isolated_table(), days=1)
    model.run_model()
    assert value(model, kind="route_cut", place="West", to_place="Middle", faction="red") == 0.0
    assert value(model, kind="route_cut", place="West", to_place="East", faction="red") == 1.0


def test_strike_shares_follow_the_targeting(valley_path):
    from sim.formats.scenario import load_scenario
    from sim.model.model import FrontlineModel

    model = FrontlineModel(load_scenario(valley_path), seed=1, days=30)
    model.run_model()
    values = evaluate(model)
    assert values["strike_share.blue.red"] == pytest.approx(0.7, abs=0.03)
    assert values["strike_share.blue.red"] + values["strike_share.blue.green"] == pytest.approx(1)
    assert values["places.blue"] + values["places.red"] + values["places.green"] == 48


def test_a_metric_not_reached_by_a_short_run_is_none(duel):
    assert value(duel, kind="territory", faction="red", by_day=500) is None


def test_scenario_metrics_reach_the_summary():
    from sim.outcomes.summary import summary

    table = duel_table(defenders=800, attackers=1000, days=200)
    table["metrics"] = {"fort_falls": {"kind": "capture_day", "place": "Fort", "faction": "blue"}}
    model = build(table)
    model.run_model()
    assert summary(model)["metrics"]["fort_falls"] == model.captures[0].day


def test_metrics_are_validated():
    from sim.formats.problems import InputError
    from sim.formats.scenario import scenario_from_table

    table = duel_table()
    table["metrics"] = {
        "a": {"kind": "route_cut", "place": "Fort", "faction": "red"},
        "b": {"kind": "holds", "place": "Fortt", "faction": "red"},
        "c": {"kind": "territory", "faction": "green"},
        "d": {"kind": "velocity"},
    }
    with pytest.raises(InputError) as error:
        scenario_from_table(table, "metrics.toml")
    text = str(error.value)
    assert "metrics.toml: metrics.a.to_place: missing: a `route_cut` metric needs it" in text
    assert "metrics.b.place: unknown place 'Fortt' (did you mean 'Fort'?)" in text
    assert "metrics.c.faction: unknown faction 'green'" in text
    assert "metrics.d.kind: must be one of" in text


@pytest.fixture(scope="module")
def two_fronts():
    """Blue takes red's undefended Post (region South, 500 people) on day 1 and, later,
    red's Fort (region North, 1,000 people); green, blue's ally, holds Hill throughout."""
    table = duel_table(defenders=800, attackers=1000, days=200)
    places = table["map"]["places"]
    places["Fort"] |= {"region": "North", "population": 1000}
    places["Camp"] |= {"region": "North", "population": 10}
    places["Post"] = {
        "x": 20.0,
        "y": 0.0,
        "region": "South",
        "population": 500,
        "controller": "red",
    }
    places["Hill"] = {
        "x": 20.0,
        "y": 5.0,
        "region": "South",
        "population": 7,
        "controller": "green",
    }
    table["map"]["roads"] += [
        {"from": "Camp", "to": "Post", "km": 10.0},
        {"from": "Post", "to": "Hill", "km": 5.0},
    ]
    factions = table["factions"]
    factions["blue"]["forces"]["Post"] = 50.0
    factions["blue"]["relations"]["green"] = "allied"
    factions["red"]["relations"]["green"] = "enemy"
    factions["green"] = {
        "morale": 0.5,
        "forces": {"Hill": 10.0},
        "relations": {"blue": "allied", "red": "enemy"},
    }
    model = build(table)
    model.run_model()
    return model


def test_places_and_population_taken_count_only_the_region_asked(two_fronts):
    taken = {c.place: c.day for c in two_fronts.captures}
    assert taken["Post"] == 1 and taken["Fort"] > 1
    south = {"faction": "blue", "target": "red", "region": "South"}
    assert value(two_fronts, kind="places_taken", **south) == 1.0
    assert value(two_fronts, kind="population_taken", **south) == 500.0
    assert value(two_fronts, kind="population_taken", faction="blue") == 1500.0
    assert value(two_fronts, kind="population_taken", faction="blue", region="North") == 1000.0
    assert value(two_fronts, kind="places_taken", faction="green") == 0.0


def test_side_counts_the_allies_with_the_faction(two_fronts):
    assert value(two_fronts, kind="territory", faction="blue") == 3.0  # Camp, Fort, Post
    assert value(two_fronts, kind="territory", faction="blue", side=True) == 4.0  # and Hill
    assert value(two_fronts, kind="holds", place="Hill", faction="blue") == 0.0
    assert value(two_fronts, kind="holds", place="Hill", faction="blue", side=True) == 1.0
    people = {"kind": "territory", "faction": "green", "measure": "population"}
    assert value(two_fronts, **people) == 7.0
    assert value(two_fronts, **people, side=True) == 1517.0


@pytest.mark.parametrize("name", ["captures", "front_length_km", "places.red"])
def test_a_scenario_metric_cannot_take_a_standard_metric_name(name):
    from sim.formats.problems import InputError
    from sim.formats.scenario import scenario_from_table

    table = duel_table()
    table["metrics"] = {name: {"kind": "holds", "place": "Fort", "faction": "red"}}
    with pytest.raises(InputError) as error:
        scenario_from_table(table, "metrics.toml")
    assert "standard metrics every run reports" in str(error.value)
    assert f"metrics.toml: metrics.{name}" in str(error.value).replace('"', "")
