"""`FrontlineModel.run_to_horizon` (the days between events in one compiled call) gives
exactly what stepping day by day gives: the same series, captures, strikes, books and
state, to the bit, random or deterministic, whatever events fall where."""

from __future__ import annotations

import numpy as np
import pytest

from sim.formats.scenario import load_scenario
from sim.model.factions import Faction
from sim.model.model import FrontlineModel
from sim.outcomes import metrics
from tests.conftest import ROOT

CASES = [
    ("scenarios/teaching/valley.toml", 1, False, None),
    ("scenarios/teaching/valley.toml", 2, True, None),
    ("scenarios/teaching/valley.toml", 3, False, 59),  # ends the day before an event
    ("scenarios/teaching/valley.toml", 4, False, 60),  # ends on an event's day
    ("scenarios/teaching/crossroads.toml", 5, False, None),
    ("scenarios/syria/palmyra_2016.toml", 6, False, None),
    ("scenarios/syria/base_2015.toml", 7, False, 120),
    ("scenarios/syria/base_2015.toml", 0, True, 90),
]


def _pair(path: str, seed: int, deterministic: bool, days: int | None, **kwargs):
    scenario = load_scenario(ROOT / path)
    stepped = FrontlineModel(scenario, seed=seed, deterministic=deterministic, days=days, **kwargs)
    stepped.run_model()
    fast = FrontlineModel(scenario, seed=seed, deterministic=deterministic, days=days, **kwargs)
    fast.run_to_horizon()
    return stepped, fast


def _assert_same(stepped: FrontlineModel, fast: FrontlineModel) -> None:
    assert fast.day == stepped.day == stepped.days
    assert not fast.running
    np.testing.assert_array_equal(fast.faction_series(), stepped.faction_series())
    assert fast.captures == stepped.captures
    np.testing.assert_array_equal(fast.strike_log(), stepped.strike_log())
    for day in range(1, stepped.days + 1, 7):
        np.testing.assert_array_equal(fast.strikes_on(day), stepped.strikes_on(day))
    for name in ("forces", "morale", "controller", "reserves", "incoming", "transit"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(stepped, name), err_msg=name)
    assert fast.event_log == stepped.event_log
    assert vars(fast.ledger).keys() == vars(stepped.ledger).keys()
    for name, value in vars(stepped.ledger).items():
        np.testing.assert_array_equal(getattr(fast.ledger, name), value, err_msg=name)
    assert metrics.evaluate(fast) == metrics.evaluate(stepped)
    captures = fast.datacollector.get_table_dataframe("captures")
    assert captures.equals(stepped.datacollector.get_table_dataframe("captures"))
    assert fast.datacollector.get_model_vars_dataframe().equals(
        stepped.datacollector.get_model_vars_dataframe()
    )


@pytest.mark.parametrize(("path", "seed", "deterministic", "days"), CASES)
def test_the_fast_run_is_the_stepped_run(path, seed, deterministic, days):
    stepped, fast = _pair(path, seed, deterministic, days)
    assert stepped.captures, "a case where nothing happens would prove little"
    _assert_same(stepped, fast)


def test_a_model_with_a_python_doctrine_is_stepped():
    decided: list[int] = []

    class Counting(Faction):
        def decide(self):
            decided.append(self.model.day)
            return None  # the compiled doctrine decides

    stepped, fast = _pair(
        "scenarios/teaching/valley.toml", 1, False, 30, faction_classes={"red": Counting}
    )
    assert decided == list(range(1, 31)) * 2  # every day, in both runs
    _assert_same(stepped, fast)


def test_stepping_on_after_a_fast_run_continues_the_same_war():
    scenario = load_scenario(ROOT / "scenarios/teaching/valley.toml")
    stepped = FrontlineModel(scenario, seed=8, days=70)
    stepped.run_model()
    fast = FrontlineModel(scenario, seed=8, days=40)
    fast.run_to_horizon()
    fast.days, fast.running = 70, True
    fast.run_model()
    np.testing.assert_array_equal(fast.faction_series(), stepped.faction_series())
    assert fast.captures == stepped.captures
    np.testing.assert_array_equal(fast.forces, stepped.forces)
