"""The map: named places joined by roads, as arrays for the model and a Mesa network space.

Places are numbered in file order; every per-place quantity in the model is an array
indexed that way. A grid map is expanded into the same places-and-roads form, so the
model never needs to know which kind of map it runs on.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from sim.formats.schema import GridSpec, PlaceSpec, PlaceValueSpec, RoadSpec

if TYPE_CHECKING:
    import networkx as nx


def grid_cell_name(x: int, y: int) -> str:
    """Name of an unnamed grid cell."""
    return f"x{x}y{y}"


def expand_grid(grid: GridSpec) -> tuple[dict[str, PlaceSpec], list[RoadSpec]]:
    """Turn a grid into places (row by row from the south-west) and 4-neighbour roads.

    Assumes the grid was checked: named cells and zones lie inside it.
    """
    cells: dict[tuple[int, int], PlaceSpec] = {}
    for y in range(grid.height):
        for x in range(grid.width):
            cells[x, y] = PlaceSpec(
                x=x * grid.cell_km,
                y=y * grid.cell_km,
                population=grid.population,
                terrain=grid.terrain,
                kind="cell",
            )
    fields = ("controller", "region", "terrain", "population")
    for zone in grid.zones.values():
        for y in range(zone.y[0], zone.y[1] + 1):
            for x in range(zone.x[0], zone.x[1] + 1):
                _apply_overrides(cells[x, y], zone, fields)
    for named in grid.cells.values():
        cell = cells[named.x, named.y]
        cell.kind, cell.tags = named.kind, list(named.tags)
        _apply_overrides(cell, named, fields)

    names = {(c.x, c.y): name for name, c in grid.cells.items()}

    def name_of(xy: tuple[int, int]) -> str:
        return names.get(xy, grid_cell_name(*xy))

    places = {name_of(xy): spec for xy, spec in cells.items()}
    roads = [
        RoadSpec(from_place=name_of((x, y)), to_place=name_of(nxy), km=grid.cell_km)
        for x, y in cells
        for nxy in ((x + 1, y), (x, y + 1))
        if nxy in cells
    ]
    return places, roads


def _apply_overrides(target: PlaceSpec, source: object, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(source, name)
        if value is not None:
            setattr(target, name, value)


@dataclasses.dataclass(eq=False)
class Map:
    """Places and roads as arrays, indexed by place number."""

    names: list[str]
    coords: np.ndarray  # (P, 2): lon, lat in degrees, or x, y in km
    geographic: bool
    population: np.ndarray  # (P,)
    terrain: np.ndarray  # (P,)
    regions: list[str]
    region: np.ndarray  # (P,) index into `regions`
    kinds: list[str]
    tags: list[frozenset[str]]
    road_ends: np.ndarray  # (E, 2) place numbers
    road_km: np.ndarray  # (E,)
    road_names: list[str]

    @classmethod
    def build(cls, places: dict[str, PlaceSpec], roads: list[RoadSpec]) -> Map:
        """Build from checked place and road specs."""
        names = list(places)
        index = {name: i for i, name in enumerate(names)}
        geographic = all(p.lat is not None for p in places.values())
        coords = np.array(
            [(p.lon, p.lat) if geographic else (p.x, p.y) for p in places.values()], dtype=float
        ).reshape(len(names), 2)
        regions = sorted({p.region for p in places.values()})
        return cls(
            names=names,
            coords=coords,
            geographic=geographic,
            population=np.array([p.population for p in places.values()], dtype=float),
            terrain=np.array([p.terrain for p in places.values()], dtype=float),
            regions=regions,
            region=np.array([regions.index(p.region) for p in places.values()], dtype=np.int64),
            kinds=[p.kind for p in places.values()],
            tags=[frozenset(p.tags) for p in places.values()],
            road_ends=np.array(
                [(index[r.from_place], index[r.to_place]) for r in roads], dtype=np.int64
            ).reshape(len(roads), 2),
            road_km=np.array([r.km for r in roads], dtype=float),
            road_names=[r.name for r in roads],
        )

    @property
    def size(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        """Number of the place called `name`."""
        return self._index[name]

    def __post_init__(self) -> None:
        self._index = {name: i for i, name in enumerate(self.names)}
        self._distances: dict[tuple[int, ...], np.ndarray] = {}
        self.neighbours_start, self.neighbours, self.neighbour_km = _adjacency(
            self.road_ends, self.road_km, self.size
        )

    def neighbours_of(self, name: str) -> list[str]:
        """Names of the places joined to place `name` by a road."""
        p = self.index(name)
        ends = self.neighbours[self.neighbours_start[p] : self.neighbours_start[p + 1]]
        return [self.names[q] for q in ends]

    def projected(self) -> np.ndarray:
        """(P, 2) east and north in km, for drawing: longitude and latitude through an
        equirectangular projection at the map's mean latitude (true to scale along it,
        a few per cent off at Syria's north and south edges); x/y as they are. The one
        projection that every map drawing uses."""
        return project(self.coords, self.geographic)

    def has_tag(self, tag: str) -> np.ndarray:
        """(P,) bool: which places carry `tag`."""
        return np.array([tag in t for t in self.tags], dtype=bool)

    def in_region(self, region: str) -> np.ndarray:
        """(P,) bool: which places lie in `region`."""
        return self.region == self.regions.index(region)

    def objective_value(self, weights: PlaceValueSpec) -> np.ndarray:
        """(P,) how much factions value each place as an objective."""
        return (
            weights.base
            + weights.per_10k_population * self.population / 10_000
            + weights.vital * self.has_tag("vital")
            + weights.symbolic * self.has_tag("symbolic")
            + weights.supply_source * self.has_tag("supply_source")
        )

    def road_distance_from(self, sources: np.ndarray) -> np.ndarray:
        """(P,) km by road from the nearest of `sources` (place numbers); inf if unreachable.

        Results are kept: events that change relations or supply sources ask again for
        the same few sets of sources.
        """
        key = tuple(sorted(int(s) for s in sources))
        if key not in self._distances:
            if not key:
                self._distances[key] = np.full(self.size, np.inf)
            else:
                from scipy.sparse import csr_array  # only runs need distances
                from scipy.sparse.csgraph import dijkstra

                roads = csr_array(
                    (self.neighbour_km, self.neighbours, self.neighbours_start),
                    shape=(self.size, self.size),
                )
                self._distances[key] = dijkstra(
                    roads, directed=False, indices=list(key), min_only=True
                )
        return self._distances[key]

    def graph(self) -> nx.Graph:
        """The map as a networkx graph: nodes are place numbers, edges carry `km`."""
        import networkx as nx  # only Mesa's network space needs it

        graph = nx.Graph()
        graph.add_nodes_from(range(self.size))
        graph.add_weighted_edges_from(
            (
                (int(a), int(b), float(km))
                for (a, b), km in zip(self.road_ends, self.road_km, strict=False)
            ),
            weight="km",
        )
        return graph


KM_PER_DEGREE = 111.2  # along a meridian, and along the equator


def project(coords: np.ndarray, geographic: bool) -> np.ndarray:
    """(n, 2) km east and north of lon/lat `coords` (equirectangular at their mean
    latitude), or x/y km as they are."""
    xy = np.asarray(coords, dtype=float).reshape(-1, 2)
    if not geographic:
        return xy.copy()
    scale = np.cos(np.radians(xy[:, 1].mean())) if len(xy) else 1.0
    return np.column_stack([xy[:, 0] * scale, xy[:, 1]]) * KM_PER_DEGREE


def _adjacency(
    road_ends: np.ndarray, road_km: np.ndarray, n_places: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The roads as compressed rows: place p's neighbours are
    `neighbours[starts[p]:starts[p + 1]]` in ascending order, with the road km beside them
    (the shortest road where two places are joined twice)."""
    rows = np.concatenate([road_ends[:, 0], road_ends[:, 1]])
    cols = np.concatenate([road_ends[:, 1], road_ends[:, 0]])
    km = np.concatenate([road_km, road_km])
    order = np.lexsort((km, cols, rows))
    rows, cols, km = rows[order], cols[order], km[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, km = rows[first], cols[first], km[first]
    starts = np.zeros(n_places + 1, dtype=np.int64)
    np.add.at(starts, rows + 1, 1)
    return np.cumsum(starts), cols.astype(np.int64), km.astype(float)
