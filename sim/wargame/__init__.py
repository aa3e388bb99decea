"""The classroom wargame's engine: teams' orders, the fog of war, games and their store,
and the after-action debrief. Imports `sim.formats`, `sim.model` and `sim.outcomes`;
never the dashboards."""
