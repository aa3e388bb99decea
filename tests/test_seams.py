"""The joints of the model that changes must not break silently: the compiled day's
records bound by name, decisions behind one interface (a Python doctrine written as a
Mesa agent subclass), and the DataCollector's named series."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from sim.formats.scenario import load_scenario
from sim.model import records
from sim.model.doctrine import Orders
from sim.model.factions import Faction
from sim.model.model import FACTION_SERIES, FrontlineModel
from tests.conftest import ROOT

BASE = ROOT / "scenarios" / "syria" / "base_2015.toml"


@pytest.fixture(scope="module")
def base():
    return load_scenario(BASE)


def expected_owners(model: FrontlineModel) -> dict[str, tuple[object, ...]]:
    """Where each record's fields must come from, stated here independently of the model."""
    return {
        "state": (model,),
        "world": (model.map, model),
        "rules": (model.params, model.spec.combat, model.spec.morale, model.switches),
        "books": (model.ledger, model.buffers, model),
    }


def read_fields(record, names: tuple[str, ...]) -> dict:
    """Every field of a compiled record, read by name in compiled code (a reader compiled
    for these names, as the kernels read them)."""
    namespace: dict = {}
    exec(f"def read(r):\n    return ({', '.join(f'r.{n}' for n in names)},)", namespace)
    return dict(zip(names, njit(namespace["read"])(record), strict=True))


def test_every_array_reaching_the_compiled_day_is_the_models_array_of_that_name(base):
    model = FrontlineModel(base, seed=3, days=20)
    model.run_model()  # events have rebound the records on the way
    for record, owners in expected_owners(model).items():
        names = records.RECORDS[record][0]
        bound = read_fields(getattr(model.records, record), names)
        for name in names:
            holders = [o for o in owners if name in vars(o) or hasattr(type(o), name)]
            assert len(holders) == 1, f"{record}.{name}: owned by {len(holders)} objects"
            expected, actual = getattr(holders[0], name), bound[name]
            if isinstance(expected, np.ndarray):
                assert actual.shape == expected.shape, f"{record}.{name}"
                assert actual.ctypes.data == expected.ctypes.data, f"{record}.{name} is a copy"
            else:
                assert actual == expected, f"{record}.{name}"


class Cautious(Faction):
    """A Python doctrine: never attack, defend as the compiled doctrine does."""

    def decide(self) -> Orders:
        return Orders()


class Default(Faction):
    """A Python doctrine that always leaves the decision to the compiled one."""

    def decide(self) -> None:
        return None


class Focused(Faction):
    """Attack only the first place it may attack, in alphabetical order."""

    def decide(self) -> Orders:
        options = sorted(self.attackable_places())
        return Orders(objectives=options[:1])


def run(scenario, **options) -> FrontlineModel:
    model = FrontlineModel(scenario, seed=5, days=120, **options)
    model.run_model()
    return model


def test_a_python_doctrine_that_defers_gives_the_compiled_doctrines_war(base):
    plain = run(base)
    deferring = run(base, faction_classes={"regime": Default, "isis": Default})
    assert deferring.factions[0].has_python_doctrine and not plain.factions[0].has_python_doctrine
    np.testing.assert_array_equal(plain.faction_series(), deferring.faction_series())
    assert plain.captures == deferring.captures


def test_a_python_doctrine_decides_for_its_faction(valley_path):
    valley = load_scenario(valley_path)
    plain = run(valley)
    cautious = run(valley, faction_classes={"blue": Cautious})
    assert any(c.new == "blue" for c in plain.captures)
    assert not any(c.new == "blue" for c in cautious.captures)
    focused = run(valley, faction_classes={"blue": Focused})
    blue_targets = {c.place for c in focused.captures if c.new == "blue"}
    assert blue_targets, "the focused doctrine took nothing"


def test_faction_classes_are_checked(valley_path):
    valley = load_scenario(valley_path)
    with pytest.raises(ValueError, match="nobody"):
        FrontlineModel(valley, faction_classes={"nobody": Cautious})
    with pytest.raises(TypeError):
        FrontlineModel(valley, faction_classes={"blue": object})


def test_the_datacollector_gives_a_tidy_table_of_named_series(valley_path):
    model = run(load_scenario(valley_path))
    table = model.datacollector.get_model_vars_dataframe()
    assert list(table.columns) == ["day", "faction", *FACTION_SERIES]
    assert len(table) == (model.day + 1) * len(model.factions)
    series = model.faction_series()
    blue = table[table.faction == "blue"].set_index("day")
    f = model.faction_number("blue")
    np.testing.assert_array_equal(blue["places_held"], series[:, 0, f])
    assert blue["places_held"].iloc[-1] == (model.controller == f).sum()
    captures = model.datacollector.get_table_dataframe("captures")
    assert len(captures) == len(model.captures)


def test_orders_focus_the_air_effort_with_the_scenarios_focus_weight(valley_path):
    from sim.model.doctrine import apply_orders

    model = FrontlineModel(
        load_scenario(valley_path, {"factions": {"blue": {"air": {"focus_weight": 3.0}}}})
    )
    blue, hilltop = model.faction_number("blue"), model.map.index("Hilltop")
    apply_orders(model, blue, Orders(air_focus=["Hilltop"]))
    assert model.params.air_weight[blue, hilltop] == 3.0
    assert model.params.air_weight[blue].sum() == model.map.size - 1 + 3.0


class AirFocused(Faction):
    """Focus the air effort on the enemy's biggest force (the place named by the test)."""

    target = ""

    def decide(self) -> Orders:
        return Orders(air_focus=[self.target])


def test_a_python_doctrines_air_tasking_holds_from_its_first_day(valley_path):
    """The tasking a Python doctrine orders is flown the same day (the day's records are
    bound again after its orders change the parameters; they were a day late)."""
    overrides = {"factions": {"blue": {"air": {"sorties_per_day": 8.0, "focus_weight": 1e6}}}}
    scenario = load_scenario(valley_path, overrides)
    probe = FrontlineModel(scenario, seed=1)
    blue = probe.faction_number("blue")
    enemy = probe.forces[~probe.friendly[blue]].sum(axis=0)
    AirFocused.target = probe.map.names[int(np.argmax(enemy))]
    model = FrontlineModel(scenario, seed=1, days=1, faction_classes={"blue": AirFocused})
    model.run_model()
    log = model.strike_log()
    by_blue = log[log[:, 1] == blue]
    at_target = by_blue[:, 3] == model.map.index(AirFocused.target)
    assert at_target.any(), by_blue
    # the sorties against the factions standing there all go there (the others' share of
    # the targeting goes elsewhere)
    struck = np.isin(by_blue[:, 2], by_blue[at_target, 2])
    assert by_blue[at_target, 4].sum() >= 0.99 * by_blue[struck, 4].sum(), by_blue


def test_interventions_carry_an_idea_through_the_scenario_and_its_events():
    from sim.formats.interventions import remove_militias, scale_sorties

    h3 = load_scenario(ROOT / "scenarios" / "syria" / "h3_baseline.toml")
    table = scale_sorties(h3.spec, "russia", 2.0)
    scaled = load_scenario(h3.source, table)
    assert (
        scaled.spec.factions["russia"].air.sorties_per_day
        == 2 * h3.spec.factions["russia"].air.sorties_per_day
    )
    surges = [
        n
        for n, e in h3.spec.events.items()
        if "air.sorties_per_day" in e.set and e.faction == "russia"
    ]
    assert surges, "h3 has no sortie events to scale"
    for name in surges:
        before = h3.spec.events[name].set["air.sorties_per_day"]
        assert scaled.spec.events[name].set["air.sorties_per_day"] == round(2 * before, 2)
    no_militias = load_scenario(h3.source, remove_militias(h3.spec))
    militias = [k for k, f in h3.spec.factions.items() if f.home_region]
    assert militias
    for key in militias:
        faction = no_militias.spec.factions[key]
        assert faction.reserve == 0 and not any(faction.forces.values())


def test_the_user_doctrine_example_in_the_docs_runs(monkeypatch, capsys):
    text = (ROOT / "docs" / "user-doctrine.md").read_text(encoding="utf-8")
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(ROOT)
    namespace: dict = {"__name__": "example"}
    exec(compile(code, "docs/user-doctrine.md", "exec"), namespace)
    model = namespace["model"]
    assert model.factions[model.faction_number("blue")].has_python_doctrine
    assert "blue took" in capsys.readouterr().out
