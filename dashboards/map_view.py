"""The map of a run as an SVG string: who holds what, where the forces and the front are.

Places sit at their coordinates, filled with the controller's colour and sized by
population; a ring shows the forces there (dashed in the attacker's colour when an
enemy is fighting for it); roads whose ends are held by enemies are the front line,
drawn in red; a star marks the day's air strikes. A geographic map over Syria is drawn
on its base map (border, coast, governorates, rivers and lakes: basemap.py); a grid map
shows its column and row numbers, so that a cell's id (x3y0) can be found. Names are
placed without overlapping (labels.py), more of them as the map is zoomed.

Hovering shows a tooltip (SVG `<title>`); `data-place` on each place lets the Vue wrapper
(map_view.vue) report clicks, and only the places take clicks: the strike markers, the
labels and the veils let them through to the place beneath.
"""

from __future__ import annotations

import numpy as np
import solara

from dashboards.basemap import basemap_svg
from dashboards.labels import FONT, place_labels
from dashboards.svg import Frame, esc, fit

UNHELD = "#f4f4f4"
FRONT = "#e6194b"
STRIKE = "#ff8c00"
HIGHLIGHT = "#ffbf00"
WIDTH = 640
FOG_PATTERN = (
    '<defs><pattern id="fl-fog" patternUnits="userSpaceOnUse" width="5" height="5" '
    'patternTransform="rotate(45)"><rect width="5" height="5" fill="#ffffff" '
    'fill-opacity="0.6"/><line x1="0" y1="0" x2="0" y2="5" stroke="#3c3c3c" '
    'stroke-width="1.6"/></pattern></defs>'
)


def strikes_today(model) -> dict[int, list[tuple[int, int, float]]]:
    """{place: [(air faction, target faction, sorties)]} of the model's current day."""
    found: dict[int, list[tuple[int, int, float]]] = {}
    for air, target, place, sorties, _ in model.strikes_on(model.day):
        if sorties > 0:
            found.setdefault(int(place), []).append((int(air), int(target), float(sorties)))
    return found


def label_order(world, grid: bool) -> list[int]:
    """The places to name, most important first: named cells of a grid map; otherwise
    vital and symbolic places, then by population."""
    if grid:
        named = [p for p in range(world.size) if world.kinds[p] != "cell"]
        return sorted(named, key=lambda p: -world.population[p])
    important = world.has_tag("vital") | world.has_tag("symbolic")
    score = world.population + 1e9 * important
    return [int(p) for p in np.argsort(-score, kind="stable")]


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
        self.force_scale = max(float(model.forces.sum(axis=0).max()), 1.0)
        self.colors = [f.color for f in model.factions]
        self.labels = [f.label for f in model.factions]
        self.details = [
            f"{esc(name)}\n{esc(world.kinds[p])}, population {population[p]:,.0f}"
            + (f", region {esc(world.regions[world.region[p]])}" if world.regions[0] else "")
            for p, name in enumerate(world.names)
        ]
        self.background = self._background(world)
        self.placed = place_labels(
            self.frame.x, self.frame.y, self.radius, self.names, label_order(world, self.grid),
            (self.frame.width, self.frame.height),
        )  # fmt: skip
        self.name_labels = "".join(self._label(label) for label in self.placed)

    def _background(self, world) -> str:
        frame = self.frame
        if self.grid:
            return self._grid_numbers(world)
        fx, fy = frame.x, frame.y
        path = "".join(f"M{fx[a]:.0f} {fy[a]:.0f}L{fx[b]:.0f} {fy[b]:.0f}" for a, b in self.ends)
        roads = f'<path d="{path}" stroke="#b8b8b8" stroke-width="1.2" fill="none"/>'
        base = basemap_svg(frame) if world.geographic else ""
        return base + roads

    def _grid_numbers(self, world) -> str:
        """Column numbers above a grid map and row numbers at its left (cell x3y0 is in
        column 3, row 0)."""
        coords = world.coords
        parts = []
        for number, column in enumerate(np.unique(coords[:, 0])):
            p = int(np.flatnonzero(coords[:, 0] == column)[0])
            parts.append(
                f'<text x="{self.frame.x[p]:.1f}" y="13" text-anchor="middle">x{number}</text>'
            )
        for number, row in enumerate(np.unique(coords[:, 1])):
            p = int(np.flatnonzero(coords[:, 1] == row)[0])
            parts.append(
                f'<text x="10" y="{self.frame.y[p] + 3:.1f}" text-anchor="middle">y{number}</text>'
            )
        return f'<g class="fl-grid-numbers" font-size="10" fill="#666">{"".join(parts)}</g>'

    def svg(
        self, model, selected: int | None = None, strikes: dict | None = None, marks: str = ""
    ) -> str:
        """The map of the model's current day; `marks`: SVG drawn over the places (the
        objectives of a team's orders)."""
        frame, controller = self.frame, model.controller
        strikes = strikes_today(model) if strikes is None else strikes
        self._strikes = strikes
        parts = [
            f'<svg class="fl-map" data-day="{model.day}" xmlns="http://www.w3.org/2000/svg" '
            f'width="{frame.width}" height="{frame.height}" '
            f'viewBox="0 0 {frame.width} {frame.height}" font-family="sans-serif">',
            FOG_PATTERN,
            f'<rect width="{frame.width}" height="{frame.height}" fill="#fbfbf8"/>',
        ]
        if self.grid:
            parts.append(self._cells(controller))
        parts += [self.background, self._front(model)]
        parts += [self._place(model, p, p == selected) for p in range(len(self.names))]
        parts += [self._strike(model, p, rows) for p, rows in strikes.items()]
        parts.append(marks)
        parts.append(f'<g class="fl-labels">{self.name_labels}</g>')
        if selected is not None and selected not in {label.place for label in self.placed}:
            parts.append(self._selected_label(selected))
        date = model.date_of(model.day)
        when = f"{date.isoformat()} · day {model.day}" if date else f"day {model.day}"
        parts.append(
            f'<text x="{frame.width - 6}" y="{frame.height - 6}" text-anchor="end" '
            f'font-size="13" font-weight="bold" fill="#333" stroke="#fbfbf8" stroke-width="3" '
            f'paint-order="stroke" pointer-events="none">{when}</text></svg>'
        )
        return "".join(parts)

    def _cells(self, controller: np.ndarray) -> str:
        half = self.frame.cell / 2
        return "".join(
            f'<rect x="{x - half:.1f}" y="{y - half:.1f}" width="{2 * half:.1f}" '
            f'height="{2 * half:.1f}" fill="{self._fill(c)}" fill-opacity="0.45" '
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
            f'stroke-opacity="0.75" fill="none" pointer-events="none"/>'
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
                f'stroke="{HIGHLIGHT if selected else "#222"}" '
                f'stroke-width="{3 if selected else 0.8}"/>'
            )
        elif selected:
            half = self.frame.cell / 2
            body.append(
                f'<rect x="{x - half:.1f}" y="{y - half:.1f}" width="{2 * half:.1f}" '
                f'height="{2 * half:.1f}" fill="none" stroke="{HIGHLIGHT}" stroke-width="3"/>'
            )
        hit = max(r, self.frame.cell / 2, 6.0)
        body.append(
            f'<circle class="fl-hit" cx="{x:.1f}" cy="{y:.1f}" r="{hit:.1f}" '
            f'fill="transparent" style="cursor:pointer"/>'
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
        return "\n".join(lines + self._strike_lines(p))

    def _strike_lines(self, p: int) -> list[str]:
        rows = getattr(self, "_strikes", {}).get(p, [])
        return [
            f"✸ air strikes today: {esc(self.labels[a])}, {s:.0f} sorties on {esc(self.labels[t])}"
            for a, t, s in rows
        ]

    def _strike(self, model, p: int, rows: list) -> str:
        """The star of a place struck today; it lets clicks through to the place."""
        del model
        x, y, r = self.frame.x[p], self.frame.y[p], max(self.radius[p], 4.0)
        sorties = sum(s for _, _, s in rows)
        size = 9 + 3 * np.sqrt(sorties)
        return (
            f'<text class="fl-strike" x="{x + r * 0.6:.1f}" y="{y - r * 0.6:.1f}" '
            f'font-size="{size:.0f}" fill="{STRIKE}" stroke="#7a3d00" stroke-width="0.6" '
            f'text-anchor="middle" dominant-baseline="central" pointer-events="none" '
            f'data-strike="{p}">✸</text>'
        )

    def _label(self, label) -> str:
        hidden = "display:none;" if label.zoom > 1 else ""
        return (
            f'<text class="fl-label" x="{label.x:.1f}" y="{label.y:.1f}" font-size="{FONT:g}" '
            f'data-size="{FONT:g}" data-minzoom="{label.zoom}" text-anchor="{label.anchor}" '
            f'dominant-baseline="central" fill="#222" stroke="#fbfbf8" stroke-width="2.5" '
            f'paint-order="stroke" pointer-events="none" style="{hidden}font-size:{FONT:g}px">'
            f"{esc(self.names[label.place])}</text>"
        )

    def _selected_label(self, p: int) -> str:
        """The selected place's name, when it has no label of its own at this zoom."""
        x, y = self.frame.x[p], self.frame.y[p]
        offset = max(self.radius[p], 3.0) + 3
        return (
            f'<text class="fl-selected-label" x="{x + offset:.1f}" y="{y:.1f}" font-size="11" '
            f'font-weight="bold" dominant-baseline="central" fill="#000" stroke="#fff" '
            f'stroke-width="3" paint-order="stroke" pointer-events="none">'
            f"{esc(self.names[p])}</text>"
        )


def factions_present(model, strikes: dict) -> tuple[list, list]:
    """(factions holding places or flying today, factions with forces but no places)."""
    held = np.bincount(model.controller[model.controller >= 0], minlength=len(model.factions))
    flown = np.zeros(len(model.factions))
    for rows in strikes.values():
        for air, _, sorties in rows:
            flown[air] += sorties
    present, without = [], []
    for f in model.factions:
        if held[f.index] or flown[f.index]:
            present.append((f, int(held[f.index]), float(flown[f.index])))
        elif model.forces[f.index].sum() > 0:
            without.append(f)
    return present, without


def legend_html(model, strikes: dict, fog: bool = False) -> str:
    """The factions on the map (places held, today's sorties), those fighting without
    places, and the symbols."""
    present, without = factions_present(model, strikes)
    items = []
    for f, held, flown in present:
        what = f"{held} places" if model.params.ground[f.index] else "air"
        if flown:
            what += f", ✸ {flown:.0f} sorties today"
        items.append(
            f'<span class="fl-key" data-faction="{esc(f.key)}"><span class="fl-swatch" '
            f'style="background:{esc(f.color)}"></span>{esc(f.label)} <small>({what})</small>'
            "</span>"
        )
    also = (
        f'<span class="fl-key fl-also"><small>also fighting, holding no place: '
        f"{esc(', '.join(f.label for f in without))}</small></span>"
        if without
        else ""
    )
    veil = (
        '<span class="fl-key"><svg width="12" height="12"><rect width="12" height="12" '
        'fill="url(#fl-fog-key)"/><defs><pattern id="fl-fog-key" patternUnits="userSpaceOnUse" '
        'width="5" height="5" patternTransform="rotate(45)"><rect width="5" height="5" '
        'fill="#fff"/><line x1="0" y1="0" x2="0" y2="5" stroke="#3c3c3c" stroke-width="1.6"/>'
        "</pattern></defs></svg> <small>hatched: not observed</small></span>"
        if fog
        else ""
    )
    symbols = (
        '<span class="fl-key"><small>○ ring: forces there · dashed ring: under attack · '
        f'<span style="color:{FRONT}">━</span> front line · '
        f'<span style="color:{STRIKE}">✸</span> air strikes today · size: population'
        "</small></span>"
    )
    return f'<div class="fl-legend">{"".join(items)}{also}{veil}{symbols}</div>'


@solara.component_vue("map_view.vue")
def MapView(svg: str, event_select=None):
    """The map's SVG in the page; clicking a place calls `event_select(place number)`;
    the wheel, the +/- buttons and dragging zoom and pan."""
