"""Where the map's place names go: as many as fit without overlapping, the most important
first, at each zoom level.

A label may sit right, left, above or below its place. Places are taken in order of
priority (vital and symbolic places, then by population); each gets the first position
whose box overlaps no label already placed and no other place's marker, or no label at
that zoom. The most important places (the first eighth, at least ten) may cover another
place's marker rather than go unnamed (a dense city's suburbs), never another label.
Labels keep their size on screen when the map is zoomed (map_view.vue shrinks their
font), so at zoom 2 a label takes half the map units and more of them fit: a label
placed at zoom 1 keeps its position at every zoom, and those that did not fit are tried
again at zoom 2, 4 and 8 (`Label.zoom`: the first zoom it is shown at).
"""

from __future__ import annotations

import dataclasses

import numpy as np

FONT = 10.0  # pixels on screen
CHAR_WIDTH = 0.64  # of the font size: a generous mean width of a sans-serif character
LINE = 1.3  # of the font size: the height of a label's box (the font's ascent and descent)
GAP = 2.0
ZOOMS = (1, 2, 4, 8)


@dataclasses.dataclass(frozen=True)
class Label:
    place: int
    x: float
    y: float  # the middle of the text
    anchor: str  # "start", "end" or "middle"
    zoom: int  # shown from this zoom on


def _box(x: float, y: float, anchor: str, width: float, height: float) -> tuple:
    left = {"start": x, "end": x - width, "middle": x - width / 2}[anchor]
    return (left, y - height / 2, left + width, y + height / 2)


def _overlaps(box: tuple, boxes: np.ndarray) -> bool:
    if not len(boxes):
        return False
    return bool(
        np.any(
            (boxes[:, 0] < box[2]) & (box[0] < boxes[:, 2])
            & (boxes[:, 1] < box[3]) & (box[1] < boxes[:, 3])
        )
    )  # fmt: skip


def _inside(box: tuple, width: float, height: float) -> bool:
    return box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height


def place_labels(
    x: np.ndarray,
    y: np.ndarray,
    radius: np.ndarray,
    names: list[str],
    order: list[int],
    size: tuple[float, float],
) -> list[Label]:
    """Labels for the places in `order` (most important first) on a map of `size`
    pixels; places not in `order` get none but their markers are avoided."""
    markers = np.array(
        [(x[p] - r, y[p] - r, x[p] + r, y[p] + r) for p, r in enumerate(radius) if r > 0]
    ).reshape(-1, 4)
    placed: list[tuple[Label, float, float]] = []  # label, width and height at zoom 1
    important = set(order[: max(10, len(order) // 8)])
    for zoom in ZOOMS:
        boxes = [_box(label.x, label.y, label.anchor, w / zoom, h / zoom) for label, w, h in placed]
        done = {label.place for label, _, _ in placed}
        for p in order:
            if p in done:
                continue
            width, height = CHAR_WIDTH * FONT * len(names[p]) + 2, LINE * FONT
            w, h, r = width / zoom, height / zoom, max(radius[p], 1.5)
            gap = GAP / zoom
            candidates = (
                (x[p] + r + gap, y[p], "start"),
                (x[p] - r - gap, y[p], "end"),
                (x[p], y[p] - r - gap - h / 2, "middle"),
                (x[p], y[p] + r + gap + h / 2, "middle"),
            )
            own = _box(x[p], y[p], "middle", 2 * r, 2 * r)
            others = markers[~np.all(np.isclose(markers, own), axis=1)] if len(markers) else markers
            taken = np.array(boxes).reshape(-1, 4)
            free = [
                (cx, cy, anchor)
                for cx, cy, anchor in candidates
                if _inside(_box(cx, cy, anchor, w, h), *size)
                and not _overlaps(_box(cx, cy, anchor, w, h), taken)
            ]
            clear = [c for c in free if not _overlaps(_box(c[0], c[1], c[2], w, h), others)]
            chosen = clear or (free if p in important else [])
            if chosen:
                cx, cy, anchor = chosen[0]
                placed.append((Label(p, float(cx), float(cy), anchor, zoom), width, height))
                boxes.append(_box(cx, cy, anchor, w, h))
    return [label for label, _, _ in placed]
