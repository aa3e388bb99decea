"""Frontline: an agent-based simulation of front-line dynamics, built on Mesa.

Subpackages, in the direction of their imports (each may import only those before it):

- `sim.formats`: the file formats (scenario and experiment tables, their validation, the
  map built from a file); knows nothing of the model;
- `sim.model`: the Mesa model and its mechanisms (factions and doctrine, logistics, air,
  combat, morale, recruitment, events; the compiled day);
- `sim.outcomes`: what a run produced (summary, time series, metrics, pages);
- `sim.experiments`: experiments, sweeps, results stores and reports;
- `sim.wargame`: the classroom wargame's engine (orders, fog of war, games, debriefs);
- `sim.cli`: the `frontline` command.

Importing `sim` does nothing else: no model, no compiled kernel, no global setting.
"""

__version__ = "0.2.0"
