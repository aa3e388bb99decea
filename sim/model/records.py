"""The named records the compiled day works on: state, world, rules and books.

The day's kernels read and change the model's arrays. They get them in four records,
numba structrefs whose fields are read by name inside the kernels:

- `State`: what changes day by day (control, forces, morale, reserves, manpower in
  transit, supply, who fought, the standing objectives of factions under orders);
- `World`: the map and the relations between factions (fixed between events);
- `Rules`: every faction's parameters and the shared combat and morale parameters;
- `Books`: the manpower ledger, the day's losses, strikes and captures, the tally.

A record is bound by name: each field is taken from the one owner object that has an
attribute of that name (the model, its map, its parameters, its ledger, its buffers),
so no list of arrays is ever matched by position. A record holds the owners' arrays
themselves, not copies: what the kernels change is the model's, and the model changes
them in place between days. Records are bound again only when parameters change (an
event), since gathering ~80 attributes costs more than a tenth of a day.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.core import types
from numba.experimental import structref

STATE = (
    "controller", "forces", "morale", "reserve", "base_morale", "incoming", "transit",
    "supplied", "engaged", "allowed_targets", "under_orders",
)  # fmt: skip
WORLD = (
    "population", "terrain", "region", "neighbours_start", "neighbours", "value", "vital",
    "friendly", "hostile", "sources", "travel", "reachable",
)  # fmt: skip
RULES = (
    # per faction
    "ground", "home_region", "break_point", "lethality", "recruitment_rate", "desertion",
    "commit", "aggression", "attack_ratio", "defend_ratio", "garrison", "max_offensives",
    "min_attack", "vital_only_below", "sorties", "casualties_per_sortie", "morale_shock",
    "engaged_bonus", "targeting", "air_weight",
    # shared
    "morale_weight", "unsupplied_effectiveness", "min_force", "loss_sensitivity", "recovery",
    "siege_penalty", "rout_desertion", "victory_bonus", "defeat_penalty",
)  # fmt: skip
BOOKS = (
    # the ledger, per faction, since day 0
    "recruited", "deserted", "combat_losses", "strike_losses", "routs",
    # the day's records
    "day_combat_losses", "day_strike_losses", "day_morale_hit", "day_strikes_received",
    "day_strike_log", "day_captures", "tally",
)  # fmt: skip


class _RecordType(types.StructRef):
    """A structref whose field types are taken from the values it is built with."""

    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(kind)) for name, kind in fields)


@structref.register
class StateType(_RecordType):
    pass


@structref.register
class WorldType(_RecordType):
    pass


@structref.register
class RulesType(_RecordType):
    pass


@structref.register
class BooksType(_RecordType):
    pass


class State(structref.StructRefProxy):
    """The war's state (fields: `STATE`)."""


class World(structref.StructRefProxy):
    """The map and the relations (fields: `WORLD`)."""


class Rules(structref.StructRefProxy):
    """The parameters (fields: `RULES`)."""


class Books(structref.StructRefProxy):
    """The accounts and the day's records (fields: `BOOKS`)."""


structref.define_proxy(State, StateType, list(STATE))
structref.define_proxy(World, WorldType, list(WORLD))
structref.define_proxy(Rules, RulesType, list(RULES))
structref.define_proxy(Books, BooksType, list(BOOKS))


# Built by cached compiled functions: a record's constructor called from Python compiles
# afresh in every process (seconds), one compiled here is loaded from the cache.
@njit(cache=True)
def _new_state(values):
    return State(*values)


@njit(cache=True)
def _new_world(values):
    return World(*values)


@njit(cache=True)
def _new_rules(values):
    return Rules(*values)


@njit(cache=True)
def _new_books(values):
    return Books(*values)


RECORDS = {
    "state": (STATE, _new_state),
    "world": (WORLD, _new_world),
    "rules": (RULES, _new_rules),
    "books": (BOOKS, _new_books),
}


def owner_of(name: str, owners: tuple[object, ...]) -> object:
    """The one owner with an attribute `name` (ValueError if none or several have it)."""
    found = [owner for owner in owners if hasattr(owner, name)]
    if len(found) != 1:
        what = "no owner has" if not found else f"{len(found)} owners have"
        raise ValueError(f"{what} a field named {name!r}")
    return found[0]


def bind(record: str, owners: tuple[object, ...]):
    """Record `record` ("state", "world", "rules" or "books") of the owners' attributes
    of the same names as its fields."""
    fields, build = RECORDS[record]
    return build(tuple(_kernel_value(getattr(owner_of(n, owners), n)) for n in fields))


def _kernel_value(value):
    """Numbers as the kernels type them (a whole-number float read from a file stays a
    float); arrays as they are."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    return float(value)
