"""Experiments: variants x design points x replicates, sweeps (local or Dask), the results
store and the report with its statistics. Imports `sim.formats`, `sim.model` and
`sim.outcomes`; never the wargame or the dashboards."""
