"""The Compare page's capture maps: how often each place changed hands in a variant's
runs, or how much more (red) or less (blue) often than in the baseline's, with a colour
scale under the map.

Places are drawn at their coordinates (`dashboards.svg.fit`), sized by population, with
the share or the difference in each place's tooltip and beside the ten largest.
"""

from __future__ import annotations

import numpy as np

from dashboards.svg import esc, fit

SCALE_HEIGHT = 34  # pixels under the map for the colour scale


def share_color(share: float) -> str:
    """White (0) to dark red (1)."""
    share = min(max(float(share), 0.0), 1.0)
    return f"rgb({round(255 - 60 * share)},{round(255 - 200 * share)},{round(255 - 220 * share)})"


def difference_color(difference: float) -> str:
    """Blue (-1: much less often than the baseline) through white (0) to red (+1)."""
    d = min(max(float(difference), -1.0), 1.0)
    if d >= 0:
        return share_color(d)
    d = -d
    return f"rgb({round(255 - 200 * d)},{round(255 - 140 * d)},{round(255 - 40 * d)})"


def capture_map_svg(world, shares: np.ndarray, title: str, width: int = 460) -> str:
    """Each place coloured by the share of runs in which it changed hands (0 to 100 %)."""
    return _map(world, shares, title, width, share_color, (0.0, 1.0), "share of runs")


def difference_map_svg(world, differences: np.ndarray, title: str, width: int = 460) -> str:
    """Each place coloured by the variant's share minus the baseline's (-100 to +100
    percentage points)."""
    return _map(
        world, differences, title, width, difference_color, (-1.0, 1.0),
        "variant minus baseline, share of runs",
    )  # fmt: skip


def _map(world, values, title, width, color, limits, scale_label) -> str:
    grid = "cell" in world.kinds
    frame = fit(world.coords, world.geographic, width, grid=grid)
    top = world.population.max() if world.population.max() > 0 else 1.0
    radius = 3.0 + 7.0 * np.sqrt(world.population / top)
    signed = limits[0] < 0
    height = frame.height + 24 + SCALE_HEIGHT
    parts = [
        f'<svg class="fl-capture-map" xmlns="http://www.w3.org/2000/svg" width="{frame.width}" '
        f'height="{height}" viewBox="0 0 {frame.width} {height}" '
        f'font-family="sans-serif" font-size="10">',
        f'<text x="6" y="14" font-size="11" font-weight="bold">{esc(title)}</text>',
        '<g transform="translate(0 18)">',
    ]
    if not grid:
        path = "".join(
            f"M{frame.x[a]:.0f} {frame.y[a]:.0f}L{frame.x[b]:.0f} {frame.y[b]:.0f}"
            for a, b in world.road_ends
        )
        parts.append(f'<path d="{path}" stroke="#ccc" stroke-width="1" fill="none"/>')
    half = frame.cell / 2
    for p, name in enumerate(world.names):
        x, y, fill = frame.x[p], frame.y[p], color(values[p])
        tip = f"<title>{esc(name)}: {_value_text(values[p], signed)}</title>"
        if grid:
            shape = (
                f'<rect x="{x - half:.1f}" y="{y - half:.1f}" width="{2 * half:.1f}" '
                f'height="{2 * half:.1f}" fill="{fill}" stroke="#ccc"/>'
            )
        else:
            shape = (
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius[p]:.1f}" fill="{fill}" '
                f'stroke="#333" stroke-width="0.6"/>'
            )
        parts.append(f'<g class="fl-capture-place">{tip}{shape}</g>')
    parts += _labels(world, frame, values, signed, grid)
    parts.append("</g>")
    parts.append(_scale(frame.width, frame.height + 24, color, limits, scale_label))
    parts.append("</svg>")
    return "".join(parts)


def _labels(world, frame, values, signed: bool, grid: bool) -> list[str]:
    """The names and values of the ten places with the largest (absolute) values."""
    parts = []
    for p in np.argsort(-np.abs(values))[:10]:
        if values[p] == 0 or (grid and world.kinds[p] == "cell" and abs(values[p]) < 0.5):
            continue
        parts.append(
            f'<text x="{frame.x[p] + 6:.1f}" y="{frame.y[p] + 3:.1f}" stroke="#fff" '
            f'stroke-width="2.5" paint-order="stroke" pointer-events="none">'
            f"{esc(world.names[p])} {_value_text(values[p], signed)}</text>"
        )
    return parts


def _value_text(value: float, signed: bool) -> str:
    if signed:
        return f"{100 * value:+.0f} pts"
    return f"{value:.0%} of runs"


def _scale(width: int, top: int, color, limits: tuple[float, float], label: str) -> str:
    """A colour bar with its end and middle values, and what it measures."""
    left, bar_width, steps = 20, min(240, width - 40), 24
    low, high = limits
    cells = "".join(
        f'<rect x="{left + i * bar_width / steps:.1f}" y="{top + 4}" '
        f'width="{bar_width / steps + 0.5:.1f}" height="10" '
        f'fill="{color(low + (i + 0.5) / steps * (high - low))}"/>'
        for i in range(steps)
    )
    signed = low < 0
    ticks = "".join(
        f'<text x="{left + share * bar_width:.1f}" y="{top + 25}" text-anchor="middle">'
        f"{_tick(low + share * (high - low), signed)}</text>"
        for share in (0.0, 0.5, 1.0)
    )
    return (
        f'<g class="fl-colour-scale">{cells}'
        f'<rect x="{left}" y="{top + 4}" width="{bar_width}" height="10" fill="none" '
        f'stroke="#888"/>{ticks}<text x="{left + bar_width + 8}" y="{top + 13}">'
        f"{esc(label)}</text></g>"
    )


def _tick(value: float, signed: bool) -> str:
    if signed:
        return f"{100 * value:+.0f}" if value else "0"
    return f"{value:.0%}"
