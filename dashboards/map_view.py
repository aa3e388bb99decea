"""The map of a run as an SVG string: who holds what, where the forces and the front are.

Places sit at their coordinates, filled with the controller's colour and sized by
population; a ring shows the forces there (dashed in the attacker's colour when an
enemy is fighting for it); roads whose ends are held by enemies are the front line,
drawn in red; a star marks the day's air strikes. Hovering shows a tooltip (SVG
`<title>`); `data-place` on each place lets the Vue wrapper (map_view.vue) report clicks.
"""

from __future__ import annotations

import numpy as np
import solara

from dashboards.svg import Frame, esc, fit

UNHELD = "#f4f4f4"
FRONT = "#e6194b"
STRIKE = "#ff8c00"
WIDTH = 640
MAX_LABELS = 24


def strikes_today(model) -> dict[int, list[tuple[int, int, float]]]:
    """{place: [(air faction, target faction, sorties)]} of the model's current day."""
    found: dict[int, list[tuple[int, int, float]]] = {}
    for air, target, place, sorties, _ in model.strikes_on(model.day):
        if sorties > 0:
            found.setdefault(int(place), []).append((int(air), int(target), float(sorties)))
    return found


class MapPainter:
    """Draws one model's map; the parts that never change are built once."""

    def __init__(self, model, width: int = WIDTH):
        world = model.map
        self.grid = "cell" in world.kinds
        self.frame: Frame = fit(world.coords, world.geographic, width, grid=self.grid)
        self.names = world.names
        self.ends = world.road_ends
        population = world.population
        top = population.max() if population.max() > 0 else 1.0
        self.radius = 3.0 + 9.0 * np.sqrt(population / top)
        if self.grid:
            named = np.array([kind != "cell" for kind in world.kinds])
            self.radius = np.where(named, np.maximum(self.radius, 5.0), 0.0)
        self.labelled = _labelled(world, self.grid)
        self.force_scale = max(float(model.forces.sum(axis=0).max()), 1.0)
        self.colors = [f.color for f in model.factions]
        self.labels = [f.label for f in model.factions]
        self.details = [
            f"{esc(name)}\n{esc(world.kinds[p])}, population {population[p]:,.0f}"
            + (f", region {esc(world.regions[world.region[p]])}" if world.regions[0] else "")
            for p, name in enumerate(world.names)
        ]
        self.roads = "" if self.grid else self._roads()

    def _roads(self) -> str:
        fx, fy = self.frame.x, self.frame.y
        path = "".join(f"M{fx[a]:.0f} {fy[a]:.0f}L{fx[b]:.0f} {fy[b]:.0f}" for a, b in self.ends)
        return f'<path d="{path}" stroke="#b8b8b8" stroke-width="1.2" fill="none"/>'

    def svg(self, model, selected: int | None = None, strikes: dict | None = None) -> str:
        """The map of the model's current day."""
        frame, controller = self.frame, model.controller
        strikes = strikes_today(model) if strikes is None else strikes
        parts = [
            f'<svg class="fl-map" data-day="{model.day}" xmlns="http://www.w3.org/2000/svg" '
            f'width="{frame.width}" height="{frame.height}" '
            f'viewBox="0 0 {frame.width} {frame.height}" font-family="sans-serif">',
            f'<rect width="{frame.width}" height="{frame.height}" fill="#fbfbf8"/>',
        ]
        if self.grid:
            parts.append(self._cells(controller))
        parts += [self.roads, self._front(model)]
        parts += [self._place(model, p, p == selected) for p in range(len(self.names))]
        parts += [self._strike(model, p, rows) for p, rows in strikes.items()]
        parts += [self._label(p, p == selected) for p in range(len(self.names))]
        date = model.date_of(model.day)
        when = f"{date.isoformat()} · day {model.day}" if date else f"day {model.day}"
        parts.append(
            f'<text x="{frame.width - 6}" y="{frame.height - 6}" text-anchor="end" '
            f'font-size="13" font-weight="bold" fill="#333" stroke="#fbfbf8" stroke-width="3" '
            f'paint-order="stroke">{when}</text></svg>'
        )
        return "".join(parts)

    def _cells(self, controller: np.ndarray) -> str:
        half = self.frame.cell / 2
        return "".join(
            f'<rect x="{x - half:.1f}" y="{y - half:.1f}" width="{2 * half:.1f}" '
            f'height="{2 * half:.1f}" fill="{self._fill(c)}" fill-opacity="0.35" '
            f'stroke="#ffffff" stroke-width="0.5"/>'
            for x, y, c in zip(self.frame.x, self.frame.y, controller, strict=True)
        )

    def _front(self, model) -> str:
        a, b = self.ends[:, 0], self.ends[:, 1]
        ca, cb = model.controller[a], model.controller[b]
        held = (ca >= 0) & (cb >= 0)
        front = np.flatnonzero(held & model.hostile[np.maximum(ca, 0), np.maximum(cb, 0)])
        if len(front) == 0:
            return ""
        fx, fy = self.frame.x, self.frame.y
        path = "".join(
            f"M{fx[a[e]]:.0f} {fy[a[e]]:.0f}L{fx[b[e]]:.0f} {fy[b[e]]:.0f}" for e in front
        )
        return (
            f'<path class="fl-front" d="{path}" stroke="{FRONT}" stroke-width="3" '
            f'stroke-opacity="0.75" fill="none"><title>front line: {len(front)} roads '
            f"between enemies</title></path>"
        )

    def _fill(self, c: int) -> str:
        return self.colors[c] if c >= 0 else UNHELD

    def _place(self, model, p: int, selected: bool) -> str:
        x, y, r = self.frame.x[p], self.frame.y[p], self.radius[p]
        forces = model.forces[:, p]
        total = forces.sum()
        c = int(model.controller[p])
        title = self._title(model, p, forces)
        body = []
        if total > 0:
            ring = max(r, 2.0) + 2.0 + 11.0 * np.sqrt(total / self.force_scale)
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{ring:.1f}" fill="none" '
                f'stroke="#444" stroke-opacity="0.55" stroke-width="1.5"/>'
            )
            attackers = [f for f in np.flatnonzero(forces) if c >= 0 and model.hostile[c, f]]
            if attackers:
                attacker = max(attackers, key=lambda f: forces[f])
                body.append(
                    f'<circle class="fl-attack" cx="{x:.1f}" cy="{y:.1f}" r="{ring + 2.5:.1f}" '
                    f'fill="none" stroke="{self.colors[attacker]}" stroke-width="2.5" '
                    f'stroke-dasharray="4 3"/>'
                )
        if r > 0:
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{self._fill(c)}" '
                f'stroke="{"#ffbf00" if selected else "#222"}" '
                f'stroke-width="{3 if selected else 0.8}"/>'
            )
        elif selected:
            half = self.frame.cell / 2
            body.append(
                f'<rect x="{x - half:.1f}" y="{y - half:.1f}" width="{2 * half:.1f}" '
                f'height="{2 * half:.1f}" fill="none" stroke="#ffbf00" stroke-width="3"/>'
            )
        hit = max(r, self.frame.cell / 2, 6.0)
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{hit:.1f}" fill="transparent" '
            f'style="cursor:pointer"/>'
        )
        return f'<g class="fl-place" data-place="{p}"><title>{title}</title>{"".join(body)}</g>'

    def _title(self, model, p: int, forces: np.ndarray) -> str:
        c = int(model.controller[p])
        lines = [self.details[p], f"held by {esc(self.labels[c]) if c >= 0 else 'nobody'}"]
        for f in np.argsort(-forces):
            if forces[f] <= 0:
                break
            lines.append(
                f"{esc(self.labels[f])}: {forces[f]:,.0f} fighters, morale {model.morale[f, p]:.2f}"
            )
        return "\n".join(lines)

    def _strike(self, model, p: int, rows: list) -> str:
        x, y, r = self.frame.x[p], self.frame.y[p], max(self.radius[p], 4.0)
        sorties = sum(s for _, _, s in rows)
        size = 9 + 3 * np.sqrt(sorties)
        text = "; ".join(
            f"{esc(self.labels[a])}: {s:.0f} sorties on {esc(self.labels[t])}" for a, t, s in rows
        )
        return (
            f'<text class="fl-strike" x="{x + r * 0.6:.1f}" y="{y - r * 0.6:.1f}" '
            f'font-size="{size:.0f}" fill="{STRIKE}" stroke="#7a3d00" stroke-width="0.6" '
            f'text-anchor="middle" dominant-baseline="central">✸<title>air strikes today at '
            f"{esc(self.names[p])}: {text}</title></text>"
        )

    def _label(self, p: int, selected: bool) -> str:
        if not (selected or self.labelled[p]):
            return ""
        x, y = self.frame.x[p], self.frame.y[p]
        offset = max(self.radius[p], 3.0) + 3
        weight = "bold" if selected else "normal"
        anchor = "start" if x < self.frame.width - 90 else "end"
        x = x + offset if anchor == "start" else x - offset
        return (
            f'<text x="{x:.1f}" y="{y + 3.5:.1f}" font-size="10" font-weight="{weight}" '
            f'text-anchor="{anchor}" fill="#222" stroke="#fbfbf8" stroke-width="2.5" '
            f'paint-order="stroke" pointer-events="none">{esc(self.names[p])}</text>'
        )


def _labelled(world, grid: bool) -> np.ndarray:
    """Which places get a name on the map: named grid cells, else the most important."""
    if grid:
        return np.array([kind != "cell" for kind in world.kinds])
    important = world.has_tag("vital") | world.has_tag("symbolic")
    score = world.population + 1e9 * important
    chosen = np.zeros(world.size, dtype=bool)
    chosen[np.argsort(-score)[:MAX_LABELS]] = True
    return chosen


def legend_html(model, strikes: dict) -> str:
    """Faction colours with places held, today's sorties of air factions, and the symbols."""
    held = np.bincount(model.controller[model.controller >= 0], minlength=len(model.factions))
    flown = np.zeros(len(model.factions))
    for rows in strikes.values():
        for air, _, sorties in rows:
            flown[air] += sorties
    items = []
    for f in model.factions:
        if held[f.index] == 0 and model.forces[f.index].sum() == 0 and flown[f.index] == 0:
            continue
        what = f"{held[f.index]} places" if model.params.ground[f.index] else "air"
        if flown[f.index]:
            what += f", ✸ {flown[f.index]:.0f} sorties today"
        items.append(
            f'<span class="fl-key"><span class="fl-swatch" style="background:{esc(f.color)}">'
            f"</span>{esc(f.label)} <small>({what})</small></span>"
        )
    symbols = (
        '<span class="fl-key"><small>○ ring: forces there · dashed ring: under attack · '
        f'<span style="color:{FRONT}">━</span> front line · '
        f'<span style="color:{STRIKE}">✸</span> air strikes today · size: population'
        "</small></span>"
    )
    return f'<div class="fl-legend">{"".join(items)}{symbols}</div>'


@solara.component_vue("map_view.vue")
def MapView(svg: str, event_select=None):
    """The map's SVG in the page; clicking a place calls `event_select(place number)`."""
