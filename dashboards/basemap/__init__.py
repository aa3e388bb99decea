"""The base map drawn under a geographic map: border, coast, governorates, rivers, lakes.

`syria.geojson` is derived from Natural Earth (public domain) by `derive.py`, which says
how and from which package; it is drawn offline, under the places and roads, wherever
the map's frame overlaps it (the Syria scenarios).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from dashboards.svg import Frame

SOURCE = Path(__file__).resolve().parent / "syria.geojson"
STYLES = {  # drawn in this order
    "governorate": 'stroke="#c9c2b8" stroke-width="0.8" stroke-dasharray="3 2"',
    "lake": 'stroke="#7fb2d9" stroke-width="1.2"',
    "river": 'stroke="#7fb2d9" stroke-width="1.6" stroke-opacity="0.9"',
    "coast": 'stroke="#6f9fc4" stroke-width="1.2"',
    "border": 'stroke="#8a8378" stroke-width="1.4"',
}


@functools.cache
def lines() -> dict[str, list[tuple[str, np.ndarray]]]:
    """The base map's lines by kind: [(name, (n, 2) lon/lat)]."""
    found: dict[str, list[tuple[str, np.ndarray]]] = {kind: [] for kind in STYLES}
    data = json.loads(SOURCE.read_text(encoding="utf-8"))
    for feature in data["features"]:
        kind = feature["properties"]["kind"]
        coords = np.array(feature["geometry"]["coordinates"], dtype=float)
        found[kind].append((feature["properties"].get("name", ""), coords))
    return found


def basemap_svg(frame: Frame) -> str:
    """The base map's lines in the frame's pixels (none if the frame lies elsewhere)."""
    parts = []
    box = (-frame.width, -frame.height, 2 * frame.width, 2 * frame.height)
    for kind, style in STYLES.items():
        paths = []
        for _, coords in lines()[kind]:
            x, y = frame.project(coords)
            if x.max() < box[0] or x.min() > box[2] or y.max() < box[1] or y.min() > box[3]:
                continue
            paths.append("M" + "L".join(f"{a:.0f} {b:.0f}" for a, b in zip(x, y, strict=True)))
        if paths:
            parts.append(
                f'<path class="fl-base-{kind}" d="{"".join(paths)}" fill="none" {style} '
                'stroke-linejoin="round" pointer-events="none"/>'
            )
    if not parts:
        return ""
    names = "".join(_river_name(frame, name, coords) for name, coords in lines()["river"])
    return f'<g class="fl-basemap">{"".join(parts)}{names}</g>'


def _river_name(frame: Frame, name: str, coords: np.ndarray) -> str:
    """The river's name in italics along its middle stretch."""
    x, y = frame.project(coords)
    middle = len(x) // 2
    a, b = max(middle - 1, 0), middle
    angle = float(np.degrees(np.arctan2(y[b] - y[a], x[b] - x[a])))
    if angle > 90 or angle < -90:
        angle += 180
    cx, cy = (x[a] + x[b]) / 2, (y[a] + y[b]) / 2
    return (
        f'<text class="fl-river-name" x="{cx:.1f}" y="{cy:.1f}" font-size="9" font-style="italic" '
        f'fill="#4f86b3" text-anchor="middle" transform="rotate({angle:.0f} {cx:.1f} {cy:.1f})" '
        f'dy="-3" pointer-events="none">{name}</text>'
    )
