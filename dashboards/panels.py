"""Text panels of a run as small HTML strings: a place's details, the capture log, the events."""

from __future__ import annotations

import numpy as np

from dashboards.svg import esc

LOG_ROWS = 40


def _chip(model, f: int | None) -> str:
    if f is None or f < 0:
        return "<i>unheld</i>"
    faction = model.factions[f]
    return (
        f'<span class="fl-swatch" style="background:{esc(faction.color)}"></span>'
        f"{esc(faction.label)}"
    )


def _when(model, day: int) -> str:
    date = model.date_of(day)
    return f"day {day}" + (f" ({date.isoformat()})" if date else "")


def place_details(model, p: int) -> str:
    """Everything about place `p` today: holder, forces and morale, supply, its captures."""
    world = model.map
    tags = ", ".join(sorted(world.tags[p])) or "none"
    c = int(model.controller[p])
    rows = []
    for f in np.argsort(-model.forces[:, p]):
        if model.forces[f, p] <= 0:
            break
        supplied = "yes" if model.supplied[f, p] else "<b>cut off</b>"
        rows.append(
            f"<tr><td>{_chip(model, int(f))}</td><td>{model.forces[f, p]:,.0f}</td>"
            f"<td>{model.morale[f, p]:.2f}</td><td>{supplied}</td></tr>"
        )
    forces = (
        "<table class='fl-table'><tr><th>faction</th><th>fighters</th><th>morale</th>"
        f"<th>supplied</th></tr>{''.join(rows)}</table>"
        if rows
        else "<p>No forces here.</p>"
    )
    name = world.names[p]
    taken = [k for k in model.captures if k.place == name]
    history = "".join(
        f"<li>{_when(model, k.day)}: {esc(k.previous or 'unheld')} → {esc(k.new)}</li>"
        for k in taken
    )
    region = world.regions[world.region[p]]
    return (
        f'<div class="fl-details"><h4>{esc(name)}</h4>'
        f"<p>{esc(world.kinds[p])}{', ' + esc(region) if region else ''} · population "
        f"{world.population[p]:,.0f} · terrain ×{world.terrain[p]:g} · tags: {esc(tags)}</p>"
        f"<p>Held by {_chip(model, c)}</p>{forces}"
        f"<p>Changed hands: {len(taken)} time(s)</p><ul>{history}</ul></div>"
    )


def capture_log(model) -> str:
    """The most recent captures first."""
    if not model.captures:
        return '<div class="fl-log"><b>Captures</b><p>None yet.</p></div>'
    index = {f.key: f.index for f in model.factions}
    rows = "".join(
        f"<tr><td>{_when(model, k.day)}</td><td>{esc(k.place)}</td>"
        f"<td>{_chip(model, index.get(k.previous, -1))}</td>"
        f"<td>→ {_chip(model, index[k.new])}</td></tr>"
        for k in reversed(model.captures[-LOG_ROWS:])
    )
    more = len(model.captures) - LOG_ROWS
    note = f"<p><small>and {more} earlier</small></p>" if more > 0 else ""
    return (
        f'<div class="fl-log"><b>Captures ({len(model.captures)})</b>'
        f'<table class="fl-table">{rows}</table>{note}</div>'
    )


def event_log(model) -> str:
    """The scheduled events that have fired, most recent first, with their descriptions."""
    if not model.event_log:
        return ""
    rows = "".join(
        f"<tr><td>{_when(model, day)}</td><td>{esc(model.spec.events[name].description or name)}"
        f"</td></tr>"
        for day, name in reversed(model.event_log[-LOG_ROWS:])
    )
    return f'<div class="fl-log"><b>Events</b><table class="fl-table">{rows}</table></div>'
