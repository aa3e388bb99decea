"""One small test per mechanism that no other test file covers (docs/odd.md §5, "Not
covered by a dedicated test"): the metric kinds `changes_of_control`, `last_capture_day`,
`days_held`, `captured_by` and `front_advance`; sea and air links (supply, capacity,
movement); groupings; standing objectives and events' `objectives`,
`cancel_objectives` and `moves`; air suppression of fire; the doctrine's softmax
temperature; travel delays; the reach factor (culmination).

Every scenario is a table of a few places built in code, run for a few days; closed
forms where the documentation gives one, tolerances stated where a test is statistical.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.model.model import Capture
from sim.outcomes.metrics import evaluate
from tests.conftest import build, duel_table

# --- helpers -------------------------------------------------------------------------

QUIET_MORALE = {
    "loss_sensitivity": 0.0,
    "recovery": 0.0,
    "siege_penalty": 0.0,
    "victory_bonus": 0.0,
    "defeat_penalty": 0.0,
}


def line_table(places: dict, roads: list, factions: dict, days: int = 20, **extra) -> dict:
    """A scenario on named places, deterministic, morale dynamics off and no manoeuvre
    (unless `extra` says otherwise)."""
    table = {
        "run": {"days": days, "deterministic": True},
        "map": {
            "places": {
                name: {"x": 10.0 * i, "y": 0.0, **spec}
                for i, (name, spec) in enumerate(places.items())
            },
            "roads": [{"from": a, "to": b, "km": km} for a, b, km in roads],
        },
        "factions": factions,
        "morale": dict(QUIET_MORALE),
        "manoeuvre": {"enabled": False},
    }
    table.update(extra)
    return table


def faction(**spec) -> dict:
    """A faction that does not break and, unless told, has no men."""
    return {"morale": 0.5, "break_point": 0.0, **spec}


def place(model, name: str) -> int:
    return model.map.index(name)


def command(model, faction_key: str, grouping: str | None) -> int:
    """The commander number of a faction's own reserve (None) or of one of its groupings."""
    f = model.faction_number(faction_key)
    (c,) = [
        i for i, cmd in enumerate(model.commands) if (cmd.faction, cmd.grouping) == (f, grouping)
    ]
    return c


def run_days(model, days: int) -> None:
    for _ in range(days):
        model.step()


# --- metrics: changes_of_control, last_capture_day, days_held, captured_by, front_advance


def metric_table() -> dict:
    """Red holds Rhome and A, blue holds Bhome, U is unheld: Rhome -10- A -20- Bhome -5- U.
    Nobody has men, so the run itself captures nothing; the capture log is written by the
    test, so each metric has a value computed by hand."""
    metrics = {
        "changes_A": {"kind": "changes_of_control", "place": "A"},
        "changes_all": {"kind": "changes_of_control"},
        "changes_A_day10": {"kind": "changes_of_control", "place": "A", "by_day": 10},
        "last_A": {"kind": "last_capture_day", "place": "A"},
        "last_A_day10": {"kind": "last_capture_day", "place": "A", "by_day": 10},
        "last_U": {"kind": "last_capture_day", "place": "U"},
        "last_Rhome": {"kind": "last_capture_day", "place": "Rhome"},
        "held_A_red": {"kind": "days_held", "place": "A", "faction": "red"},
        "held_A_blue": {"kind": "days_held", "place": "A", "faction": "blue"},
        "held_A_red_day10": {"kind": "days_held", "place": "A", "faction": "red", "by_day": 10},
        "held_U_blue": {"kind": "days_held", "place": "U", "faction": "blue"},
        "held_U_ally": {"kind": "days_held", "place": "U", "faction": "green", "side": True},
        "by_A_blue": {"kind": "captured_by", "place": "A", "faction": "blue"},
        "by_A_red": {"kind": "captured_by", "place": "A", "faction": "red"},
        "by_A_red_day10": {"kind": "captured_by", "place": "A", "faction": "red", "by_day": 10},
        "by_Rhome_blue": {"kind": "captured_by", "place": "Rhome", "faction": "blue"},
        "advance_blue": {"kind": "front_advance", "faction": "blue"},
        "advance_red": {"kind": "front_advance", "faction": "red"},
        "advance_red_day0": {"kind": "front_advance", "faction": "red", "by_day": 0},
    }
    return line_table(
        places={
            "Rhome": {"controller": "red"},
            "A": {"controller": "red"},
            "Bhome": {"controller": "blue"},
            "U": {},
        },
        roads=[("Rhome", "A", 10.0), ("A", "Bhome", 20.0), ("Bhome", "U", 5.0)],
        factions={
            "red": faction(supply_sources=["Rhome"], relations={"blue": "enemy"}),
            "blue": faction(
                supply_sources=["Bhome"], relations={"red": "enemy", "green": "allied"}
            ),
            "green": faction(relations={"blue": "allied"}),
        },
        days=14,
        metrics=metrics,
    )


def test_control_history_metrics_match_a_hand_computed_capture_log():
    """The five metric kinds added with the history of control, read off a capture log
    written by hand (A: red -> blue on day 3, back to red on day 7, blue again on day 12;
    the unheld U taken by blue on day 5), against values worked out on paper:

    - changes_of_control counts captures from a holder (U's from nobody does not count);
    - last_capture_day is the last day a place changed hands, unheld ones included;
    - days_held sums the holding spells up to by_day (with `side`, allies' spells count);
    - captured_by is 1 only for the faction that took the place last;
    - front_advance = 7 / by_day x sum of +-(road km from the place to the nearest place
      the taker held before): blue +20 (A from Bhome) +5 (U from Bhome) -10 (A lost, Rhome
      to A) +20 (A from Bhome) = 35 km in 14 days = 17.5 km/week; red -20 +10 -20 = -30 km,
      -15 km/week.
    """
    model = build(metric_table())
    model.run_model()
    assert model.captures == []  # nobody has men: the log below is the only history
    model.captures = [
        Capture(day=3, place="A", previous="red", new="blue"),
        Capture(day=5, place="U", previous=None, new="blue"),
        Capture(day=7, place="A", previous="blue", new="red"),
        Capture(day=12, place="A", previous="red", new="blue"),
    ]
    values = evaluate(model)
    expected = {
        "changes_A": 3.0,
        "changes_all": 3.0,
        "changes_A_day10": 2.0,
        "last_A": 12.0,
        "last_A_day10": 7.0,
        "last_U": 5.0,
        "last_Rhome": None,
        "held_A_red": 3.0 + 5.0,  # days 0-3 and 7-12
        "held_A_blue": 4.0 + 2.0,  # days 3-7 and 12-14
        "held_A_red_day10": 3.0 + 3.0,  # days 0-3 and 7-10
        "held_U_blue": 9.0,  # days 5-14
        "held_U_ally": 9.0,  # green counts blue's spell with side = true
        "by_A_blue": 1.0,
        "by_A_red": 0.0,
        "by_A_red_day10": 1.0,
        "by_Rhome_blue": 0.0,
        "advance_blue": 35.0 / 14.0 * 7.0,
        "advance_red": -30.0 / 14.0 * 7.0,
        "advance_red_day0": 0.0,
    }
    assert {name: values[name] for name in expected} == pytest.approx(expected)


def test_control_history_metrics_of_a_real_capture():
    """In the square-law duel blue (1,000) takes red's Fort (800) once, on the day the
    model logs: one change of control, that day as the last capture, blue as the captor,
    red holding Fort until then and blue after, and a front advance of the 10 km road
    from Camp, 10 x 7 / 200 km a week for blue and as much backwards for red."""
    table = duel_table(defenders=800.0, attackers=1000.0, days=200)
    table["metrics"] = {
        "changes": {"kind": "changes_of_control", "place": "Fort"},
        "last": {"kind": "last_capture_day", "place": "Fort"},
        "by_blue": {"kind": "captured_by", "place": "Fort", "faction": "blue"},
        "held_red": {"kind": "days_held", "place": "Fort", "faction": "red"},
        "held_blue": {"kind": "days_held", "place": "Fort", "faction": "blue"},
        "advance_blue": {"kind": "front_advance", "faction": "blue"},
        "advance_red": {"kind": "front_advance", "faction": "red"},
    }
    model = build(table)
    model.run_model()
    (capture,) = model.captures
    day = capture.day
    assert (capture.place, capture.previous, capture.new) == ("Fort", "red", "blue")
    values = {name: evaluate(model)[name] for name in table["metrics"]}
    assert values == pytest.approx(
        {
            "changes": 1.0,
            "last": float(day),
            "by_blue": 1.0,
            "held_red": float(day),
            "held_blue": 200.0 - day,
            "advance_blue": 10.0 * 7.0 / 200.0,
            "advance_red": -10.0 * 7.0 / 200.0,
        }
    )


# --- links: supply, capacity, movement -------------------------------------------------


def enclave_table(link: dict | None = None, days: int = 10) -> dict:
    """Red holds West - Middle and the enclave East, cut off by blue's Gap between Middle
    and East (every road 10 km); red's only source is West. `link`, if given, joins
    West to East over the sea."""
    table = line_table(
        places={
            "West": {"controller": "red"},
            "Middle": {"controller": "red"},
            "Gap": {"controller": "blue"},
            "East": {"controller": "red"},
        },
        roads=[("West", "Middle", 10.0), ("Middle", "Gap", 10.0), ("Gap", "East", 10.0)],
        factions={
            "red": faction(
                forces={"Middle": 500.0, "East": 500.0},
                supply_sources=["West"],
                relations={"blue": "enemy"},
            ),
            "blue": faction(
                forces={"Gap": 100.0}, supply_sources=["Gap"], relations={"red": "enemy"}
            ),
        },
        days=days,
    )
    table["morale"]["siege_penalty"] = 0.02
    if link is not None:
        table["map"]["links"] = [{"from": "West", "to": "East", "kind": "sea", **link}]
    return table


def test_a_link_keeps_a_besieged_enclave_supplied():
    """Without the sea route the enclave East is cut off and its force loses exactly the
    siege penalty (0.02) a day (recovery off); with it, East is supplied through the link
    (its supply comes via link 0, at the link's 50 km) and keeps its morale."""
    cut_off = build(enclave_table())
    cut_off.run_model()
    linked = build(enclave_table({"km": 50.0}))
    linked.run_model()
    red, east = cut_off.faction_number("red"), place(cut_off, "East")
    assert not cut_off.supplied[red, east]
    assert cut_off.morale[red, east] == pytest.approx(0.5 - 10 * 0.02)
    assert linked.supplied[red, east]
    assert linked.supply_via[red, east] == 0
    assert linked.supply_km[red, east] == pytest.approx(50.0)
    assert linked.morale[red, east] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("capacity", "manoeuvre", "expected"),
    [
        (100.0, False, 100.0 / 500.0),  # over capacity: capacity / load
        (0.0, False, 1.0),  # no limit
        (1000.0, False, 1.0),  # under capacity: no cut
        (100.0, True, 300.0 / (300.0 + 50.0) * 100.0 / 500.0),  # reach x capacity / load
    ],
)
def test_a_link_over_capacity_scales_the_supply_factor(capacity, manoeuvre, expected):
    """The 500 men at East, supplied only through a link of capacity c, get the supply
    factor kappa = reach x min(1, c / 500), reach = 300 / (300 + 50 km) with manoeuvre
    (default supply_range_km 300), 1 without; the Middle force, supplied by road, keeps
    its reach only. Checked on day 0 and after a day, closed form to 1e-12."""
    table = enclave_table({"km": 50.0, "capacity": capacity}, days=1)
    table["manoeuvre"]["enabled"] = manoeuvre
    table["combat"] = {"unsupplied_effectiveness": 0.1}  # the floor, below every factor here
    for side in table["factions"].values():
        side["doctrine"] = {"withdraw_ratio": 0.0}  # stand: the loads stay as given
    model = build(table)
    red = model.faction_number("red")
    east, middle = place(model, "East"), place(model, "Middle")
    assert model.supply_factor[red, east] == pytest.approx(expected, rel=1e-12)
    middle_reach = 300.0 / (300.0 + 10.0) if manoeuvre else 1.0
    assert model.supply_factor[red, middle] == pytest.approx(middle_reach, rel=1e-12)


def island_table(movement: bool) -> dict:
    """Red holds Port and an Island that no road reaches; an air bridge of 120 km joins
    them (red's speed 60 km a day), carrying forces only if `movement`. Blue is far away.
    An event on day 1 moves 100 of red's men from Port to the Island."""
    table = line_table(
        places={
            "Port": {"controller": "red"},
            "Island": {"controller": "red"},
            "Far": {"controller": "blue"},
        },
        roads=[("Port", "Far", 500.0)],
        factions={
            "red": faction(
                forces={"Port": 300.0},
                supply_sources=["Port"],
                doctrine={"speed_km_per_day": 60.0},
                relations={"blue": "enemy"},
            ),
            "blue": faction(supply_sources=["Far"], relations={"red": "enemy"}),
        },
        events={
            "airlift": {
                "day": 1,
                "faction": "red",
                "moves": [{"from": "Port", "to": "Island", "men": 100.0}],
            }
        },
    )
    table["map"]["links"] = [
        {"from": "Port", "to": "Island", "kind": "air", "km": 120.0, "movement": movement}
    ]
    return table


def test_a_link_that_carries_movement_brings_forces_and_a_supply_only_link_does_not():
    """With `movement`, the Island is reachable from the rear in ceil(120 / 60) = 2 days
    and 100 men moved there by an event on day 1 arrive on day 3; a supply-only link
    leaves the Island unreachable (travel capped at 60 days) but still supplied."""
    carrying = build(island_table(movement=True))
    red, island = carrying.faction_number("red"), place(carrying, "Island")
    assert carrying.reachable[red, island] and carrying.travel[red, island] == 2
    run_days(carrying, 2)
    assert carrying.forces[red, island] == 0.0
    assert carrying.incoming[red, island] == pytest.approx(100.0)
    carrying.step()
    assert carrying.forces[red, island] == pytest.approx(100.0)

    supply_only = build(island_table(movement=False))
    assert not supply_only.reachable[red, island]
    assert supply_only.travel[red, island] == 60
    assert supply_only.supplied[red, island]


# --- groupings ---------------------------------------------------------------------------


def fronts_table(groupings: bool) -> dict:
    """Red's capital Cap lies between NorthTown (besieged by 5,000 blue men from
    BlueBase) and a quiet SouthTown. With `groupings`, red's 2,000 reserve is split into
    a north and a south front of 1,000 each; without, it is one reserve of 2,000."""
    red = faction(
        forces={"NorthTown": 1000.0, "SouthTown": 200.0},
        supply_sources=["Cap"],
        relations={"blue": "enemy"},
        doctrine={"commit": 0.2, "aggression": 0.0},
    )
    if groupings:
        red["groupings"] = {
            "north": {"reserve": 1000.0, "places": ["NorthTown"], "max_offensives": 0},
            "south": {"reserve": 1000.0, "places": ["SouthTown"], "max_offensives": 0},
        }
    else:
        red["reserve"] = 2000.0
    return line_table(
        places={
            "BlueBase": {"controller": "blue"},
            "NorthTown": {"controller": "red"},
            "Cap": {"controller": "red"},
            "SouthTown": {"controller": "red"},
        },
        roads=[
            ("BlueBase", "NorthTown", 10.0),
            ("NorthTown", "Cap", 10.0),
            ("Cap", "SouthTown", 10.0),
        ],
        factions={
            "red": red,
            "blue": faction(
                forces={"NorthTown": 5000.0},
                supply_sources=["BlueBase"],
                relations={"red": "enemy"},
            ),
        },
        days=5,
    )


def test_a_siege_on_one_front_does_not_drain_another_fronts_reserve():
    """The siege needs more than red has, so whoever commands NorthTown sends the day's
    budget (commit 0.2 of its reserve) every day. With groupings the north front's reserve
    falls to exactly 1,000 x 0.8^5 in five days and the south front's stays 1,000; with
    one reserve the same siege takes 2,000 x 0.8^5 = 655 of it, less than the 1,000 the
    south front would have kept."""
    split = build(fronts_table(groupings=True))
    red = split.faction_number("red")
    north, south = command(split, "red", "north"), command(split, "red", "south")
    assert split.commander[red, place(split, "NorthTown")] == north
    assert split.commander[red, place(split, "SouthTown")] == south
    split.run_model()
    assert split.reserves[south] == 1000.0
    assert split.reserves[north] == pytest.approx(1000.0 * 0.8**5, rel=1e-12)
    assert split.manpower()[red] == pytest.approx(split.ledger.expected_manpower()[red])

    single = build(fronts_table(groupings=False))
    single.run_model()
    assert single.reserve[red] == pytest.approx(2000.0 * 0.8**5, rel=1e-12)


def test_a_grouping_without_its_own_max_offensives_takes_the_factions():
    """`max_offensives` of a grouping defaults to the faction's doctrine (the schema's
    default None): a grouping that does not give it is built with the faction's 3."""
    table = fronts_table(groupings=True)
    red = table["factions"]["red"]
    red["doctrine"]["max_offensives"] = 3
    del red["groupings"]["south"]["max_offensives"]
    model = build(table)
    south = command(model, "red", "south")
    assert model.params.command_max_offensives[south] == 3


# --- standing objectives ------------------------------------------------------------------


def objective_table(days: int = 12, **red_extra) -> dict:
    """Red at Hub (200 men, reserve 5,000, all of its daily budget for offensives) next to
    blue's Target (300 men), 30 km away; red's doctrine may open no attack of its own
    (max_offensives 0)."""
    return line_table(
        places={"Hub": {"controller": "red"}, "Target": {"controller": "blue"}},
        roads=[("Hub", "Target", 30.0)],
        factions={
            "red": faction(
                reserve=5000.0,
                forces={"Hub": 200.0},
                supply_sources=["Hub"],
                relations={"blue": "enemy"},
                doctrine={"commit": 0.5, "aggression": 1.0, "max_offensives": 0},
                **red_extra,
            ),
            "blue": faction(
                forces={"Target": 300.0}, supply_sources=["Target"], relations={"red": "enemy"}
            ),
        },
        days=days,
    )


TAKE_TARGET = {"kind": "take", "place": "Target", "men": 800.0}


def test_a_place_to_take_is_attacked_with_its_men_whatever_the_slots():
    """Without an objective red (no attack slots) never moves on Target. With a take
    objective of 800 men the doctrine opens the attack on day 1 with
    max(attack_ratio 2 x 300 defenders x quality 1, min_attack 100, 800) = 800 men (within
    the day's offensive budget 0.5 x 5,000), who take the place (Lanchester: in about
    100 x atanh(300 / 800) = 39 days; the run has 60)."""
    idle = build(objective_table())
    idle.run_model()
    red, target = idle.faction_number("red"), place(idle, "Target")
    assert idle.forces[red, target] == 0.0 and idle.incoming[red, target] == 0.0
    assert idle.captures == []

    ordered = build(objective_table(days=60, objectives={"grab": TAKE_TARGET}))
    ordered.step()
    assert ordered.incoming[red, target] == pytest.approx(800.0)
    ordered.run_model()
    assert [(c.place, c.new) for c in ordered.captures] == [("Target", "red")]


def test_a_place_to_take_is_attacked_whatever_the_odds():
    """Against 2,000 defenders red's doctrine (two attack slots, aggression 0.5) wants
    2 x 2,000 = 4,000 men, more than the 0.5 x 5,000 it risks on one attack, so it does
    not attack. With a take objective it attacks anyway, with the day's whole offensive
    budget min(B - D, aggression x B) = 0.5 x (0.5 x 5,000) = 1,250 men."""
    table = objective_table(days=1)
    table["factions"]["blue"]["forces"]["Target"] = 2000.0
    table["factions"]["red"]["forces"]["Hub"] = 1000.0  # no defence need at Hub
    table["factions"]["red"]["doctrine"].update(aggression=0.5, max_offensives=2)
    cautious = build(table)
    cautious.step()
    red, target = cautious.faction_number("red"), place(cautious, "Target")
    assert cautious.incoming[red, target] == 0.0
    table["factions"]["red"]["objectives"] = {"grab": TAKE_TARGET}
    ordered = build(table)
    ordered.step()
    assert ordered.incoming[red, target] == pytest.approx(1250.0)


def test_events_give_and_cancel_standing_objectives():
    """An event on day 3 gives red the take objective: nothing moves on days 1-2, 800 men
    leave on day 3. A take objective of the faction's own cancelled by an event on day 1
    is never acted on (its arrays are cleared)."""
    table = objective_table()
    table["events"] = {"order": {"day": 3, "faction": "red", "objectives": {"grab": TAKE_TARGET}}}
    given = build(table)
    red, target = given.faction_number("red"), place(given, "Target")
    run_days(given, 2)
    assert given.incoming[red, target] == 0.0 and given.forces[red, target] == 0.0
    given.step()
    assert given.incoming[red, target] == pytest.approx(800.0)
    assert given.take_men[red, target] == 800.0

    table = objective_table(objectives={"grab": TAKE_TARGET})
    table["events"] = {"stand_down": {"day": 1, "faction": "red", "cancel_objectives": ["grab"]}}
    cancelled = build(table)
    assert cancelled.take_men[red, target] == 800.0
    cancelled.run_model()
    assert cancelled.take_men[red, target] == 0.0
    assert "grab" not in cancelled.objectives[red]
    assert cancelled.forces[red, target] == 0.0 and cancelled.incoming[red, target] == 0.0
    assert cancelled.captures == []


def hold_table(days: int = 8, deterministic: bool = True, **doctrine) -> dict:
    """Red's reserve of 2,000 at its source Home, and Keep, an interior place 130 km
    away (3 days at 60 km/day) under no threat: red has no reason to send men there but
    a hold objective of 400."""
    table = line_table(
        places={
            "Home": {"controller": "red"},
            "Keep": {"controller": "red"},
            "Far": {"controller": "blue"},
        },
        roads=[("Home", "Keep", 130.0), ("Home", "Far", 900.0)],
        factions={
            "red": faction(
                reserve=2000.0,
                forces={"Home": 100.0},
                supply_sources=["Home"],
                relations={"blue": "enemy"},
                doctrine={"commit": 0.5, "aggression": 0.0, **doctrine},
                objectives={"keep": {"kind": "hold", "place": "Keep", "men": 400.0}},
            ),
            "blue": faction(supply_sources=["Far"], relations={"red": "enemy"}),
        },
        days=days,
    )
    table["run"]["deterministic"] = deterministic
    return table


def test_a_place_to_hold_gets_its_men_and_keeps_them():
    """The hold objective sends exactly 400 men on day 1 (budget 0.5 x 2,000 = 1,000),
    arriving after the 3 travel days; they stay, and no more are sent. Without the
    objective Keep gets nobody."""
    model = build(hold_table())
    red, keep = model.faction_number("red"), place(model, "Keep")
    model.step()
    assert model.incoming[red, keep] == pytest.approx(400.0)
    assert model.reserve[red] == pytest.approx(1600.0)
    model.run_model()
    assert model.forces[red, keep] == pytest.approx(400.0)
    assert model.reserve[red] == pytest.approx(1600.0)

    table = hold_table()
    del table["factions"]["red"]["objectives"]
    unheld = build(table)
    unheld.run_model()
    assert unheld.forces[red, keep] == 0.0 and unheld.reserve[red] == 2000.0


def outpost_table(hold_men: float | None) -> dict:
    """Red's 400 at Outpost face 3,000 blue attackers, with manoeuvre on (red withdraws at
    odds beyond its withdraw_ratio 4, to Depot); unless `hold_men` is None, Outpost is a
    place to hold with that many men."""
    table = line_table(
        places={
            "Capital": {"controller": "red"},
            "Depot": {"controller": "red"},
            "Outpost": {"controller": "red"},
            "Base": {"controller": "blue"},
        },
        roads=[("Capital", "Depot", 20.0), ("Depot", "Outpost", 20.0), ("Outpost", "Base", 20.0)],
        factions={
            "red": faction(
                forces={"Outpost": 400.0, "Depot": 300.0},
                supply_sources=["Capital"],
                relations={"blue": "enemy"},
                doctrine={"withdraw_ratio": 4.0},
            ),
            "blue": faction(
                forces={"Outpost": 3000.0}, supply_sources=["Base"], relations={"red": "enemy"}
            ),
        },
        days=1,
    )
    table["manoeuvre"]["enabled"] = True
    if hold_men is not None:
        table["factions"]["red"]["objectives"] = {
            "stand": {"kind": "hold", "place": "Outpost", "men": hold_men}
        }
    return table


@pytest.mark.parametrize("hold_men", [100.0, 0.0])
def test_a_force_never_withdraws_from_a_place_it_is_to_hold(hold_men):
    """At odds of 3,000 to 400 red's garrison gives up Outpost on day 1 (one withdrawal,
    no combat loss); ordered to hold it, the garrison stays and fights. The documentation
    says a place to hold is never withdrawn from (odd.md §3.3.4; `withdraw_ratio`: "never
    from a place it is ordered to hold"), whatever its `men`, whose default is 0."""
    leaving = build(outpost_table(hold_men=None))
    leaving.step()
    red = leaving.faction_number("red")
    assert leaving.withdrawals[red] == 1 and leaving.ledger.combat_losses[red] == 0.0
    staying = build(outpost_table(hold_men=hold_men))
    staying.step()
    assert staying.withdrawals[red] == 0
    assert staying.ledger.combat_losses[red] > 0.0


# --- event moves ----------------------------------------------------------------------------


def moves_table(moves_by_day: dict[int, list]) -> dict:
    """Red (no enemies about) with a reserve of 1,000 and 600 men at Alpha; Alpha - Bravo
    is a road of 130 km (3 days at 60 km/day). One event per day in `moves_by_day`."""
    return line_table(
        places={
            "Alpha": {"controller": "red"},
            "Bravo": {"controller": "red"},
            "Far": {"controller": "blue"},
        },
        roads=[("Alpha", "Bravo", 130.0), ("Alpha", "Far", 900.0)],
        factions={
            "red": faction(
                reserve=1000.0,
                forces={"Alpha": 600.0},
                supply_sources=["Alpha"],
                groupings={"east": {"reserve": 0.0, "places": ["Bravo"], "max_offensives": 0}},
                doctrine={"commit": 0.0},
                relations={"blue": "neutral"},
            ),
            "blue": faction(supply_sources=["Far"]),
        },
        events={
            f"move_{day}": {"day": day, "faction": "red", "moves": moves}
            for day, moves in moves_by_day.items()
        },
    )


def test_a_day_zero_move_places_the_men_at_once():
    """Moves on day 0 set the starting positions: 250 from the reserve to Bravo and 100
    from Alpha to Bravo are at Bravo before day 1 (nothing on the road), 300 go to the
    east grouping's reserve; manpower and the books are unchanged (a transfer)."""
    model = build(
        moves_table(
            {
                0: [
                    {"from": "reserve", "to": "Bravo", "men": 250.0},
                    {"from": "Alpha", "to": "Bravo", "men": 100.0},
                    {"from": "reserve", "to": "east", "men": 300.0},
                ]
            }
        )
    )
    red = model.faction_number("red")
    alpha, bravo = place(model, "Alpha"), place(model, "Bravo")
    assert model.forces[red, bravo] == pytest.approx(350.0)
    assert model.forces[red, alpha] == pytest.approx(500.0)
    assert model.reserve[red] == pytest.approx(450.0)
    assert model.reserves[command(model, "red", "east")] == pytest.approx(300.0)
    assert model.incoming[red].sum() == 0.0
    assert model.manpower()[red] == pytest.approx(1600.0)
    assert model.ledger.added_by_events[red] == 0.0
    model.run_model()
    assert model.forces[red, bravo] == pytest.approx(350.0)


def test_a_later_move_travels_the_road_and_conserves_the_men():
    """On day 2, 400 of Alpha's 600 leave for Bravo (130 km at 60 km/day: 3 days) and a
    move of 5,000 from the reserve to Alpha takes only the 1,000 there (from the rear,
    Alpha itself: 1 day). The 400 are on the road on days 2-4 and arrive on day 5;
    manpower stays 1,600 every day and no event adds men to the books."""
    model = build(
        moves_table(
            {
                2: [
                    {"from": "Alpha", "to": "Bravo", "men": 400.0},
                    {"from": "reserve", "to": "Alpha", "men": 5000.0},
                ]
            }
        )
    )
    red = model.faction_number("red")
    alpha, bravo = place(model, "Alpha"), place(model, "Bravo")
    for day in range(1, 7):
        model.step()
        assert model.manpower()[red] == pytest.approx(1600.0)
        if 2 <= day <= 4:
            assert model.forces[red, bravo] == 0.0
            assert model.incoming[red, bravo] == pytest.approx(400.0)
    assert model.forces[red, bravo] == pytest.approx(400.0)
    assert model.forces[red, alpha] == pytest.approx(200.0 + 1000.0)
    assert model.reserve[red] == 0.0
    assert model.ledger.added_by_events[red] == 0.0


# --- air suppression ------------------------------------------------------------------------


def suppression_duel(sorties: float) -> dict:
    """The Lanchester duel (red 1,000 holds Fort against blue's 800), deterministic, for
    one day; blue flies `sorties` at red that kill nobody and shake no morale, so they
    act only by suppression (0.02 per sortie of a force of 1,000)."""
    table = duel_table(defenders=1000.0, attackers=800.0, days=1)
    table["factions"]["blue"]["air"] = {
        "sorties_per_day": sorties,
        "casualties_per_sortie": 0.0,
        "morale_shock": 0.0,
        "suppression": 0.02,
    }
    return table


def test_air_suppression_cuts_the_struck_forces_fire_for_the_day():
    """10 sorties on red's 1,000 suppress s = 1 - exp(-0.02 x 10 x 1000 / 1000) of its
    fire. With the midpoint rule blue's loss is red's fire x red's half-day strength, and
    the latter depends only on blue's (unsuppressed) fire, so blue loses exactly (1 - s)
    times what it loses without sorties (to 1e-9); red, hit by no casualty, loses more
    with the sorties (blue stays stronger through the day)."""
    plain = build(suppression_duel(0.0))
    plain.step()
    struck = build(suppression_duel(10.0))
    struck.step()
    red, blue = plain.faction_number("red"), plain.faction_number("blue")
    fort = place(plain, "Fort")
    s = 1.0 - math.exp(-0.02 * 10.0)
    assert struck.buffers.day_suppression[red, fort] == pytest.approx(s, rel=1e-12)
    assert struck.ledger.strike_losses[red] == 0.0
    blue_loss = struck.ledger.combat_losses[blue]
    assert blue_loss == pytest.approx((1.0 - s) * plain.ledger.combat_losses[blue], rel=1e-9)
    assert struck.ledger.combat_losses[red] > plain.ledger.combat_losses[red]


# --- the doctrine's softmax temperature -----------------------------------------------------

CHOICES = {"Alef": 100_000.0, "Bet": 50_000.0, "Gimel": 80_000.0}  # populations


def choice_table(temperature: float) -> dict:
    """Red at Hub may open one attack (max_offensives 1) on one of three unheld
    neighbours of different population. Each needs min_attack (100) men, so its score is
    its value (1 + population / 10,000) / 100: Alef 11, Bet 6, Gimel 9 per 100 men."""
    places = {"Hub": {"controller": "red"}} | {
        name: {"population": population} for name, population in CHOICES.items()
    }
    places["Far"] = {"controller": "blue"}
    table = line_table(
        places=places,
        roads=[("Hub", name, 10.0) for name in CHOICES] + [("Hub", "Far", 900.0)],
        factions={
            "red": faction(
                reserve=1000.0,
                forces={"Hub": 100.0},
                supply_sources=["Hub"],
                doctrine={"max_offensives": 1, "temperature": temperature},
            ),
            "blue": faction(supply_sources=["Far"]),  # neutral: Far is no candidate
        },
        days=1,
    )
    table["run"]["deterministic"] = False
    return table


def first_choice(table: dict, seed: int) -> str:
    model = build(table, seed=seed)
    model.step()
    red = model.faction_number("red")
    (chosen,) = [name for name in CHOICES if model.incoming[red, place(model, name)] > 0]
    return chosen


def softmax(temperature: float) -> dict[str, float]:
    value = {name: 1.0 + population / 10_000.0 for name, population in CHOICES.items()}
    best = max(value.values())
    weight = {name: math.exp((v / best - 1.0) / temperature) for name, v in value.items()}
    return {name: w / sum(weight.values()) for name, w in weight.items()}


def test_temperature_zero_always_picks_the_best_objective():
    """At temperature 0 a random run picks the best-scored place (Alef) on every seed."""
    table = choice_table(0.0)
    assert {first_choice(table, seed) for seed in range(8)} == {"Alef"}


@pytest.mark.parametrize("temperature", [0.2, 1.0])
def test_a_temperature_spreads_the_choice_by_the_softmax(temperature):
    """With a temperature T a random run picks p with probability proportional to
    exp((score / best - 1) / T): Alef, Bet, Gimel 0.66, 0.07, 0.27 at T = 0.2 (the
    default) and 0.41, 0.26, 0.34 at T = 1. Over 300 seeds each, all three are chosen
    and the counts pass a chi-square goodness-of-fit test against those probabilities
    (p > 0.001); at T = 0.2 they would fail it against T = 1's, and the reverse."""
    table = choice_table(temperature)
    picks = [first_choice(table, seed) for seed in range(300)]
    counts = np.array([picks.count(name) for name in CHOICES])
    expected = np.array([softmax(temperature)[name] for name in CHOICES]) * len(picks)
    other = np.array([softmax(1.2 - temperature)[name] for name in CHOICES]) * len(picks)
    assert (counts > 0).all(), counts
    assert stats.chisquare(counts, expected).pvalue > 0.001, (counts, expected)
    assert stats.chisquare(counts, other).pvalue < 0.001, (counts, other)


# --- travel delays ------------------------------------------------------------------------


def arrival_day(table: dict, seed: int) -> int:
    """The day the 400 men sent to Keep on day 1 (hold objective) arrive there."""
    model = build(table, seed=seed)
    red, keep = model.faction_number("red"), place(model, "Keep")
    while model.forces[red, keep] == 0.0:
        assert model.day < model.days, "never arrived"
        model.step()
    return model.day


def test_travel_delays_add_poisson_days_to_a_movement():
    """Sent on day 1 over 130 km at 60 km/day, the men arrive on day 1 + 3 in a
    deterministic run, with or without a mean delay of 3 days. In random runs they arrive
    1 + 3 + Pois(3) days later: over 100 seeds the mean extra delay is within 4 standard
    errors (4 x sqrt(3 / 100) = 0.69 days) of 3, never negative, and varies."""
    assert arrival_day(hold_table(days=70, travel_delay_days=3.0), seed=0) == 4
    random_table = hold_table(days=70, deterministic=False, travel_delay_days=3.0)
    extra = np.array([arrival_day(random_table, seed) - 4 for seed in range(100)])
    assert extra.min() >= 0
    assert len(set(extra)) > 1
    assert abs(extra.mean() - 3.0) < 4.0 * math.sqrt(3.0 / 100.0), extra
    no_delay = hold_table(days=70, deterministic=False)
    assert {arrival_day(no_delay, seed) for seed in range(5)} == {4}


# --- reach: culmination far from supply --------------------------------------------------


def reach_table(supply_range_km: float, unsupplied: float = 0.1) -> dict:
    """Red's road Source -100 km- Mid -200 km- Front; 1,000 red hold Front against 1,000
    blue attackers from Camp (10 km), for one deterministic day with manoeuvre on (nobody
    withdraws; no reserves). Blue's own fire does not fall with distance. A cut-off force
    fires at `unsupplied` (the floor of the supply factor: below every reach here unless
    told)."""
    table = line_table(
        places={
            "Source": {"controller": "red"},
            "Mid": {"controller": "red"},
            "Front": {"controller": "red"},
            "Camp": {"controller": "blue"},
        },
        roads=[("Source", "Mid", 100.0), ("Mid", "Front", 200.0), ("Front", "Camp", 10.0)],
        factions={
            "red": faction(
                forces={"Front": 1000.0, "Mid": 10.0},
                supply_sources=["Source"],
                relations={"blue": "enemy"},
                doctrine={"supply_range_km": supply_range_km, "withdraw_ratio": 0.0},
            ),
            "blue": faction(
                forces={"Front": 1000.0},
                supply_sources=["Camp"],
                relations={"red": "enemy"},
                doctrine={"supply_range_km": 0.0, "withdraw_ratio": 0.0},
            ),
        },
        days=1,
        combat={"unsupplied_effectiveness": unsupplied},
    )
    table["manoeuvre"]["enabled"] = True
    return table


def test_a_force_far_from_supply_fires_less():
    """With supply_range_km R = 300 red's supply factor is R / (R + d): 1 at the Source,
    300 / 400 at Mid (100 km), 300 / 600 = 0.5 at Front (300 km). Red's fire at Front is
    halved, so blue's loss on day 1 is exactly half of what it is with R = 0 (no fall with
    distance), as blue's loss is red's fire x red's half-day strength and the latter
    depends only on blue's fire."""
    far = build(reach_table(300.0))
    red = far.faction_number("red")
    factors = [far.supply_factor[red, place(far, name)] for name in ("Source", "Mid", "Front")]
    assert factors == pytest.approx([1.0, 300.0 / 400.0, 300.0 / 600.0], rel=1e-12)
    far.step()
    unlimited = build(reach_table(0.0))
    assert unlimited.supply_factor[red, place(unlimited, "Front")] == 1.0
    unlimited.step()
    blue = far.faction_number("blue")
    assert far.ledger.combat_losses[blue] == pytest.approx(
        0.5 * unlimited.ledger.combat_losses[blue], rel=1e-9
    )
    assert far.ledger.combat_losses[blue] > 0.0


def test_reinforcements_far_from_supply_are_cut_by_the_reach():
    """The doctrine's reinforcements get the share their reach allows, the rest staying
    in the reserve: with manoeuvre on and supply_range_km 130, the hold objective's 400
    men for Keep (130 km from the source) leave as 400 x 130 / (130 + 130) = 200 on day 1,
    and the reserve keeps 2,000 - 200."""
    table = hold_table(days=1, supply_range_km=130.0, redeploy=0.0)
    table["manoeuvre"]["enabled"] = True
    table["combat"] = {"unsupplied_effectiveness": 0.1}  # the floor, below the reach here
    model = build(table)
    red, keep = model.faction_number("red"), place(model, "Keep")
    assert model.supply_factor[red, keep] == pytest.approx(0.5, rel=1e-12)
    model.step()
    assert model.incoming[red, keep] == pytest.approx(200.0)
    assert model.reserve[red] == pytest.approx(1800.0)


def test_a_supply_line_is_never_worse_than_none():
    """With the default unsupplied_effectiveness u = 0.7 and R = 300, Front (300 km)
    would have the reach 300 / 600 = 0.5 < u: its factor is floored at 0.7, so red
    supplied there fires exactly as red cut off there does (Source lost: u x 1), and blue
    loses the same on day 1; Mid (0.75 > u) keeps its reach."""
    supplied = build(reach_table(300.0, unsupplied=0.7))
    red = supplied.faction_number("red")
    assert supplied.supply_factor[red, place(supplied, "Front")] == pytest.approx(0.7, rel=1e-12)
    assert supplied.supply_factor[red, place(supplied, "Mid")] == pytest.approx(0.75, rel=1e-12)
    table = reach_table(300.0, unsupplied=0.7)
    table["factions"]["red"]["supply_sources"] = []  # cut off: no source at all
    table["map"]["places"]["Source"]["controller"] = "blue"
    cut_off = build(table)
    assert not cut_off.supplied[red, place(cut_off, "Front")]
    supplied.step()
    cut_off.step()
    blue = supplied.faction_number("blue")
    assert supplied.ledger.combat_losses[blue] == pytest.approx(
        cut_off.ledger.combat_losses[blue], rel=1e-9
    )
