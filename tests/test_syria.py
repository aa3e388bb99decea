"""The Syria scenarios reproduce what the article states as fact, over many seeds.

Each check runs 30 seeds. Facts the article states flatly (the regime keeps its vital
cities) must hold in at least 29 of 30 runs: one failure in 30 is within what a
stochastic model of a bistable war may do, two would mean the scenario contradicts
the article. Claims about likelihood use a margin: "a clear majority" is at least 70 %
of runs, "clearly less often" at least 40 points less. Strike shares are means over
the runs, checked against the range of the sources (70-90 % non-ISIS: forces.md).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pytest

from sim.formats.scenario import load_scenario
from sim.model.model import FrontlineModel
from sim.outcomes.metrics import evaluate
from tests.conftest import ROOT

SYRIA = ROOT / "scenarios" / "syria"
SEEDS = range(30)
VITAL = ("Damascus", "Latakia", "Tartous", "Homs")


def runs(name: str, **overrides) -> list[FrontlineModel]:
    scenario = load_scenario(SYRIA / f"{name}.toml", overrides or None)
    models = []
    for seed in SEEDS:
        model = FrontlineModel(scenario, seed=seed)
        model.run_model()
        models.append(model)
    return models


@pytest.fixture(scope="module")
def base_2015():
    return runs("base_2015")


def regime_side_holds(model: FrontlineModel, place: str) -> bool:
    holder = model.controller[model.map.index(place)]
    return holder >= 0 and model.friendly[model.faction_number("regime"), holder]


@pytest.mark.parametrize("name", ["base_2015", "palmyra_2016"])
def test_the_regime_keeps_its_vital_cities(name, base_2015):
    models = base_2015 if name == "base_2015" else runs(name)
    for place in VITAL:
        kept = sum(regime_side_holds(m, place) for m in models)
        assert kept >= 29, f"{name}: the regime side keeps {place} in only {kept}/30 runs"


def test_russian_strikes_mostly_hit_non_isis_targets_until_the_shift(base_2015):
    """Until the Palmyra offensive (2016-03-09) most Russian sorties hit the rebels.

    A consistency check of the air tasking, not an emergent result: each day Russia's
    sorties are split between target factions by the scenario's targeting shares (ISIS 15 %,
    30 % from 2015-12-09, 15 % in the February 2016 surge, all of them once the cessation of
    hostilities makes the rebels neutral: base_2015.toml), renormalised over the enemies it
    finds, and both ISIS and the rebels always have forces to find. The share is thus the
    sortie-weighted mix of those inputs (0.228-0.230 over the 30 seeds) and must lie in the
    sources' range (70-90 % non-ISIS: forces.md); a run above one half would mean the tasking
    lost the rebels as a target.
    """
    shift = (dt.date(2016, 3, 9) - dt.date(2015, 10, 1)).days
    shares = []
    for model in base_2015:
        log = model.strike_log()
        russian = (log[:, 1] == model.faction_number("russia")) & (log[:, 0] < shift)
        on_isis = russian & (log[:, 2] == model.faction_number("isis"))
        shares.append(log[on_isis, 4].sum() / log[russian, 4].sum())
    assert 0.10 <= np.mean(shares) <= 0.30  # 70-90 % non-ISIS, forces.md
    assert max(shares) < 0.5


def test_russian_sorties_fall_where_the_forces_are_not_on_palmyra(base_2015):
    """Where Russian sorties land, which no input sets directly (the emergent check).

    Within a target faction the sorties go to the places where it has forces, by size and by
    whether it fought there the day before (sim/model/air.py), so where they land follows the war.
    The article: before the offensive the Palmyra front "was largely untouched", and over
    the intervention (to the announced withdrawal, 2016-03-15) "the majority of targets were
    rebel groups in areas of Latakia, Idlib, Hama and Aleppo". Palmyra has no extra place
    weight before the surge, so its share comes only from ISIS's garrison there against its
    forces elsewhere: under one Russian sortie in twenty in every run is "largely untouched"
    (the 30 seeds give 1.2-1.5 %). The four regions carry region weights (Idlib 2, Aleppo and
    Hama 1.5: factions.toml), but the share also depends on where the rebels hold and fight:
    it must be a majority of all Russian sorties, as the article says, in every run (the
    seeds give 62-63 %).
    """
    start = dt.date(2015, 10, 1)
    offensive = (dt.date(2016, 3, 9) - start).days
    withdrawal = (dt.date(2016, 3, 15) - start).days
    for model in base_2015:
        world, log = model.map, model.strike_log()
        russian = log[:, 1] == model.faction_number("russia")
        on_rebels = log[:, 2] == model.faction_number("rebels")
        regions = np.array([world.regions[world.region[int(p)]] for p in log[:, 3]], dtype=object)
        named = np.isin(regions, ["Latakia", "Idlib", "Hama", "Aleppo"])
        before = russian & (log[:, 0] < offensive)
        on_palmyra = before & (log[:, 3] == world.index("Palmyra"))
        assert log[on_palmyra, 4].sum() / log[before, 4].sum() < 0.05
        course = russian & (log[:, 0] < withdrawal)
        assert log[course & on_rebels & named, 4].sum() / log[course, 4].sum() > 0.5


def test_isis_gains_from_rebels_north_of_aleppo_stay_limited(base_2015):
    """The article: "just north of Aleppo city, the Russian bombardment meant that ISIS was
    able to seize ground from rebels", "the only clear example whereby Russian airstrikes
    facilitated an advance for ISIS"; its ability to exploit rebel losses "has been rather
    limited", and after the route to Turkey was cut "ISIS did not make any notable gains".

    Counted: places in Aleppo governorate that ISIS takes directly from the rebels over the
    365 days of base_2015, as the scenario's metric `isis_places_from_rebels_aleppo` counts
    them. On the 230-place map one advance is a handful of villages: the recorded one (2015-10-09,
    history-2015.csv) took four (Tal Qrah, Tal Susin, Kafr Qares, the Infantry School), and
    these four are all that ISIS holds of the rebels' Aleppo places on 2016-03-01 (places.csv).
    (On the first, 54-place map only Mare' stood between ISIS and the rebel north, so the test
    allowed one place on average and two at most: an artefact of that map's scale.) Over seeds
    0-29 the model takes two villages on the Azaz-Mare' road (Kaljibrin, Kafr Kalbin) in every
    run and no town (which villages it takes is for `frontline score` to judge, not this test).
    Tolerance: on average at most the recorded advance (mean <= 4), no run with more than six
    places (two more than the advance; more would be the notable gains the article denies), and
    the rebel bastions Mare' and Azaz kept in at least 29 of 30 runs.
    """
    taken, lost_towns = [], 0
    for m in base_2015:
        gains = [
            c.place
            for c in m.captures
            if c.new == "isis" and c.previous == "rebels" and _in_aleppo(m, c.place)
        ]
        assert evaluate(m)["isis_places_from_rebels_aleppo"] == len(gains)
        taken.append(len(gains))
        lost_towns += bool({"Mare'", "Azaz"} & set(gains))
    assert np.mean(taken) <= 4
    assert max(taken) <= 6
    assert lost_towns <= 1


def _in_aleppo(model: FrontlineModel, place: str) -> bool:
    world = model.map
    return world.regions[world.region[world.index(place)]] == "Aleppo"


def test_palmyra_falls_with_the_air_surge_and_rarely_without_it():
    with_surge = runs("h2_surge_900")
    without = runs("h2_no_surge")
    taken_with = np.mean([regime_side_holds(m, "Palmyra") for m in with_surge])
    taken_without = np.mean([regime_side_holds(m, "Palmyra") for m in without])
    assert taken_with >= 0.7
    assert taken_with - taken_without >= 0.4


def test_every_syria_scenario_runs_its_horizon():
    for path in sorted(SYRIA.glob("*.toml")):
        scenario = load_scenario(path)
        model = FrontlineModel(scenario, seed=1)
        model.run_model()
        assert model.day == scenario.spec.run.days, path.name
        assert all(v is None or np.isfinite(v) for v in evaluate(model).values()), path.name


def test_palmyra_run_reports_control_and_metrics():
    """`frontline run palmyra_2016.toml --seed 1 --json` gives Palmyra's holder and the
    outcomes the issue asks for (its point 5): the day Palmyra is taken, the places and
    people ISIS takes from the rebels in Aleppo governorate, whether the rebels' route from
    Aleppo to Bab al-Salama is cut, front length, strike shares, peak and final territory.

    The article: the regime retook Palmyra with the air surge; with seed 1 the regime army
    takes it on day 13 (2016-03-14; historically 2016-03-27) and holds it to the end.
    """
    path = SYRIA / "palmyra_2016.toml"
    output = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(path), "--seed", "1", "--json"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    result = json.loads(output.stdout)
    metrics = result["metrics"]
    assert all(v is None or np.isfinite(v) for v in metrics.values())

    assert result["final_control"]["Palmyra"] == "regime"
    day = metrics["regime_takes_palmyra_day"]
    assert (
        day is not None and 8 <= day <= 40
    )  # after the offensive (2016-03-09, day 8); H2's day 40
    first = next(c for c in result["captures"] if c["place"] == "Palmyra")
    assert (first["day"], first["from"], first["to"]) == (day, "isis", "regime")

    world = FrontlineModel(load_scenario(path), seed=1).map
    from_rebels = [
        c["place"]
        for c in result["captures"]
        if (c["from"], c["to"]) == ("rebels", "isis")
        and world.regions[world.region[world.index(c["place"])]] == "Aleppo"
    ]
    assert metrics["isis_places_from_rebels_aleppo"] == len(from_rebels)
    assert metrics["isis_population_from_rebels_aleppo"] == sum(
        world.population[world.index(place)] for place in from_rebels
    )
    # Cut since February 2016 (forces.md); on the map from day 0: the SDF holds Tell Rifaat
    # (places.csv controller_2016_03) and the rebels, at war with it, do not retake it.
    assert metrics["rebels_cut_from_bab_al_salama"] == 1.0

    assert metrics["front_length_km"] > 0
    # Under the cessation of hostilities the rebels are neutral to Russia: all on ISIS.
    assert metrics["strike_share.russia.isis"] == pytest.approx(1.0)
    for faction in ("regime", "isis", "rebels", "sdf"):
        assert 0 < metrics[f"places.{faction}"] <= metrics[f"peak_places.{faction}"]
    assert all(metrics[f"regime_side_holds_{place.lower()}"] == 1.0 for place in VITAL)
