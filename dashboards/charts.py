"""Plots as light SVG strings: daily series per faction, fan charts, value distributions.

Each plot is a few kB of text built in well under a millisecond, so the time series can
be redrawn every frame while a run plays (see svg.py for why not matplotlib).
"""

from __future__ import annotations

import itertools

import numpy as np

from dashboards.svg import esc, nice_ceiling, short
from sim.experiments.proportions import wilson

LEFT, RIGHT, TOP, BOTTOM = 42, 8, 20, 22


class Axes:
    """A plot area: data x in [0, x_max], y in [0, y_max] (or [y_min, y_max])."""

    def __init__(self, width, height, x_max, y_max, y_min=0.0):
        self.width, self.height = width, height
        self.x_max, self.y_min, self.y_max = max(x_max, 1e-9), y_min, y_max
        self.inner_w = width - LEFT - RIGHT
        self.inner_h = height - TOP - BOTTOM

    def px(self, x):
        return LEFT + np.asarray(x, dtype=float) / self.x_max * self.inner_w

    def py(self, y):
        share = (np.asarray(y, dtype=float) - self.y_min) / (self.y_max - self.y_min)
        return TOP + (1 - share) * self.inner_h

    def frame(self, title: str, x_label: str, css: str) -> list[str]:
        """The SVG opening, title, axes and tick labels."""
        w, h, bottom = self.width, self.height, TOP + self.inner_h
        parts = [
            f'<svg class="{css}" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="9">',
            f'<text x="{LEFT}" y="12" font-size="11" font-weight="bold">{esc(title)}</text>',
            f'<path d="M{LEFT} {TOP}V{bottom}H{w - RIGHT}" stroke="#888" fill="none"/>',
        ]
        for value in (self.y_min, (self.y_min + self.y_max) / 2, self.y_max):
            y = self.py(value)
            parts.append(
                f'<text x="{LEFT - 4}" y="{y + 3:.0f}" text-anchor="end">{short(value)}</text>'
                f'<path d="M{LEFT} {y:.0f}H{w - RIGHT}" stroke="#eee"/>'
            )
        for value in (0, self.x_max / 2, self.x_max):
            parts.append(
                f'<text x="{self.px(value):.0f}" y="{bottom + 11}" text-anchor="middle">'
                f"{short(value)}</text>"
            )
        parts.append(
            f'<text x="{w - RIGHT}" y="{h - 1}" text-anchor="end" fill="#666">{esc(x_label)}</text>'
        )
        return parts


def _thin(n: int, most: int) -> np.ndarray:
    """Indices of at most `most` of n points, the first and last always included."""
    if n <= most:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, most).round().astype(int))


def _points(axes: Axes, x: np.ndarray, y: np.ndarray) -> str:
    return " ".join(f"{a:.0f},{b:.1f}" for a, b in zip(axes.px(x), axes.py(y), strict=True))


def line_chart(
    title: str,
    values: np.ndarray,
    colors: list[str],
    labels: list[str],
    x_max: int,
    width: int = 310,
    height: int = 150,
    y_max: float | None = None,
) -> str:
    """One line per faction of `values` (days, factions), day 0 at the left, `x_max` at
    the right, so the lines grow as the run advances."""
    days = len(values)
    top = nice_ceiling(float(values.max()) if values.size else 1.0) if y_max is None else y_max
    key, key_height = _legend(colors, labels, width)
    axes = Axes(width, height, max(x_max, days - 1), top)
    parts = axes.frame(title, "day", "fl-chart")
    total = height + key_height
    parts[0] = parts[0].replace(f'height="{height}" viewBox="0 0 {width} {height}"',
                                f'height="{total}" viewBox="0 0 {width} {total}"')  # fmt: skip
    parts.append(f'<g transform="translate(0 {height + 10})">{key}</g>')
    keep = _thin(days, axes.inner_w // 2)
    x = keep.astype(float)
    for f, color in enumerate(colors):
        y = values[keep, f]
        parts.append(
            f'<polyline points="{_points(axes, x, y)}" fill="none" stroke="{esc(color)}" '
            f'stroke-width="1.6" pointer-events="none"/>'
        )
    parts.append(_hover_bands(axes, values, labels))
    parts.append("</svg>")
    return "".join(parts)


def _legend(colors: list[str], labels: list[str], width: int) -> tuple[str, int]:
    """A key of the lines under the plot: (SVG, its height), wrapped to the width."""
    parts, x, row = [], LEFT, 0
    for color, label in zip(colors, labels, strict=True):
        span = 14 + 5.5 * len(label) + 10
        if x + span > width and x > LEFT:
            x, row = LEFT, row + 1
        y = 12 * row
        parts.append(
            f'<rect x="{x:.0f}" y="{y - 7}" width="10" height="4" fill="{esc(color)}"/>'
            f'<text x="{x + 13:.0f}" y="{y - 2}">{esc(label)}</text>'
        )
        x += span
    return f'<g class="fl-chart-key">{"".join(parts)}</g>', 12 * (row + 1) + 2


def _hover_bands(axes: Axes, values: np.ndarray, labels: list[str]) -> str:
    """Invisible bands across the plot, each with the values of its last day as a tooltip."""
    days = len(values)
    if days == 0:
        return ""
    edges = np.linspace(0, days, min(days, 60) + 1).round().astype(int)
    parts = []
    for a, b in itertools.pairwise(edges):
        if b <= a:
            continue
        day = b - 1
        left, right = float(axes.px(a - 0.5)), float(axes.px(b - 0.5))
        left = max(left, LEFT)
        text = "; ".join(f"{esc(n)} {short(values[day, f])}" for f, n in enumerate(labels))
        parts.append(
            f'<rect x="{left:.1f}" y="{TOP}" width="{max(right - left, 0.5):.1f}" '
            f'height="{axes.inner_h}" fill="transparent"><title>day {day}: {text}</title></rect>'
        )
    return f'<g class="fl-hover">{"".join(parts)}</g>'


def fan_chart(
    title: str,
    bands: dict[str, np.ndarray],
    colors: dict[str, str],
    y_max: float,
    width: int = 300,
    height: int = 170,
) -> str:
    """Median and 10-90 % band per faction: `bands[faction]` is (days, 3) of the 10th,
    50th and 90th percentiles."""
    days = max((len(b) for b in bands.values()), default=1)
    axes = Axes(width, height, max(days - 1, 1), nice_ceiling(y_max))
    parts = axes.frame(title, "day", "fl-fan")
    keep = _thin(days, axes.inner_w // 2)
    for faction, band in bands.items():
        index = keep[keep < len(band)]
        x, color = index.astype(float), esc(colors.get(faction, "#888"))
        upper = _points(axes, x, band[index, 2])
        lower = _points(axes, x[::-1], band[index[::-1], 0])
        parts.append(f'<polygon points="{upper} {lower}" fill="{color}" fill-opacity="0.18"/>')
        parts.append(
            f'<polyline points="{_points(axes, x, band[index, 1])}" fill="none" '
            f'stroke="{color}" stroke-width="1.6"><title>{esc(faction)}: median '
            f"{short(band[-1, 1])} on day {len(band) - 1} (10-90 %: {short(band[-1, 0])}-"
            f"{short(band[-1, 2])})</title></polyline>"
        )
    parts.append("</svg>")
    return "".join(parts)


def strip_plot(title: str, groups: dict[str, np.ndarray], width: int = 340) -> str:
    """Each group's values as dots (one per run) with the median as a bar."""
    everything = np.concatenate([g for g in groups.values() if len(g)] or [np.zeros(1)])
    low, high = float(everything.min()), float(everything.max())
    if high == low:
        low, high = low - 1, high + 1
    height = TOP + BOTTOM + 28 * max(len(groups), 1)
    parts = [
        f'<svg class="fl-strip" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" '
        f'font-size="9">',
        f'<text x="4" y="12" font-size="11" font-weight="bold">{esc(title)}</text>',
    ]
    names = max((len(name) for name in groups), default=4)
    start = max(60, 6 * names + 8)  # room for the group names
    span = width - start - RIGHT - 10

    def px(value):
        return start + (np.asarray(value, dtype=float) - low) / (high - low) * span

    for i, (name, values) in enumerate(groups.items()):
        y = TOP + 14 + 28 * i
        parts.append(f'<text x="4" y="{y + 3}">{esc(name)}</text>')
        jitter = np.random.default_rng(i).uniform(-6, 6, len(values))
        parts += [
            f'<circle cx="{x:.1f}" cy="{y + j:.1f}" r="2.2" fill="#1f77b4" fill-opacity="0.5"/>'
            for x, j in zip(px(values), jitter, strict=True)
        ]
        if len(values):
            median = float(np.median(values))
            parts.append(
                f'<path d="M{px(median):.1f} {y - 9}V{y + 9}" stroke="#d62728" '
                f'stroke-width="2.5"><title>{esc(name)}: median {short(median)}, mean '
                f"{short(np.mean(values))}, n = {len(values)}</title></path>"
            )
    bottom = TOP + 28 * len(groups) + 4
    for value in (low, (low + high) / 2, high):
        parts.append(
            f'<text x="{px(value):.0f}" y="{bottom + 10}" text-anchor="middle">'
            f"{short(value)}</text>"
        )
    parts.append(f'<path d="M{start} {bottom}H{start + span}" stroke="#888" fill="none"/></svg>')
    return "".join(parts)


def share_chart(title: str, groups: dict[str, np.ndarray], width: int = 340) -> str:
    """A 0/1 metric per group: the share of runs where it is 1, a dot, with its Wilson
    95 % interval as a bar, on a 0-100 % axis (not a strip of 0/1 dots)."""
    height = TOP + BOTTOM + 28 * max(len(groups), 1)
    parts = [
        f'<svg class="fl-shares" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" '
        f'font-size="9">',
        f'<text x="4" y="12" font-size="11" font-weight="bold">{esc(title)}</text>',
    ]
    names = max((len(name) for name in groups), default=4)
    start = max(60, 6 * names + 8)
    span = width - start - RIGHT - 60  # room on the right for the share's text

    def px(share: float) -> float:
        return start + share * span

    for i, (name, values) in enumerate(groups.items()):
        y = TOP + 14 + 28 * i
        parts.append(f'<text x="4" y="{y + 3}">{esc(name)}</text>')
        if not len(values):
            continue
        held, n = int(np.sum(values)), len(values)
        low, high = wilson(held, n)
        share = held / n
        parts.append(
            f'<g class="fl-share"><title>{esc(name)}: {held} of {n} runs, {share:.0%} '
            f"(Wilson 95 %: {low:.0%}-{high:.0%})</title>"
            f'<path d="M{px(low):.1f} {y}H{px(high):.1f}M{px(low):.1f} {y - 4}V{y + 4}'
            f'M{px(high):.1f} {y - 4}V{y + 4}" stroke="#1f77b4" stroke-width="1.6"/>'
            f'<circle cx="{px(share):.1f}" cy="{y}" r="3.5" fill="#d62728"/></g>'
            f'<text x="{start + span + 6}" y="{y + 3}">{share:.0%} ({held}/{n})</text>'
        )
    bottom = TOP + 28 * len(groups) + 4
    for share in (0.0, 0.5, 1.0):
        parts.append(
            f'<text x="{px(share):.0f}" y="{bottom + 10}" text-anchor="middle">{share:.0%}</text>'
        )
    parts.append(
        f'<path d="M{start} {bottom}H{start + span}" stroke="#888" fill="none"/>'
        f'<text x="{width - RIGHT}" y="{height - 1}" text-anchor="end" fill="#666">'
        f"share of runs (Wilson 95 %)</text></svg>"
    )
    return "".join(parts)
