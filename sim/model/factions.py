"""Factions: Mesa agents holding their parameters.

A faction's hot state (forces and morale per place, its reserve) lives in the model's
arrays; the agent holds what the faction *is* (its `FactionSpec`, changed by events).
How it decides is its doctrine (`sim.model.doctrine`): the compiled default, or a
`decide` method written in Python by subclassing `Faction`.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import weakref

import mesa
import numpy as np

from sim.formats.map import Map
from sim.formats.schema import FactionSpec
from sim.model.doctrine import Orders, attackable_places

PALETTE = ["#d62728", "#2ca02c", "#1f77b4", "#000000", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]
PALETTE += ["#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#98df8a", "#ff9896", "#c5b0d5"]


class _AgentNumbers(weakref.WeakKeyDictionary):
    """Mesa 3.3's per-model counters of agent numbers (`Agent._ids`), held weakly.

    Mesa 3.3 numbers agents from a class-level dictionary keyed by model, which keeps
    every model ever built alive (a sweep worker grew by about 1 MB a run). Here the
    counter goes with its model. Mesa 3.5 numbers agents in the model and never reads
    `_ids`."""

    def __getitem__(self, model: mesa.Model) -> itertools.count:
        counter = self.get(model)
        if counter is None:
            counter = self[model] = itertools.count(1)
        return counter


class Faction(mesa.Agent):
    """One side in the war: a Mesa agent whose parameters events may change."""

    _ids = _AgentNumbers()  # read by mesa 3.3's Agent.__init__; see _AgentNumbers

    def __init__(self, model: mesa.Model, key: str, spec: FactionSpec, index: int):
        super().__init__(model)
        self.key = key
        self.index = index
        self.spec = spec  # shared with the scenario until an event changes it: see own_spec
        self._spec_is_own = False
        self.label = spec.label or key
        self.color = spec.color or PALETTE[index % len(PALETTE)]

    def own_spec(self) -> FactionSpec:
        """The faction's spec, copied on the first change so the scenario stays intact."""
        if not self._spec_is_own:
            self.spec = copy.deepcopy(self.spec)
            self._spec_is_own = True
        return self.spec

    @property
    def is_militia(self) -> bool:
        """Whether it recruits and fights only in its home region."""
        return self.spec.home_region is not None

    # --- a doctrine of your own --------------------------------------------------

    def decide(self) -> Orders | None:
        """Today's orders, or None to let the compiled doctrine decide (the default).

        Override it in a subclass to give the faction a doctrine written in Python; the
        model calls it every day after arrivals and supply, before the day's fighting,
        with the war as it stands in `self.model` (see `docs/user-doctrine.md`)."""
        return None

    @property
    def has_python_doctrine(self) -> bool:
        """Whether this faction's class overrides `decide`."""
        return type(self).decide is not Faction.decide

    def held_places(self) -> list[str]:
        """Names of the places it holds now."""
        return [
            self.model.map.names[p] for p in np.flatnonzero(self.model.controller == self.index)
        ]

    def attackable_places(self) -> list[str]:
        """Names of the places it may attack now (enemy or unheld, next to ground its side
        holds and supplies, reachable, in its home region if it is a militia)."""
        allowed = attackable_places(self.model, self.index)
        return [self.model.map.names[p] for p in np.flatnonzero(allowed)]

    def __repr__(self) -> str:
        return f"Faction({self.key!r})"


@dataclasses.dataclass
class FactionParameters:
    """Every faction's parameters as arrays indexed by faction number (for the kernels),
    and per commander (each faction's own reserve, then each grouping)."""

    ground: np.ndarray
    home_region: np.ndarray
    break_point: np.ndarray
    lethality: np.ndarray
    recruitment_rate: np.ndarray
    desertion: np.ndarray
    commit: np.ndarray
    aggression: np.ndarray
    attack_ratio: np.ndarray
    defend_ratio: np.ndarray
    garrison: np.ndarray
    max_offensives: np.ndarray
    min_attack: np.ndarray
    vital_only_below: np.ndarray
    speed: np.ndarray
    travel_delay_days: np.ndarray
    temperature: np.ndarray
    threat_share: np.ndarray
    redeploy: np.ndarray
    redeploy_km: np.ndarray
    interior_garrison: np.ndarray
    vital_garrison: np.ndarray
    withdraw_ratio: np.ndarray
    withdraw_loss: np.ndarray
    pursuit: np.ndarray
    supply_range_km: np.ndarray
    sorties: np.ndarray
    casualties_per_sortie: np.ndarray
    morale_shock: np.ndarray
    suppression: np.ndarray
    engaged_bonus: np.ndarray
    targeting: np.ndarray  # (F, F): share of a's sorties on g; rows of zeros: no preference
    air_weight: np.ndarray  # (F, P): place weight as a target of a's sorties
    command_max_offensives: np.ndarray  # (C,)

    @classmethod
    def from_factions(cls, factions: list[Faction], world: Map) -> FactionParameters:
        """Gather the factions' current specs into arrays."""
        specs = [f.spec for f in factions]
        keys = [f.key for f in factions]
        rows = [_faction_values(spec, keys, world) for spec in specs]
        return cls(
            **{
                name: np.array([row[name] for row in rows], dtype=_DTYPES.get(name, float))
                for name in rows[0]
            },
            command_max_offensives=_command_max_offensives(specs),
        )

    def patch(self, factions: list[Faction], f: int, world: Map) -> set[str]:
        """Write faction f's parameters from its current spec into the arrays, in place
        (the compiled day's records hold these arrays); return the names that changed.
        Only f's spec may have changed since the arrays were made."""
        specs = [faction.spec for faction in factions]
        row = _faction_values(specs[f], [faction.key for faction in factions], world)
        changed = {name for name, value in row.items() if _differs(getattr(self, name)[f], value)}
        for name in changed:
            getattr(self, name)[f] = row[name]
        commands = _command_max_offensives(specs)
        if _differs(self.command_max_offensives, commands):
            self.command_max_offensives[:] = commands
            changed.add("command_max_offensives")
        return changed


_DTYPES = {"ground": np.bool_, "home_region": np.int64, "max_offensives": np.int64}
_DOCTRINE_NUMBERS = (
    "commit", "aggression", "attack_ratio", "defend_ratio", "garrison", "min_attack",
    "vital_only_below", "travel_delay_days", "temperature", "threat_share", "redeploy",
    "redeploy_km", "interior_garrison", "vital_garrison", "withdraw_ratio", "withdraw_loss",
    "pursuit", "supply_range_km",
)  # fmt: skip
_AIR_NUMBERS = ("casualties_per_sortie", "morale_shock", "suppression", "engaged_bonus")


def _faction_values(spec: FactionSpec, keys: list[str], world: Map) -> dict[str, object]:
    """One faction's parameters by name: numbers, and rows for `targeting` (over the
    factions) and `air_weight` (over the places)."""
    targeting = np.zeros(len(keys))
    for target, share in spec.air.targeting.items():
        targeting[keys.index(target)] = share
    air_weight = np.ones(world.size)
    for region, weight in spec.air.region_weights.items():
        air_weight[world.in_region(region)] *= weight
    for place, weight in spec.air.place_weights.items():
        air_weight[world.index(place)] *= weight
    return {
        "ground": not spec.air_only,
        "home_region": -1 if spec.home_region is None else world.regions.index(spec.home_region),
        "break_point": spec.break_point,
        "lethality": spec.lethality,
        "recruitment_rate": spec.recruitment.rate,
        "desertion": spec.recruitment.desertion,
        "max_offensives": spec.doctrine.max_offensives,
        "speed": spec.doctrine.speed_km_per_day,
        **{name: getattr(spec.doctrine, name) for name in _DOCTRINE_NUMBERS},
        "sorties": spec.air.sorties_per_day,
        **{name: getattr(spec.air, name) for name in _AIR_NUMBERS},
        "targeting": targeting,
        "air_weight": air_weight,
    }


def _command_max_offensives(specs: list[FactionSpec]) -> np.ndarray:
    """(C,) offensives at a time per commander: each faction's own, then each grouping's
    (a grouping without its own: its faction's)."""
    values = [s.doctrine.max_offensives for s in specs]
    for spec in specs:
        values += [
            spec.doctrine.max_offensives if g.max_offensives is None else g.max_offensives
            for g in spec.groupings.values()
        ]
    return np.array(values, dtype=np.int64)


def _differs(old: object, new: object) -> bool:
    """Whether a parameter's new value differs from the stored one (NaN equal to NaN)."""
    if isinstance(new, np.ndarray):
        return not np.array_equal(old, new)
    return not (old == new or (old != old and new != new))
