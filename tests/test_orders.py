"""Orders: players command a faction within its means; the model carries them out."""

from __future__ import annotations

import numpy as np
import pytest

from sim.formats.scenario import load_scenario
from sim.model.model import FrontlineModel
from sim.wargame.orders import Orders, attackable, check_orders, doctrine_orders, give_orders, odds
from tests.conftest import build, duel_table


@pytest.fixture()
def valley(valley_path):
    return FrontlineModel(load_scenario(valley_path), seed=5, days=40)


def test_attackable_places_are_enemy_places_on_the_supplied_front(valley):
    blue = valley.faction_number("blue")
    targets = attackable(valley, "blue")
    assert targets
    for name in targets:
        p = valley.map.index(name)
        assert valley.hostile[blue, valley.controller[p]]
    assert "Rivertown" in targets  # next to Blue's x2y3
    assert "Market" not in targets  # deep in Red's ground, three cells from Blue
    assert "x3y2" not in attackable(valley, "green")


def test_orders_beyond_the_means_are_refused_with_reasons(valley):
    orders = Orders(
        objectives=["Capital", "x3y0", "x3y1", "x3y2"],
        reinforcements={"x3y0": 10.0, "Capital": 10**6},
        targeting={"blue": 1.0},
    )
    problems = "\n".join(check_orders(valley, "blue", orders))
    assert "at most 2 objectives at once, got 4" in problems
    assert "objective 'Capital' cannot be attacked" in problems
    assert "cannot reinforce 'x3y0'" in problems
    assert "exceed the reserve" in problems
    assert "'blue' is not an enemy to strike" in problems
    assert check_orders(valley, "red", Orders(targeting={"blue": 1.0})) == [
        "this faction has no air support to task"
    ]


def test_a_faction_under_orders_attacks_only_its_objectives(valley):
    objective = attackable(valley, "blue")[0]
    give_orders(valley, "blue", Orders(objectives=[objective]))
    blue = valley.faction_number("blue")
    for _ in range(20):
        valley.step()
        attacking = (valley.forces[blue] + valley.incoming[blue] > 0) & ~valley.friendly[
            blue, valley.controller
        ]
        assert set(np.array(valley.map.names)[attacking]) <= {objective}


def test_reinforcements_leave_the_reserve_at_once_and_arrive_by_road(valley_path):
    """(Without manoeuvre, so that no garrison is redeployed from the place meanwhile.)"""
    still = {"manoeuvre": {"enabled": False}}
    valley = FrontlineModel(load_scenario(valley_path, still), seed=5, days=40)
    blue = valley.faction_number("blue")
    before = valley.reserve[blue]
    give_orders(valley, "blue", Orders(reinforcements={"Harbour": 500.0}))
    harbour = valley.map.index("Harbour")
    assert valley.reserve[blue] == pytest.approx(before - 500)
    assert valley.incoming[blue, harbour] == pytest.approx(500)
    garrison = valley.forces[blue, harbour]
    for _ in range(valley.travel[blue, harbour]):
        valley.step()
    assert valley.forces[blue, harbour] == pytest.approx(garrison + 500, rel=0.01)  # desertion


def test_air_tasking_replaces_the_targeting(valley):
    give_orders(valley, "blue", Orders(targeting={"green": 1.0}))
    for _ in range(10):
        valley.step()
    log = valley.strike_log()
    assert set(log[:, 2].astype(int)) == {valley.faction_number("green")}


def test_same_orders_same_result(valley_path):
    def play() -> list:
        model = FrontlineModel(load_scenario(valley_path), seed=9, days=30)
        give_orders(model, "red", Orders(objectives=attackable(model, "red")[:1]))
        model.run_model()
        return [(c.day, c.place, c.new) for c in model.captures]

    assert play() == play()


def test_doctrine_orders_are_what_the_doctrine_does(valley):
    advice = doctrine_orders(valley, "blue")
    assert set(advice.objectives) <= set(attackable(valley, "blue"))
    assert check_orders(valley, "blue", advice) == []


def test_odds_follow_the_square_law():
    model = build(duel_table(defenders=800, attackers=0.0))
    estimate = odds(model, "blue", "Fort", 1000.0)
    assert estimate["attacker_wins"]
    assert estimate["survivors"] == pytest.approx(600.0)
    assert estimate["force_ratio"] == pytest.approx(1.25)


def test_an_ordered_objective_opens_even_when_the_doctrine_would_hold_back():
    """The doctrine opens an attack only if it needs at most aggression x reserve; a team's
    order opens it whatever it needs of the reserve."""
    table = duel_table(defenders=250.0, attackers=0.0, days=5)
    table["factions"]["blue"].update(reserve=1000.0, doctrine={"aggression": 0.1, "commit": 0.5})
    blue_fort = []
    for ordered in (False, True):
        model = build(table)
        if ordered:
            give_orders(model, "blue", Orders(objectives=["Fort"]))
        model.step()
        blue = model.faction_number("blue")
        blue_fort.append(model.incoming[blue, model.map.index("Fort")] + model.forces[blue, 0])
    assert blue_fort[0] == 0
    assert blue_fort[1] > 0


def test_reinforceable_places_and_the_doctrines_attack_size(valley):
    from sim.wargame.orders import attack_size, reinforceable

    places = reinforceable(valley, "blue")
    assert "Capital" in places and "Rivertown" not in places
    target = attackable(valley, "blue")[0]
    blue = valley.faction_number("blue")
    defenders = valley.forces[valley.hostile[blue], valley.map.index(target)].sum()
    expected = max(2.0 * defenders * valley.map.terrain[valley.map.index(target)], 100.0)
    assert attack_size(valley, "blue", target) == pytest.approx(expected)


def test_odds_shown_to_a_team_use_only_what_its_fog_shows(valley_path):
    """The defenders' true morale is hidden: two wars that differ only in it give the
    same odds, with the morale assumed (the scenario's starting one) said."""
    estimates = []
    for hidden in (0.05, 0.95):
        model = FrontlineModel(load_scenario(valley_path), seed=5, days=40)
        model.morale[model.faction_number("red"), model.map.index("Rivertown")] = hidden
        estimates.append(odds(model, "blue", "Rivertown", 3000.0))
    assert estimates[0] == estimates[1]
    assert estimates[0]["assumed_morale"] == {"red": 0.6}
    assert estimates[0]["defenders"] == 2000.0
    with pytest.raises(ValueError, match="not observed"):
        odds(model, "blue", "Market", 3000.0)  # deep in Red's ground


def _two_front_table(max_offensives: int, aggression: float = 0.5) -> dict:
    """Blue, from Camp, may attack Red's Fort; with one offensive allowed it already has
    one under way at Red's Keep (which, under orders, it no longer tops up)."""
    table = duel_table(defenders=250.0, attackers=0.0, days=5)
    table["map"]["places"]["Keep"] = {"x": 10.0, "y": 10.0, "controller": "red"}
    table["map"]["roads"].append({"from": "Keep", "to": "Camp", "km": 10.0})
    table["factions"]["red"]["forces"]["Keep"] = 250.0
    table["factions"]["blue"].update(
        reserve=5000.0,
        forces={"Keep": 300.0} if max_offensives else {},
        doctrine={"aggression": aggression, "max_offensives": max_offensives},
    )
    return table


@pytest.mark.parametrize("max_offensives", [0, 1], ids=["no-offensives", "slot-taken"])
def test_an_accepted_objective_is_attacked_whatever_the_doctrines_slots(max_offensives):
    model = build(_two_front_table(max_offensives))
    orders = Orders(objectives=["Fort"])
    assert check_orders(model, "blue", orders) == []
    give_orders(model, "blue", orders)
    model.step()
    blue, fort = model.faction_number("blue"), model.map.index("Fort")
    assert model.incoming[blue, fort] + model.forces[blue, fort] > 0


def test_objectives_a_doctrine_could_not_carry_out_are_refused():
    model = build(_two_front_table(1, aggression=0.0))
    assert check_orders(model, "blue", Orders(objectives=["Fort"])) == [
        "this faction's doctrine commits nothing to attacks (commit or aggression 0)"
    ]
    assert check_orders(model, "blue", Orders()) == []


def test_air_tasking_changes_only_what_it_names(valley):
    blue, rivertown = valley.faction_number("blue"), valley.map.index("Rivertown")
    valley.factions[blue].own_spec().air.place_weights = {"Rivertown": 3.0}
    valley.refresh_parameters(rear=False)
    give_orders(valley, "blue", Orders(targeting={"red": 0.5, "green": 0.5}))
    assert valley.params.air_weight[blue, rivertown] == 3.0
    assert valley.params.targeting[blue, valley.faction_number("green")] == 0.5
    give_orders(valley, "blue", Orders(air_places={"Hilltop": 5.0}))
    assert valley.params.targeting[blue, valley.faction_number("green")] == 0.5
    assert valley.params.air_weight[blue, rivertown] == 1.0
    assert valley.params.air_weight[blue, valley.map.index("Hilltop")] == 5.0


def test_reinforcements_are_checked_against_the_reserve_they_are_drawn_from():
    """Red's 2,000 men are split between a north and a south front of 1,000 each: 1,500
    for NorthTown (the north front's place) exceed the north front's reserve although
    they are within the faction's 2,000, and are refused naming the front; 900 for each
    front are fine."""
    from tests.test_mechanisms import fronts_table

    model = build(fronts_table(groupings=True))
    too_many = check_orders(model, "red", Orders(reinforcements={"NorthTown": 1500.0}))
    assert too_many == ["reinforcements (1,500) exceed the reserve of grouping 'north' (1,000)"]
    both = Orders(reinforcements={"NorthTown": 900.0, "SouthTown": 900.0})
    assert check_orders(model, "red", both) == []
