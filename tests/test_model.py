"""Properties of the model: conservation, determinism, and each mechanism doing its job."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from sim.formats.scenario import load_scenario
from sim.formats.synthetic import synthetic_scenario
from sim.model.model import FrontlineModel
from sim.outcomes.summary import summary
from tests.conftest import build, duel_table


@pytest.fixture(scope="module")
def valley(valley_path):
    return load_scenario(valley_path)


@pytest.fixture(scope="module")
def synthetic():
    return synthetic_scenario(60, n_factions=6, seed=3, days=120)


def step_checked(model: FrontlineModel) -> None:
    """Run to the end, checking the manpower books and signs every day."""
    while model.running:
        model.step()
        assert (model.forces >= 0).all()
        assert (model.reserve >= 0).all()
        assert (model.incoming >= -1e-9).all()
        assert ((model.morale >= 0) & (model.morale <= 1)).all()
        np.testing.assert_allclose(
            model.manpower(), model.ledger.expected_manpower(), rtol=1e-9, atol=1e-6
        )


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("deterministic", [False, True])
def test_manpower_is_accounted_for_every_day(valley, synthetic, seed, deterministic):
    """initial + recruits + events - combat - strikes - desertion = what remains."""
    for scenario in (valley, synthetic):
        model = FrontlineModel(scenario, seed=seed, deterministic=deterministic)
        step_checked(model)
        assert model.ledger.combat_losses.sum() > 0
    assert model.ledger.deserted.sum() > 0


def test_manpower_books_include_event_reinforcements(valley):
    scenario = copy.deepcopy(valley)
    blue = scenario.spec.events["air_surge"]
    blue.add_reserve = 500.0
    blue.add_forces = {"Capital": 750.0}
    model = FrontlineModel(scenario, seed=4)
    step_checked(model)
    assert model.ledger.added_by_events[model.faction_number("blue")] == pytest.approx(1250.0)


def test_a_withdrawal_takes_at_most_the_reserve():
    table = duel_table(days=3)
    table["factions"]["red"]["reserve"] = 300.0
    table["factions"]["red"]["doctrine"] = {"commit": 0.0}
    table["events"] = {"withdrawal": {"day": 1, "faction": "red", "add_reserve": -1000.0}}
    model = build(table)
    step_checked(model)
    red = model.faction_number("red")
    assert model.ledger.added_by_events[red] == pytest.approx(-300.0)
    assert model.reserve[red] == 0.0


def test_same_seed_same_run(valley):
    first, second = (FrontlineModel(valley, seed=7) for _ in range(2))
    first.run_model()
    second.run_model()
    assert summary(first) == summary(second)
    np.testing.assert_array_equal(first.forces, second.forces)


def test_interleaved_runs_equal_separate_runs(valley):
    """Two models stepped alternately in one process give what each gives alone."""
    alone = [FrontlineModel(valley, seed=s) for s in (1, 2)]
    for model in alone:
        model.run_model()
    together = [FrontlineModel(valley, seed=s) for s in (1, 2)]
    while any(m.running for m in together):
        for model in together:
            model.step()
    for a, b in zip(alone, together, strict=True):
        assert summary(a) == summary(b)


def test_different_seeds_give_different_wars(valley):
    """Not only different numbers: different places change hands, in another order (the
    valley ends the same way in most runs, Blue's: how it gets there differs)."""
    wars, capture_logs = set(), set()
    for seed in range(6):
        model = FrontlineModel(valley, seed=seed)
        model.run_model()
        capture_logs.add(tuple(model.captures))
        wars.add(tuple((c.place, c.new) for c in model.captures[:10]))
    assert len(capture_logs) == 6
    assert len(wars) == 6


def test_deterministic_runs_ignore_the_seed(valley):
    runs = [FrontlineModel(valley, seed=s, deterministic=True, days=60) for s in (1, 2)]
    for model in runs:
        model.run_model()
    np.testing.assert_array_equal(runs[0].forces, runs[1].forces)


def isolated_table() -> dict:
    """Red holds a chain West - Middle - East; blue holds Gap, between Middle and East."""
    table = duel_table(defenders=500, attackers=0.0)
    table["map"]["places"] = {
        "West": {"x": 0.0, "y": 0.0, "controller": "red"},
        "Middle": {"x": 10.0, "y": 0.0, "controller": "red"},
        "Gap": {"x": 20.0, "y": 0.0, "controller": "blue"},
        "East": {"x": 30.0, "y": 0.0, "controller": "red"},
    }
    table["map"]["roads"] = [
        {"from": "West", "to": "Middle", "km": 10.0},
        {"from": "Middle", "to": "Gap", "km": 10.0},
        {"from": "Gap", "to": "East", "km": 10.0},
    ]
    table["factions"]["red"].update(
        forces={"Middle": 500.0, "East": 500.0}, supply_sources=["West"]
    )
    table["factions"]["blue"].update(forces={"Gap": 100.0}, supply_sources=["Gap"])
    table["morale"]["siege_penalty"] = 0.02
    return table


def test_forces_cut_off_from_supply_lose_morale():
    model = build(isolated_table(), days=10)
    model.run_model()
    red = model.faction_number("red")
    middle, east = model.map.index("Middle"), model.map.index("East")
    assert model.supplied[red, middle] and not model.supplied[red, east]
    assert model.morale[red, middle] == pytest.approx(0.5)
    assert model.morale[red, east] == pytest.approx(0.5 - 10 * 0.02)


def test_a_broken_force_routs_and_its_place_falls():
    """Morale below the break point in combat: the defenders melt away, the place falls,
    although without the break the larger defending force would have won."""
    table = duel_table(defenders=1000, attackers=900, days=60)
    table["morale"]["loss_sensitivity"] = 5.0
    steady = build(table)
    steady.run_model()
    fort = steady.map.index("Fort")
    assert steady.controller[fort] == steady.faction_number("red")
    assert steady.routs.sum() == 0

    table["factions"]["red"]["break_point"] = 0.45
    breaking = build(table)
    breaking.run_model()
    red = breaking.faction_number("red")
    assert breaking.routs[red] >= 1
    assert breaking.ledger.deserted[red] > 0
    assert breaking.controller[fort] == breaking.faction_number("blue")
    assert breaking.captures[0].new == "blue"


def test_air_strikes_hit_their_targets_by_share(valley):
    """Blue's sorties split 70/30 between red and green while both have forces: each
    sortie's target faction is drawn, so over 10 seeds of 40 days (3,200 sorties) the red
    share is within 3 standard errors of 0.7 (sqrt(0.7 x 0.3 / 3,200) = 0.008)."""
    red = green = flown = 0.0
    for seed in range(10):
        model = FrontlineModel(valley, seed=seed, days=40)
        model.run_model()
        log = model.strike_log()
        red += log[log[:, 2] == model.faction_number("red"), 4].sum()
        green += log[log[:, 2] == model.faction_number("green"), 4].sum()
        flown += log[:, 4].sum()
    assert red / (red + green) == pytest.approx(0.7, abs=3 * math.sqrt(0.21 / flown))
    assert flown == pytest.approx(10 * 40 * 8, rel=0.03)


def test_an_event_starts_an_air_campaign_on_its_day(valley):
    scenario = copy.deepcopy(valley)
    scenario.spec.factions["blue"].air.sorties_per_day = 0.0
    model = FrontlineModel(scenario, seed=1, days=80)
    model.run_model()
    days_with_strikes = np.unique(model.strike_log()[:, 0])
    assert days_with_strikes.min() == 60
    assert (60, "air_surge") in model.event_log


def test_a_ceasefire_stops_the_fighting():
    table = duel_table(defenders=1000, attackers=800, days=30)
    table["events"] = {"ceasefire": {"day": 5, "faction": "red", "relations": {"blue": "neutral"}}}
    model = build(table)
    model.run_model()
    table = model.datacollector.get_model_vars_dataframe()
    losses = table.groupby("day")["losses"].sum().to_numpy()
    assert losses[1:5].min() > 0
    assert losses[6:].max() == 0


def test_militias_recruit_and_fight_only_at_home():
    table = isolated_table()
    table["map"]["places"]["West"]["region"] = "Home"
    table["map"]["places"]["West"]["population"] = 100_000.0
    table["map"]["places"]["Middle"]["population"] = 100_000.0
    table["factions"]["militia"] = {
        "home_region": "Home",
        "reserve": 2000.0,
        "relations": {"red": "allied", "blue": "enemy"},
        "recruitment": {"rate": 0.1},
        "doctrine": {"aggression": 1.0, "commit": 0.5},
    }
    table["factions"]["red"]["relations"]["militia"] = "allied"
    table["factions"]["blue"]["relations"]["militia"] = "enemy"
    model = build(table, days=30)
    militia = model.faction_number("militia")
    model.run_model()
    home = model.map.in_region("Home")
    assert model.forces[militia, ~home].sum() == 0
    assert model.incoming[militia, ~home].sum() == 0
    # recruits come from the 100,000 people of West only: 0.1 per 1,000 per day
    assert model.ledger.recruited[militia] == pytest.approx(30 * 10.0)


def test_day_zero_events_are_booked_once():
    """An event on day 0 (or dated before the start) is in the books once, not twice."""
    table = duel_table(days=20)
    table["factions"]["red"]["reserve"] = 300.0
    table["events"] = {
        "early": {"day": 0, "faction": "red", "add_reserve": 500.0, "add_forces": {"Fort": 50.0}}
    }
    model = build(table)
    red = model.faction_number("red")
    assert model.ledger.initial[red] == 1000.0 + 300.0
    assert model.ledger.added_by_events[red] == 550.0
    step_checked(model)


def test_an_event_cannot_set_the_reserve():
    from sim.formats.problems import InputError

    table = duel_table()
    table["events"] = {"bad": {"day": 3, "faction": "red", "set": {"reserve": 10.0}}}
    with pytest.raises(InputError, match=r"events\.bad\.set\.reserve: not a faction key"):
        build(table)


def test_front_line_places_get_their_garrison_and_others_do_not():
    table = isolated_table()
    table["factions"]["red"].update(
        forces={}, reserve=2000.0, doctrine={"garrison": 300.0, "aggression": 0.0, "commit": 0.5}
    )
    model = build(table, days=10)
    model.run_model()
    red = model.faction_number("red")
    forces = dict(zip(model.map.names, model.forces[red], strict=True))
    assert forces["Middle"] == pytest.approx(300.0)  # borders blue's Gap, supplied
    assert forces["West"] == 0.0  # not on the front line
    assert forces["East"] == 0.0  # on the front line but cut off: no reinforcements


def test_the_strikes_of_a_day_are_those_of_the_log(valley):
    model = FrontlineModel(valley, seed=2, days=30)
    model.run_model()
    log = model.strike_log()
    for day in (1, 17, 30, 31):
        np.testing.assert_array_equal(model.strikes_on(day), log[log[:, 0] == day, 1:])


def test_models_are_freed_after_their_runs(valley):
    """Nothing keeps a finished model alive (mesa 3.3 kept every model in the class-level
    `Agent._ids`): a process that runs many models, as a sweep worker does, does not grow."""
    import gc
    import weakref

    gone = []
    for seed in range(30):
        model = FrontlineModel(valley, seed=seed, days=5)
        model.run_model()
        gone.append(weakref.ref(model))
    del model
    gc.collect()
    assert [ref() for ref in gone] == [None] * len(gone)


def test_mesa_batch_run_reads_the_daily_series(valley, monkeypatch):
    """`mesa.batch_run` on the model (its DataCollector's `model_vars`, read from the
    daily series) reports each run's series on the step it names."""
    import inspect

    import tqdm
    from mesa import batch_run

    from sim.model.collector import FACTION_SERIES

    # mesa 3.5's progress bar would leave tqdm's monitor thread running in this process,
    # where later tests fork sweep workers
    monkeypatch.setattr(tqdm.tqdm, "monitor_interval", 0)

    options = {"number_processes": 1, "max_steps": 10, "display_progress": False}
    parameters: dict = {"scenario": [valley], "days": 10}
    if "rng" in inspect.signature(batch_run).parameters:  # mesa >= 3.4
        options["rng"] = [7]
    else:
        parameters["seed"] = [7]
    rows = batch_run(FrontlineModel, parameters, **options)
    model = FrontlineModel(valley, seed=7, days=10)
    model.run_model()
    for row in rows:
        expected = model.faction_series()[row["Step"]]
        for i, name in enumerate(FACTION_SERIES):
            np.testing.assert_array_equal(row[name], expected[i])
