"""The wargame engine: turns, orders, replay, rollback, persistence, codes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.wargame.game import Game, GameSetup, holdings
from sim.wargame.orders import Orders, attackable
from sim.wargame.store import CODE_ALPHABET, GameStore, normalized
from tests.conftest import ROOT

VALLEY = str(ROOT / "scenarios" / "teaching" / "valley.toml")


def setup() -> GameSetup:
    return GameSetup(scenario=VALLEY, seed=3, turn_days=5, teams={"A": "blue", "B": "red"})


def play_three_turns(game: Game) -> None:
    for _ in range(3):
        for faction in game.factions:
            targets = attackable(game.model, faction)
            assert game.submit(faction, Orders(objectives=targets[:1])) == []
        game.advance()


def test_turns_advance_the_war_by_the_turn_length():
    game = Game(setup())
    play_three_turns(game)
    assert game.model.day == 15
    assert [t.number for t in game.resolved_turns()] == [1, 2, 3]


def test_orders_beyond_the_means_are_refused_and_not_stored():
    game = Game(setup())
    problems = game.submit("blue", Orders(reinforcements={"Capital": 10**9}))
    assert problems and "exceed the reserve" in problems[0]
    assert game.submitted() == set()
    assert game.submit("green", Orders()) == ["no team commands 'green'"]


def test_a_replayed_game_is_the_same_war():
    game = Game(setup())
    play_three_turns(game)
    again = Game(game.setup, game.turns)
    assert again.model.day == game.model.day
    assert again.model.captures == game.model.captures
    assert (again.model.forces == game.model.forces).all()


def test_rollback_replays_fewer_turns_and_a_new_branch_can_differ():
    game = Game(setup())
    play_three_turns(game)
    after_one = Game(game.setup, game.turns[:1]).model
    dropped = game.rollback(2)
    assert [t.number for t in dropped] == [2, 3]
    assert game.model.day == 5
    assert (game.model.forces == after_one.forces).all()


def test_turn_reports_explain_what_happened():
    game = Game(setup())
    play_three_turns(game)
    report = game.reports[3]["red"]
    assert report.first_day == 11 and report.last_day == 15
    assert report.losses > 0
    assert report.sorties_received > 0  # blue's air force targets red
    text = "\n".join(report.lines())
    assert "Turn 3 (days 11-15)" in text


def test_an_injected_event_takes_effect_at_the_turn_start():
    game = Game(setup())
    game.inject("air_surge")
    game.advance()
    blue = game.model.faction_number("blue")
    assert game.model.params.sorties[blue] == 20


def test_games_survive_a_restart_and_codes_open_only_their_side(tmp_path):
    store = GameStore(tmp_path / "games.sqlite")
    game_id, codes = store.create(setup())
    assert len(set(codes.values())) == 3
    bits = [len(normalized(c)) * math.log2(len(CODE_ALPHABET)) for c in codes.values()]
    assert min(bits) >= 48  # unguessable from a page (a failed join also waits)
    game = store.game(game_id)
    play_three_turns(game)
    game.submit("blue", Orders(objectives=attackable(game.model, "blue")[:1]))
    store.save(game_id)
    before = (game.model.day, list(game.model.captures), game.submitted())

    store.forget()  # the server restarts
    restarted = GameStore(tmp_path / "games.sqlite").game(game_id)
    assert (restarted.model.day, restarted.model.captures, restarted.submitted()) == before
    access = GameStore(tmp_path / "games.sqlite")
    assert access.access(codes["A"]).faction == "blue"
    assert access.access(codes["B"]).faction == "red"
    assert access.access(codes["umpire"]).role == "umpire"
    assert access.access("not-a-code") is None
    assert access.games()[0]["turns_played"] == 3


def test_holdings_count_the_side():
    game = Game(setup())
    assert holdings(game.model, "blue") == pytest.approx(
        (game.model.controller == game.model.faction_number("blue")).sum()
    )


def test_debrief_places_each_team_among_the_models_own_runs(tmp_path):
    from sim.wargame.debrief import daily_control, orders_table, standings, write_debrief

    game = Game(setup())
    play_three_turns(game)
    ranked = standings(game, runs=10)
    for standing in ranked:
        assert len(standing.simulated) == 10
        share = (standing.simulated < standing.result).mean()
        assert (
            share <= standing.percentile <= share + (standing.simulated == standing.result).mean()
        )
    control = daily_control(game)
    assert control.shape == (16, game.model.map.size)
    assert (control[-1] == game.model.controller).all()
    assert (control[0] == game.model.initial_controller).all()
    table = orders_table(game)
    assert len(table) == 3 * 2 and set(table["faction"]) == {"blue", "red"}
    html = write_debrief(game, tmp_path / "debrief", runs=5)
    text = html.read_text()
    assert "better than" in text or "the same as every" in text
    assert "data:image/png;base64," in text
    assert (tmp_path / "debrief" / "captures.parquet").is_file()
    assert (tmp_path / "debrief" / "orders.csv").read_text().startswith("turn,faction")


def test_turn_reports_do_not_give_a_zero_force_ratio_for_attackers_arriving_later():
    from sim.wargame.game import TurnReport

    capture = {"day": 13, "place": "Palmyra", "from": "isis", "to": "regime"}
    report = TurnReport("regime", 2, 8, 14, [capture | {"ratio": 0.0}],
                        [capture | {"ratio": float("inf")}], 0, 0, 0, 0, 0.4, 0.4)  # fmt: skip
    text = "\n".join(report.lines())
    assert "0.0:1" not in text and "inf" not in text
    assert "the attackers arrived during the turn" in text
    assert "undefended at the start of the turn" in text
    report.places_won[0]["ratio"] = 2.5
    assert "force ratio at the start of the turn 2.5:1" in "\n".join(report.lines())


def test_the_benchmark_runs_have_the_events_the_umpire_injected(tmp_path):
    """The team is placed among runs of the same war: the injected events happen in them
    on the same days (here blue's air surge, due on day 60, from day 0)."""
    from sim.model.model import FrontlineModel
    from sim.wargame.debrief import benchmark_run, standings, write_debrief

    game = Game(setup())
    game.inject("air_surge")
    game.advance()
    game.advance()
    assert game.injections() == {0: ["air_surge"]}
    seed = 11
    run = benchmark_run(game, seed)
    plain = FrontlineModel(game.scenario, seed=seed, days=10)
    plain.run_model()
    assert run.day == 10 and run.event_log == [(0, "air_surge")]
    assert run.params.sorties[run.faction_number("blue")] == 20
    assert run.strike_log()[:, 4].sum() > plain.strike_log()[:, 4].sum()
    (blue, red) = standings(game, runs=2)
    seeds = np.random.SeedSequence(3).generate_state(2)
    assert list(red.simulated) == [holdings(benchmark_run(game, int(s)), "red") for s in seeds]
    html = write_debrief(game, tmp_path, runs=2, ranked=[blue, red]).read_text()
    assert "injected events on the same days: air_surge (day 0)" in html
