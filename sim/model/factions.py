"""Factions: Mesa agents holding their parameters.

A faction's hot state (forces and morale per place, its reserve) lives in the model's
arrays; the agent holds what the faction *is* (its `FactionSpec`, changed by events).
How it decides is its doctrine (`sim.model.doctrine`): the compiled default, or a
`decide` method written in Python by subclassing `Faction`.
"""

from __future__ import annotations

import copy
import dataclasses

import mesa
import numpy as np

from sim.formats.map import Map
from sim.formats.schema import FactionSpec
from sim.model.doctrine import Orders, attackable_places

PALETTE = ["#d62728", "#2ca02c", "#1f77b4", "#000000", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]
PALETTE += ["#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#98df8a", "#ff9896", "#c5b0d5"]


class Faction(mesa.Agent):
    """One side in the war: a Mesa agent whose parameters events may change."""

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

        def column(get, dtype=float) -> np.ndarray:
            return np.array([get(s) for s in specs], dtype=dtype)

        def doctrine(name: str, dtype=float) -> np.ndarray:
            return column(lambda s: getattr(s.doctrine, name), dtype)

        def air(name: str) -> np.ndarray:
            return column(lambda s: getattr(s.air, name))

        targeting = np.zeros((len(specs), len(specs)))
        air_weight = np.ones((len(specs), world.size))
        for a, spec in enumerate(specs):
            for target, share in spec.air.targeting.items():
                targeting[a, keys.index(target)] = share
            for region, weight in spec.air.region_weights.items():
                air_weight[a, world.in_region(region)] *= weight
            for place, weight in spec.air.place_weights.items():
                air_weight[a, world.index(place)] *= weight
        grouping_limits = [  # a grouping without its own limit takes its faction's
            s.doctrine.max_offensives if g.max_offensives is None else g.max_offensives
            for s in specs
            for g in s.groupings.values()
        ]
        command_max_offensives = np.array(
            [s.doctrine.max_offensives for s in specs] + grouping_limits, dtype=np.int64
        )
        return cls(
            ground=column(lambda s: not s.air_only, np.bool_),
            home_region=column(
                lambda s: -1 if s.home_region is None else world.regions.index(s.home_region),
                np.int64,
            ),
            break_point=column(lambda s: s.break_point),
            lethality=column(lambda s: s.lethality),
            recruitment_rate=column(lambda s: s.recruitment.rate),
            desertion=column(lambda s: s.recruitment.desertion),
            max_offensives=doctrine("max_offensives", np.int64),
            speed=doctrine("speed_km_per_day"),
            **{
                name: doctrine(name)
                for name in (
                    "commit",
                    "aggression",
                    "attack_ratio",
                    "defend_ratio",
                    "garrison",
                    "min_attack",
                    "vital_only_below",
                    "travel_delay_days",
                    "temperature",
                    "threat_share",
                    "redeploy",
                    "redeploy_km",
                    "interior_garrison",
                    "vital_garrison",
                    "withdraw_ratio",
                    "withdraw_loss",
                    "pursuit",
                    "supply_range_km",
                )
            },
            sorties=air("sorties_per_day"),
            **{
                name: air(name)
                for name in (
                    "casualties_per_sortie",
                    "morale_shock",
                    "suppression",
                    "engaged_bonus",
                )
            },
            targeting=targeting,
            air_weight=air_weight,
            command_max_offensives=command_max_offensives,
        )
