"""What a run produced: the summary, the daily time series, the strike log.

Everything here reads a finished (or paused) `FrontlineModel`; nothing changes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.air import STRIKE_LOG_COLUMNS
from sim.model.model import FACTION_SERIES, FrontlineModel
from sim.outcomes import metrics


def summary(model: FrontlineModel) -> dict:
    """The run's outcome as plain data (JSON-ready)."""
    keys = [f.key for f in model.factions]
    held = model.tally
    strikes = _strike_matrix(model)
    ledger = model.ledger
    manpower = model.manpower()
    return {
        "scenario": model.spec.name,
        "seed": model.seed,
        "days": model.day,
        "parameters": dict(model.drawn),
        "start_date": _iso(model.date_of(0)),
        "end_date": _iso(model.date_of(model.day)),
        "final_control": {
            name: keys[c] if c >= 0 else None
            for name, c in zip(model.map.names, model.controller, strict=False)
        },
        "control": {
            key: {"places": int(held[0, f]), "population": float(held[1, f])}
            for f, key in enumerate(keys)
        },
        "captures": [
            {
                "day": c.day,
                "date": _iso(model.date_of(c.day)),
                "place": c.place,
                "from": c.previous,
                "to": c.new,
            }
            for c in model.captures
        ],
        "manpower": {
            key: {
                "start": float(ledger.initial[f]),
                "recruited": float(ledger.recruited[f]),
                "added_by_events": float(ledger.added_by_events[f]),
                "combat_losses": float(ledger.combat_losses[f]),
                "strike_losses": float(ledger.strike_losses[f]),
                "deserted": float(ledger.deserted[f]),
                "end": float(manpower[f]),
            }
            for f, key in enumerate(keys)
            if model.params.ground[f]
        },
        "strikes": {
            keys[a]: {keys[g]: float(strikes[a, g]) for g in np.flatnonzero(strikes[a])}
            for a in np.flatnonzero(strikes.sum(axis=1))
        },
        "strikes_by_target": {
            keys[g]: float(strikes[:, g].sum()) for g in np.flatnonzero(strikes.sum(axis=0))
        },
        "routs": {f.key: int(model.routs[f.index]) for f in model.factions},
        "events": [{"day": day, "name": name} for day, name in model.event_log],
        "metrics": metrics.evaluate(model),
    }


def _strike_matrix(model: FrontlineModel) -> np.ndarray:
    """(F, F) sorties flown by each air faction against each target faction."""
    log = model.strike_log()
    n = len(model.factions)
    matrix = np.zeros((n, n))
    np.add.at(matrix, (log[:, 1].astype(int), log[:, 2].astype(int)), log[:, 4])
    return matrix


def _iso(date) -> str | None:
    return None if date is None else date.isoformat()


def timeseries(model: FrontlineModel) -> pd.DataFrame:
    """One row per (day, faction) with the collected series of `FACTION_SERIES`."""
    values = model.faction_series()
    days = np.arange(len(values))
    n_factions = values.shape[2]
    frame = pd.DataFrame(
        {
            "day": np.repeat(days, n_factions),
            "faction": np.tile([f.key for f in model.factions], len(days)),
        }
    )
    if model.start_date is not None:
        frame.insert(
            1, "date", pd.to_datetime(model.start_date) + pd.to_timedelta(frame["day"], "D")
        )
    for i, name in enumerate(FACTION_SERIES):
        frame[name] = values[:, i, :].ravel()
    return frame


def strike_table(model: FrontlineModel) -> pd.DataFrame:
    """Every strike: day, air faction, target faction, place, sorties, casualties."""
    log = model.strike_log()
    keys = np.array([f.key for f in model.factions])
    names = np.array(model.map.names)
    columns = dict(zip(("day", *STRIKE_LOG_COLUMNS), log.T, strict=False))
    return pd.DataFrame(
        {
            "day": columns["day"].astype(int),
            "air": keys[columns["air"].astype(int)],
            "target": keys[columns["target"].astype(int)],
            "place": names[columns["place"].astype(int)],
            "sorties": columns["sorties"],
            "casualties": columns["casualties"],
        }
    )


def format_summary(result: dict, scenario_metrics: list[str] = ()) -> str:
    """The summary as a readable text report, with the named metrics of the scenario."""
    lines = [f"Scenario {result['scenario']}, seed {result['seed']}: {result['days']} days"]
    if result["start_date"]:
        lines[0] += f" ({result['start_date']} to {result['end_date']})"
    lines += [
        "",
        "Final control",
        _table(
            ["faction", "places", "population"],
            [[key, c["places"], f"{c['population']:,.0f}"] for key, c in result["control"].items()],
        ),
    ]
    lines += ["", f"Captures ({len(result['captures'])})"]
    lines += [
        f"  day {c['day']:>4}  {c['place']}: {c['from'] or 'unheld'} -> {c['to']}"
        for c in result["captures"]
    ] or ["  none"]
    books = ("start", "recruited", "added_by_events", "combat_losses", "strike_losses")
    books += ("deserted", "end")
    lines += [
        "",
        "Manpower (start + recruited + by events - combat - strikes - deserted = end)",
        _table(
            ["faction", "start", "recruited", "by events", "combat", "strikes", "deserted", "end"],
            [[key, *(f"{m[k]:,.0f}" for k in books)] for key, m in result["manpower"].items()],
        ),
    ]
    lines += ["", "Air strikes (sorties) by target faction"]
    lines += [
        f"  {air}: " + ", ".join(f"{target} {n:,.0f}" for target, n in targets.items())
        for air, targets in result["strikes"].items()
    ] or ["  none"]
    if scenario_metrics:
        lines += ["", "Metrics of the scenario"]
        lines += [f"  {name}: {_number(result['metrics'][name])}" for name in scenario_metrics]
    return "\n".join(lines)


def _number(value: float | None) -> str:
    return "not reached" if value is None else f"{value:,.4g}"


def _table(header: list[str], rows: list[list]) -> str:
    cells = [header, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  "
        + "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=False))
        )
        for row in cells
    )
