"""A plain Mesa reference model: each brigade an agent stepping in Python.

The reference for `speed.py`: the straightforward way to write such a model in Mesa,
on the same map and factions as Frontline's synthetic scenario. It does less per day
than Frontline (no supply, air, morale, recruitment or doctrine): brigades on a Mesa
network move towards enemy places and fight Lanchester duels with whoever they meet.
"""

from __future__ import annotations

import mesa
import numpy as np
from mesa.discrete_space import CellAgent, Network

from sim.formats.scenario import Scenario

BRIGADE_SIZE = 250.0


class Brigade(CellAgent):
    """A unit of one faction at one place."""

    def __init__(self, model: PlainMesaModel, faction: int, strength: float, cell):
        super().__init__(model)
        self.faction = faction
        self.strength = strength
        self.cell = cell

    def step(self) -> None:
        enemies = [
            a
            for a in self.cell.agents
            if isinstance(a, Brigade) and self.model.hostile[self.faction, a.faction]
        ]
        if enemies:
            target = self.random.choice(enemies)
            target.strength -= self.model.lethality * self.strength * self.random.random() * 2
            return
        fronts = [
            c
            for c in self.cell.neighborhood
            if self.model.hostile[self.faction, self.model.controller[c.coordinate]]
        ]
        if fronts and self.random.random() < 0.2:
            self.cell = self.random.choice(fronts)


class PlainMesaModel(mesa.Model):
    """Brigades fighting over the scenario's map, one Python agent step each per day."""

    def __init__(self, scenario: Scenario, seed: int = 0):
        super().__init__(rng=seed)
        world = scenario.map
        keys = list(scenario.spec.factions)
        self.space = Network(world.graph(), random=self.random)
        self.lethality = 0.002
        self.controller = np.array(
            [keys.index(p.controller) if p.controller else -1 for p in scenario.places.values()]
        )
        self.hostile = np.zeros((len(keys) + 1, len(keys) + 1), dtype=bool)
        for a, faction in enumerate(scenario.spec.factions.values()):
            for other, relation in faction.relations.items():
                self.hostile[a, keys.index(other)] = relation == "enemy"
        for a, faction in enumerate(scenario.spec.factions.values()):
            for place, manpower in faction.forces.items():
                cell = self.space._cells[world.index(place)]
                for _ in range(max(1, int(manpower // BRIGADE_SIZE))):
                    Brigade(self, a, min(manpower, BRIGADE_SIZE), cell)
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "places_held": lambda m: np.bincount(m.controller + 1, minlength=len(keys) + 1)
            }
        )

    def step(self) -> None:
        self.agents.shuffle_do("step")
        for brigade in [a for a in self.agents if a.strength <= 0]:
            brigade.remove()
        for cell in self.space.all_cells:
            holders = {a.faction for a in cell.agents}
            if len(holders) == 1:
                self.controller[cell.coordinate] = holders.pop()
        self.datacollector.collect(self)
