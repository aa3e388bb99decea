"""File formats: scenario and experiment tables, their validation, the map built from a
file, and the problems reported about them. Imports nothing else of `sim`."""
