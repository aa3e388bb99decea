"""What the model records every day: the per-faction series, read by a Mesa DataCollector.

The compiled day fills a small tally (series x factions) in place; the model appends it
to a growing array, so a day's data costs one copy of a few dozen numbers, not a deep
copy of Python objects. Mesa's `DataCollector` is kept as the user's window on it:
`model.datacollector.get_model_vars_dataframe()` is a tidy table, one row per (day,
faction) with one column per named series, ready to plot; the capture log is its
"captures" table.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

FACTION_SERIES = (
    "places_held",
    "population_held",
    "manpower",
    "morale",
    "strikes_received",
    "losses",
)
CAPTURE_COLUMNS = ["day", "place", "from", "to"]


class DailySeries:
    """Rows of a fixed shape appended day by day (the storage doubles when full)."""

    def __init__(self, row_shape: tuple[int, ...], capacity: int = 64):
        self._rows = np.zeros((capacity, *row_shape))
        self._length = 0

    def append(self, row: np.ndarray) -> None:
        self.storage(self._length + 1)[self._length - 1] = row

    def storage(self, length: int) -> np.ndarray:
        """The storage, grown to hold `length` rows, for a compiled loop to write rows
        in place; the rows up to `length` count as appended."""
        while len(self._rows) < length:
            self._rows = np.concatenate([self._rows, np.zeros_like(self._rows)])
        self._length = max(self._length, length)
        return self._rows

    def view(self) -> np.ndarray:
        """The rows so far, read-only."""
        rows = self._rows[: self._length]
        rows.flags.writeable = False
        return rows

    def __len__(self) -> int:
        return self._length


class FrontlineCollector(mesa.DataCollector):
    """Mesa's DataCollector over the model's daily series and capture log.

    The model reporters are the named series, one per faction (`"places_held"` and so
    on); collecting a day appends the day's tally instead of calling them one by one.
    """

    def __init__(self, model):
        self._model = model
        super().__init__(
            model_reporters={name: _reporter(i) for i, name in enumerate(FACTION_SERIES)},
            tables={"captures": CAPTURE_COLUMNS},
        )

    def collect(self, model) -> None:
        model.series.append(model.tally)

    @property
    def model_vars(self) -> dict[str, list[np.ndarray]]:
        """Mesa's table of the model reporters' values, one per collected day (what
        `mesa.batch_run` reads): each series' values for every faction, read from the
        daily series (no copy is kept per day)."""
        values = self._model.series.view()
        return {name: list(values[:, i, :]) for i, name in enumerate(FACTION_SERIES)}

    @model_vars.setter
    def model_vars(self, _: dict) -> None:
        """Mesa's constructor starts the table empty; the daily series hold it."""

    @property
    def _collection_steps(self) -> list[int]:
        """The days collected (mesa >= 3.5's `batch_run` looks a step up in it)."""
        return list(range(len(self._model.series)))

    @_collection_steps.setter
    def _collection_steps(self, _: list) -> None:
        """Mesa's constructor starts it empty; the daily series count the days."""

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """One row per (day, faction): the day, the faction's key and every series."""
        model = self._model
        values = model.faction_series()
        keys = [f.key for f in model.factions]
        frame = pd.DataFrame(
            {
                "day": np.repeat(np.arange(len(values)), len(keys)),
                "faction": np.tile(keys, len(values)),
            }
        )
        for i, name in enumerate(FACTION_SERIES):
            frame[name] = values[:, i, :].ravel()
        return frame


def _reporter(row: int):
    """A reporter of one series: its values for every faction today."""
    return lambda model: model.tally[row].copy()
