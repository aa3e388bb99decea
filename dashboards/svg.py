"""Small helpers for drawing light SVG: escaping, number formats, fitting a map to pixels.

The dashboard draws its map and plots as SVG strings rather than matplotlib figures: a
string of a few kB is built in about a millisecond and the browser swaps it in, so a run
can play at tens of days per second (redrawing matplotlib figures every step is what
makes Mesa's SolaraViz slow, mesa #2701).
"""

from __future__ import annotations

import dataclasses
import html

import numpy as np

from sim.formats.map import project


def esc(text: object) -> str:
    """Text made safe inside SVG/HTML (names come from data files, never trusted)."""
    return html.escape(str(text), quote=True)


def short(value: float) -> str:
    """A number in a few characters: 950, 12.3k, 1.2M."""
    value = float(value)
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:.1f}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.0f}k"
    if magnitude >= 1e3:
        return f"{value / 1e3:.1f}k"
    if value == int(value):
        return f"{value:.0f}"
    return f"{value:.3g}"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above `value` (an axis maximum)."""
    if value <= 0:
        return 1.0
    power = 10 ** np.floor(np.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value * 0.999:
            return float(step * power)
    return float(10 * power)


@dataclasses.dataclass(frozen=True)
class Frame:
    """Where each place of a map lands in an SVG image."""

    x: np.ndarray  # (P,) pixels from the left
    y: np.ndarray  # (P,) pixels from the top
    width: int
    height: int
    cell: float  # pixels between neighbouring cells of a grid map (0: not a grid)
    projection: tuple[float, float, float, float, float, int] = (1.0, 1.0, 0.0, 0.0, 1.0, 0)
    # (x factor, y factor, x min, y max, scale, pad): map coordinates to pixels

    def project(self, coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixels of other points in the map's coordinates (a base map's lines), projected
        as the places were (the same factors, not those of these points' mean latitude)."""
        factor, factor_y, x_min, y_max, scale, pad = self.projection
        coords = np.asarray(coords, dtype=float)
        x, y = coords[:, 0] * factor, coords[:, 1] * factor_y
        return pad + (x - x_min) * scale, pad + (y_max - y) * scale


def fit(coords: np.ndarray, geographic: bool, width: int, pad: int = 24, grid: bool = False):
    """Project map coordinates into a `width`-pixel-wide image, north up, through the
    map's one projection (`sim.formats.map.project`)."""
    xy = project(coords, geographic)
    x, y = xy[:, 0], xy[:, 1]
    factor, factor_y = _scales(np.asarray(coords, dtype=float), xy)
    step = _spacing(np.concatenate([x, y])) if grid else 0.0  # a grid cell, in map units
    pad = 20 if grid else pad  # a grid's margin holds its column and row numbers
    x_min, y_max = x.min() - step / 2, y.max() + step / 2
    span_x, span_y = max(np.ptp(x) + step, 1e-9), max(np.ptp(y) + step, 1e-9)
    scale = (width - 2 * pad) / span_x
    if span_y * scale > 1.1 * width:  # a tall map: fit the height instead
        scale = 1.1 * width / span_y
    px = pad + (x - x_min) * scale
    py = pad + (y_max - y) * scale
    height = int(np.ceil(span_y * scale + 2 * pad))
    projection = (float(factor), float(factor_y), float(x_min), float(y_max), float(scale), pad)
    return Frame(px, py, int(width), height, step * scale, projection)


def _scales(coords: np.ndarray, xy: np.ndarray) -> tuple[float, float]:
    """The factors the projection multiplied x and y by (it is a scaling), so that other
    points (a base map) can be projected as the places were."""
    scales = []
    for axis in (0, 1):
        i = int(np.argmax(np.abs(coords[:, axis])))
        scales.append(float(xy[i, axis] / coords[i, axis]) if coords[i, axis] else 1.0)
    return scales[0], scales[1]


def _spacing(values: np.ndarray) -> float:
    """The smallest gap between distinct values (a grid's cell size)."""
    gaps = np.diff(np.unique(np.round(values, 6)))
    gaps = gaps[gaps > 0]
    return float(gaps.min()) if len(gaps) else 1.0
