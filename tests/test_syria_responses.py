"""How the Syria scenarios respond to their inputs: more of a good thing never hurts its owner,
Palmyra's battle is decided by the ground fighting as well as the air, and runs differ.

Every comparison uses the same seeds in both arms and a one-sided test at 0.05 over at least
30 seeds an arm (the issue's standard, stated with each test). The arms span the honest range
of each number as its file states it (`factions.toml`, `base_2015.toml`), at its ends or just
beyond, so that a response inside the range cannot hide in the runs' noise.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.formats.scenario import load_scenario, parse_overrides
from sim.model.model import FrontlineModel
from sim.outcomes.metrics import evaluate
from tests.conftest import ROOT

SYRIA = ROOT / "scenarios" / "syria"
SEEDS = range(30)
PALMYRA_SEEDS = range(40)


def finished(path, overrides: list[str], seeds: range) -> list[FrontlineModel]:
    scenario = load_scenario(path, parse_overrides(overrides) if overrides else None)
    models = []
    for seed in seeds:
        model = FrontlineModel(scenario, seed=seed)
        model.run_model()
        models.append(model)
    return models


def places_held(model: FrontlineModel, faction: str, *, with_allies: bool) -> int:
    """Places the faction (or, `with_allies`, its side: itself and its friends) holds."""
    number = model.faction_number(faction)
    holders = model.controller[model.controller >= 0]
    if with_allies:
        return int(model.friendly[number, holders].sum())
    return int((holders == number).sum())


def russian_sorties_scaled(factor: float) -> list[str]:
    """Overrides that scale every sortie rate Russia's events set in base_2015."""
    scenario = load_scenario(SYRIA / "base_2015.toml")
    rates = {
        name: event.set["air.sorties_per_day"] * factor
        for name, event in scenario.spec.events.items()
        if event.faction == "russia" and "air.sorties_per_day" in event.set
    }
    return [
        f'events.{name}.set = {{ "air.sorties_per_day" = {rate} }}' for name, rate in rates.items()
    ]


# owner, whether its side counts (Russia holds no ground: its allies' places are its gain),
# the lower and the higher arm as overrides. Ranges: factions.toml's comments.
MONOTONE = {
    "regime reserve": ("regime", False, ["factions.regime.reserve=15000"],
                       ["factions.regime.reserve=30000"]),  # forces.md 20-25k
    "regime lethality": ("regime", False, ["factions.regime.lethality=0.003"],
                         ["factions.regime.lethality=0.008"]),  # its triangular range
    "isis reserve": ("isis", False, ["factions.isis.reserve=1000"],
                     ["factions.isis.reserve=3000"]),  # range 1-3k
    "isis lethality": ("isis", False, ["factions.isis.lethality=0.015"],
                       ["factions.isis.lethality=0.025"]),  # assumption 0.02, +-25 %
    "rebels reserve": ("rebels", False, ["factions.rebels.reserve=5000"],
                       ["factions.rebels.reserve=20000"]),  # range 5-20k
    "rebels lethality": ("rebels", False, ["factions.rebels.lethality=0.008"],
                         ["factions.rebels.lethality=0.016"]),  # assumption 0.012, +-1/3
    "russian sorties": ("russia", True, russian_sorties_scaled(0.5),
                        russian_sorties_scaled(1.5)),  # every rate halved / half again
}  # fmt: skip


@pytest.mark.parametrize("case", MONOTONE)
def test_more_never_makes_its_owner_worse_off(case):
    """More reserve, lethality or sorties never leave their owner with fewer places on day
    365 of base_2015: a one-sided Mann-Whitney test of "the higher arm holds fewer" must not
    reject at 0.05 over 30 seeds an arm. (On v0.1 a regime reserve of 30k instead of 22.5k
    cost the regime 2.65 places, p = 0.014: its whole reserve was absorbed topping up sieges.)
    Measured on the current model the higher arm holds more in every case (means 4-9 places
    higher), so the test has room; a failure means a mechanism punishes strength."""
    owner, with_allies, lower, higher = MONOTONE[case]
    path = SYRIA / "base_2015.toml"
    low = [places_held(m, owner, with_allies=with_allies) for m in finished(path, lower, SEEDS)]
    high = [places_held(m, owner, with_allies=with_allies) for m in finished(path, higher, SEEDS)]
    test = stats.mannwhitneyu(high, low, alternative="less")
    assert test.pvalue >= 0.05, (case, np.mean(low), np.mean(high), test.pvalue)


def capture_days(overrides: list[str]) -> np.ndarray:
    """The day the regime takes Palmyra in each seed of palmyra_2016, or the day after the
    horizon when it never does (a censored value: later than any capture)."""
    path = SYRIA / "palmyra_2016.toml"
    horizon = load_scenario(path).spec.run.days
    days = [
        evaluate(m)["regime_takes_palmyra_day"] for m in finished(path, overrides, PALMYRA_SEEDS)
    ]
    return np.array([horizon + 1 if day is None else day for day in days], dtype=float)


def assault(men: int) -> list[str]:
    """The army's assault force at T4 and the men its standing objective commits."""
    event = "events.palmyra_offensive"
    return [
        f'{event}.add_forces = {{ "T4 airbase" = {men} }}',
        f"{event}.objectives.palmyra.men = {men}",
    ]


@pytest.mark.parametrize(
    "weaker, stronger",
    [
        (assault(2000), assault(8000)),  # the army's share of the 6,000+ (forces.md): 3-5.5k
        (["factions.regime.lethality=0.0025"], ["factions.regime.lethality=0.01"]),
    ],
    ids=["assault size", "regime lethality"],
)
def test_palmyra_falls_sooner_to_a_stronger_ground_assault(weaker, stronger):
    """Palmyra's capture day responds to the ground battle, not only to the air: with a
    bigger assault force, or a deadlier army, the regime takes the city sooner (runs where it
    never does count as the day after the horizon). One-sided Mann-Whitney over 40 seeds an
    arm, p < 0.05. (On v0.1 the day stayed at 12-13 whatever the assault or lethality.)"""
    test = stats.mannwhitneyu(capture_days(stronger), capture_days(weaker), alternative="less")
    assert test.pvalue < 0.05, test.pvalue


def test_palmyra_capture_day_spreads_between_runs():
    """Runs differ in what matters: over 40 seeds of palmyra_2016 the day the regime takes
    Palmyra has an interquartile range of at least 3 days among the runs where it does (on
    v0.1 it was day 12 or 13 in 60 of 60 seeds, IQR 0), and it is taken in some runs and not
    in others (how often is a calibration result: scenarios/syria/README.md)."""
    days = capture_days([])
    taken = days[days <= load_scenario(SYRIA / "palmyra_2016.toml").spec.run.days]
    assert 5 <= len(taken) < len(days), days
    q1, q3 = np.percentile(taken, [25, 75])
    assert q3 - q1 >= 3, taken
