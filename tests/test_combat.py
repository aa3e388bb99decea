"""Combat against the Lanchester square law's closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.conftest import build, duel_table


def square_law_survivors(a0: float, b0: float, alpha: float, beta: float) -> tuple[float, float]:
    """Survivors (A, B) when A kills alpha per fighter per day and B kills beta."""
    strength = alpha * a0**2 - beta * b0**2
    if strength >= 0:
        return math.sqrt(strength / alpha), 0.0
    return 0.0, math.sqrt(-strength / beta)


def fight_to_the_end(table: dict, **options):
    """Run the duel; return the model and each side's fighters left at the Fort."""
    model = build(table, **options)
    model.run_model()
    fort = model.map.index("Fort")
    red, blue = model.faction_number("red"), model.faction_number("blue")
    return model, model.forces[red, fort], model.forces[blue, fort]


@pytest.mark.parametrize(
    ("defenders", "attackers", "red_lethality", "blue_lethality", "days"),
    [
        (1000, 800, 0.01, 0.01, 400),
        (1000, 800, 0.01, 0.02, 400),
        (600, 1500, 0.03, 0.005, 400),
        (5000, 4900, 0.004, 0.004, 1500),
    ],
)
def test_deterministic_duel_matches_square_law_within_one_percent(
    defenders, attackers, red_lethality, blue_lethality, days
):
    table = duel_table(defenders, attackers, red_lethality, blue_lethality, days=days)
    _, red, blue = fight_to_the_end(table)
    expected_red, expected_blue = square_law_survivors(
        defenders, attackers, red_lethality, blue_lethality
    )
    winner, expected = (red, expected_red) if expected_red > 0 else (blue, expected_blue)
    assert winner == pytest.approx(expected, rel=0.01)
    assert min(red, blue) == 0.0


def test_terrain_divides_the_attackers_fire():
    table = duel_table(1000, 1300, 0.01, 0.01, terrain=2.0)
    _, red, blue = fight_to_the_end(table)
    expected_red, _ = square_law_survivors(1000, 1300, 0.01, 0.01 / 2.0)
    assert blue == 0.0
    assert red == pytest.approx(expected_red, rel=0.01)


def test_the_winner_takes_the_place():
    model, _, _ = fight_to_the_end(duel_table(800, 1000))
    fort = model.map.index("Fort")
    assert model.controller[fort] == model.faction_number("blue")
    assert [(c.place, c.previous, c.new) for c in model.captures] == [("Fort", "red", "blue")]


def test_random_losses_average_to_the_closed_form():
    """Poisson losses: over 200 seeds the winner's mean survivors stay within 2 % of the
    closed form (the noise is a few percent per run, so the mean is far tighter; 2 %
    leaves room for the small bias that randomness adds to a non-linear process)."""
    table = duel_table(1000, 800, 0.01, 0.01)
    survivors = [fight_to_the_end(table, seed=s, deterministic=False)[1] for s in range(200)]
    expected, _ = square_law_survivors(1000, 800, 0.01, 0.01)
    assert np.mean(survivors) == pytest.approx(expected, rel=0.02)
    assert np.std(survivors) > 0
