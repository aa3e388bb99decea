"""Shared test helpers: small scenario tables built in code."""

from __future__ import annotations

import copy
import os
import secrets

import pytest

from sim.formats.scenario import scenario_from_table
from sim.model.model import FrontlineModel

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]

# The seed of the fuzz test (tests/test_fuzz.py), printed in the header of every test run:
# FRONTLINE_FUZZ_SEED=<seed> python -m pytest tests/test_fuzz.py replays a failure.
FUZZ_SEED = int(os.environ.get("FRONTLINE_FUZZ_SEED") or secrets.randbelow(2**32))


def pytest_report_header(config) -> str:
    return f"fuzz seed: {FUZZ_SEED} (replay: FRONTLINE_FUZZ_SEED={FUZZ_SEED})"


def duel_table(
    defenders: float = 1000.0,
    attackers: float = 800.0,
    defender_lethality: float = 0.01,
    attacker_lethality: float = 0.01,
    terrain: float = 1.0,
    days: int = 400,
) -> dict:
    """Two factions, one engagement: `red` holds Fort, `blue` attacks it from Camp.

    No reserves, recruitment, desertion, air, morale dynamics or manoeuvre (the
    documented switch `manoeuvre.enabled = false`), so the fight follows the Lanchester
    square law.
    """
    quiet_morale = {"loss_sensitivity": 0.0, "recovery": 0.0, "siege_penalty": 0.0}
    quiet = {"victory_bonus": 0.0, "defeat_penalty": 0.0}
    side = {"morale": 0.5, "break_point": 0.0}
    return {
        "run": {"days": days, "deterministic": True},
        "map": {
            "places": {
                "Fort": {"x": 0.0, "y": 0.0, "terrain": terrain, "controller": "red"},
                "Camp": {"x": 10.0, "y": 0.0, "controller": "blue"},
            },
            "roads": [{"from": "Fort", "to": "Camp", "km": 10.0}],
        },
        "factions": {
            "red": {
                **side,
                "lethality": defender_lethality,
                "forces": {"Fort": defenders},
                "supply_sources": ["Fort"],
                "relations": {"blue": "enemy"},
            },
            "blue": {
                **side,
                "lethality": attacker_lethality,
                "forces": {"Fort": attackers},
                "supply_sources": ["Camp"],
                "relations": {"red": "enemy"},
            },
        },
        "morale": {**quiet_morale, **quiet},
        "manoeuvre": {"enabled": False},
    }


def build(table: dict, **model_options) -> FrontlineModel:
    """A model of an in-memory scenario table."""
    return FrontlineModel(scenario_from_table(copy.deepcopy(table), "<test>"), **model_options)


@pytest.fixture(scope="session")
def valley_path():
    return ROOT / "scenarios" / "teaching" / "valley.toml"


@pytest.fixture(scope="session", autouse=True)
def _games_database(tmp_path_factory):
    """Wargames made by the tests (the dashboard served in-process too) go to a temporary
    database, never to games/ in the working tree."""
    if not os.environ.get("FRONTLINE_GAMES_DB"):
        folder = tmp_path_factory.mktemp("games")
        os.environ["FRONTLINE_GAMES_DB"] = str(folder / "frontline.sqlite")
    yield
