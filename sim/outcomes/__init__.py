"""What a run produced: its summary, daily series, named metrics, and the pages that show
them. Imports `sim.formats` and `sim.model`."""
