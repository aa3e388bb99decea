"""Uncertain numbers: distributions in scenario files, checked like any value, drawn once
per run from its seed, recorded, and expected values in a deterministic run."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sim.formats.problems import InputError
from sim.formats.scenario import load_scenario, scenario_from_table
from sim.formats.uncertainty import Distribution
from sim.model.model import FrontlineModel
from sim.outcomes.summary import summary
from tests.conftest import ROOT, duel_table

VALLEY = ROOT / "scenarios" / "teaching" / "valley.toml"


def problems_of(tmp_path, text: str) -> list[str]:
    path = tmp_path / "uncertain.toml"
    path.write_text(f'extends = "{VALLEY}"\n{text}\n', encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_scenario(path)
    return [str(p) for p in error.value.problems]


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ('[factions.blue]\nreserve = { dist = "uniform", low = 9000, high = 8000 }',
         "factions.blue.reserve.high", "must be above `low`"),
        ('[factions.blue]\nreserve = { dist = "gamma", shape = 2 }',
         "factions.blue.reserve.dist", "unknown distribution 'gamma'"),
        ('[factions.blue]\nlethality = { dist = "uniform", low = 0.5, high = 2 }',
         "factions.blue.lethality", "must lie between 0 and 1"),
        ('[factions.blue]\nmorale = { dist = "triangular", low = 0.2, mode = 0.9, high = 0.6 }',
         "factions.blue.morale.mode", "must lie from `low` to `high`"),
        ('[factions.blue]\nmorale = { dist = "normal", mean = 0.5 }',
         "factions.blue.morale.sd", "missing"),
        ('[factions.blue]\nmorale = { dist = "normal", mean = 0.5, sd = -1 }',
         "factions.blue.morale.sd", "must be above 0"),
        ('[factions.blue]\nmorale = { dist = "uniform", low = 0.2, high = 0.6, mode = 0.3 }',
         "factions.blue.morale.mode", "not a key of a uniform distribution"),
        ('[factions.blue.doctrine]\nmax_offensives = { dist = "choice", values = [1, 2.5] }',
         "factions.blue.doctrine.max_offensives.values", "whole numbers"),
        ('[factions.blue.doctrine]\nmax_offensives = { dist = "choice", values = [1, 2], '
         "weights = [1] }", "factions.blue.doctrine.max_offensives.weights", "a list of 2"),
        ('[run]\ndays = { dist = "uniform", low = 10, high = 20 }',
         "run.days", "cannot be given as a distribution"),
        ('[factions.blue.air]\ntargeting = { red = { dist = "uniform", low = 0, high = 1 } }',
         "factions.blue.air.targeting.red", "cannot be given as a distribution"),
        ('[events.later]\nday = 5\nfaction = "blue"\n'
         'set = { "air.sorties_per_day" = { dist = "uniform", low = -5, high = 5 } }',
         'events.later.set."air.sorties_per_day"', "must lie between 0 and 10000"),
    ],
)  # fmt: skip
def test_a_bad_distribution_is_named_by_file_and_key(tmp_path, text, key, message):
    found = problems_of(tmp_path, text)
    assert any("uncertain.toml" in p and key in p and message in p for p in found), found


def uncertain_duel() -> dict:
    table = duel_table(days=30)
    table["run"]["deterministic"] = False
    red = table["factions"]["red"]
    red["lethality"] = {"dist": "uniform", "low": 0.005, "high": 0.02}
    red["forces"]["Fort"] = {"dist": "triangular", "low": 800, "mode": 1000, "high": 1500}
    table["map"]["roads"][0]["km"] = {"dist": "uniform", "low": 5, "high": 50}
    table["events"] = {
        "arrival": {"day": {"dist": "choice", "values": [3, 5, 8]}, "faction": "blue",
                    "add_reserve": {"dist": "normal", "mean": 300, "sd": 100}},
    }  # fmt: skip
    return table


def test_each_run_draws_its_numbers_from_its_seed_and_records_them():
    scenario = scenario_from_table(uncertain_duel(), "<duel>")
    assert isinstance(scenario.spec.factions["red"].lethality, Distribution)
    runs = {seed: FrontlineModel(scenario, seed=seed) for seed in (1, 2, 1)}
    first, second = FrontlineModel(scenario, seed=1), FrontlineModel(scenario, seed=2)
    assert set(first.drawn) == {
        "factions.red.lethality", 'factions.red.forces.Fort', "map.roads[0].km",
        "events.arrival.day", "events.arrival.add_reserve",
    }  # fmt: skip
    assert first.drawn == runs[1].drawn and first.drawn != second.drawn
    assert first.params.lethality[0] == first.drawn["factions.red.lethality"]
    assert first.forces[0, 0] == first.drawn["factions.red.forces.Fort"]
    assert first.drawn["events.arrival.day"] in (3, 5, 8)
    assert first.map.road_km[0] == first.drawn["map.roads[0].km"]
    first.run_model()
    assert summary(first)["parameters"] == first.drawn
    assert (first.drawn["events.arrival.day"], "arrival") in first.event_log


def test_pinning_the_drawn_values_repeats_the_run_exactly():
    table = uncertain_duel()
    model = FrontlineModel(scenario_from_table(table, "<duel>"), seed=7)
    model.run_model()
    pinned = copy.deepcopy(table)
    pinned["factions"]["red"]["lethality"] = model.drawn["factions.red.lethality"]
    pinned["factions"]["red"]["forces"]["Fort"] = model.drawn["factions.red.forces.Fort"]
    pinned["map"]["roads"][0]["km"] = model.drawn["map.roads[0].km"]
    pinned["events"]["arrival"]["day"] = model.drawn["events.arrival.day"]
    pinned["events"]["arrival"]["add_reserve"] = model.drawn["events.arrival.add_reserve"]
    again = FrontlineModel(scenario_from_table(pinned, "<duel>"), seed=7)
    again.run_model()
    assert again.drawn == {}
    np.testing.assert_array_equal(model.faction_series(), again.faction_series())


def test_a_deterministic_run_takes_expected_values():
    model = FrontlineModel(scenario_from_table(uncertain_duel(), "<duel>"), deterministic=True)
    assert model.drawn["factions.red.lethality"] == pytest.approx(0.0125)
    assert model.drawn["factions.red.forces.Fort"] == pytest.approx(3300 / 3)
    assert model.drawn["events.arrival.day"] == round(16 / 3)
    assert model.drawn["events.arrival.add_reserve"] == pytest.approx(300, abs=1e-6)


def test_draws_follow_their_distribution_over_seeds():
    """Mean of 400 uniform(0.005, 0.02) draws within 4 standard errors of 0.0125; a
    truncated normal stays in the key's range."""
    table = uncertain_duel()
    table["factions"]["red"]["morale"] = {"dist": "normal", "mean": 0.95, "sd": 0.2}
    scenario = scenario_from_table(table, "<duel>")
    draws = [FrontlineModel(scenario, seed=s, days=1).drawn for s in range(400)]
    lethality = np.array([d["factions.red.lethality"] for d in draws])
    standard_error = (0.015 / np.sqrt(12)) / np.sqrt(len(lethality))
    assert abs(lethality.mean() - 0.0125) < 4 * standard_error
    morale = np.array([d["factions.red.morale"] for d in draws])
    assert morale.min() >= 0 and morale.max() <= 1
    assert morale.mean() < 0.95  # truncated at 1: the mean moves down


def test_a_distribution_in_an_extending_file_replaces_the_parents(tmp_path):
    """Not merged key by key like a table: a `choice` over a parent's `uniform` is a choice."""
    parent = tmp_path / "parent.toml"
    parent.write_text(
        f'extends = "{VALLEY}"\n[factions.blue]\n'
        'reserve = { dist = "uniform", low = 5000, high = 7000 }\n',
        encoding="utf-8",
    )
    child = tmp_path / "child.toml"
    child.write_text(
        'extends = "parent.toml"\n[factions.blue]\n'
        'reserve = { dist = "choice", values = [5000, 6000] }\n',
        encoding="utf-8",
    )
    reserve = load_scenario(child).spec.factions["blue"].reserve
    assert reserve.kind == "choice" and reserve.values == (5000, 6000)


@pytest.mark.parametrize("deterministic", [False, True])
def test_realising_copies_only_what_it_draws_and_leaves_the_scenario_intact(deterministic):
    """`realise` gives the values a deep copy with each distribution drawn in turn gives
    (from the seed's parameter stream), changes nothing of the scenario's spec, and shares
    the tables that hold no distribution."""
    from sim.formats.uncertainty import PARAMETER_STREAM, distributions_by_path, realise

    spec = load_scenario(ROOT / "scenarios" / "syria" / "base_2015.toml").spec
    before = copy.deepcopy(spec)
    realised, drawn = realise(spec, 11, deterministic)
    rng = np.random.default_rng(np.random.SeedSequence(11, spawn_key=(PARAMETER_STREAM,)))
    paths = distributions_by_path(spec)
    assert len(paths) >= 2 and len(drawn) == len(paths)
    for path, dist in paths.items():
        expected = dist.expected() if deterministic else dist.draw(rng)
        value = realised
        for key in path:
            value = value[key] if isinstance(value, dict | list) else getattr(value, key)
        assert value == expected
    assert spec == before and distributions_by_path(realised) == {}
    assert realised.map is spec.map  # no distribution there: shared, not copied


def test_where_the_distributions_are_is_remembered_per_spec_and_forgotten_with_it():
    """`realise` works out once per spec object where its distributions are (a sweep
    realises one scenario thousands of times): a second spec gets its own, and a spec
    that is freed takes its entry with it."""
    import gc
    import weakref

    from sim.formats import uncertainty

    uncertain = load_scenario(ROOT / "scenarios" / "syria" / "base_2015.toml").spec
    certain = load_scenario(VALLEY).spec
    assert uncertainty.realise(certain, 1, False) == (certain, {})
    first = uncertainty.realise(uncertain, 3, False)
    assert uncertainty.realise(uncertain, 3, False) == first  # remembered: the same draws
    assert uncertainty.realise(certain, 1, False) == (certain, {})
    key, alive = id(uncertain), weakref.ref(uncertain)
    assert key in uncertainty._SKELETONS
    del uncertain, first
    gc.collect()
    assert alive() is None and key not in uncertainty._SKELETONS
