"""The scenario file format: every table and key, with its type, unit, range and default.

These dataclasses are the single source of truth for the format. The loader checks a
file against them (`sim.formats.typed_tables`), the model reads the resulting objects, and
`docs/scenario-format.md` is generated from them (`python -m sim.formats.format_docs
scenario`), so the reference cannot drift from the code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, ClassVar, Literal

Relation = Literal["enemy", "allied", "neutral"]
PlaceKind = Literal[
    "city", "town", "village", "airbase", "base", "oilfield", "gasfield", "dam", "crossing", "cell"
]
PlaceTag = Literal["vital", "symbolic", "supply_source"]

# Bounds of physical sense: a value beyond them is a typo, and would overflow the model's
# arithmetic (a reserve of 1e308 gave negative deserters and an `Infinity` in --json).
MAX_DAYS = 100_000  # a horizon of 270 years
MAX_SEED = 2**63 - 1  # seeds are stored as 64-bit integers
MAX_FIGHTERS = 10_000_000  # more than any army ever fielded
MAX_PEOPLE = 100_000_000  # more than the largest city
MAX_SORTIES = 10_000  # per day; the largest air campaigns flew about 3,000
MAX_KM = 20_000  # half the Earth's circumference
MAX_WEIGHT = 1_000_000  # a place's value or targeting weight
MAX_GRID_CELLS = 100_000  # a grid map's cells (a run of 1,000,000 cells needs 3.5 GB)


def key(
    doc: str,
    default: Any = dataclasses.MISSING,
    *,
    unit: str = "",
    min: float | None = None,
    max: float | None = None,
    toml_name: str | None = None,
    fixed: bool = False,
) -> Any:
    """Declare one key of a table: its documentation, default and allowed range. In a
    table that allows uncertain numbers (`UNCERTAIN`), a `fixed` number may not be given
    as a distribution (`sim.formats.uncertainty`)."""
    metadata = {"doc": doc, "unit": unit, "min": min, "max": max, "toml_name": toml_name}
    metadata["fixed"] = fixed
    if isinstance(default, list | dict):
        return dataclasses.field(default_factory=type(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def table(cls: type) -> Any:
    """Declare a sub-table whose keys all have defaults (it may be omitted)."""
    return dataclasses.field(default_factory=cls, metadata={"doc": cls.__doc__ or ""})


@dataclasses.dataclass
class RunSpec:
    """Run settings: the calendar, the horizon, the seed and the randomness switch."""

    start_date: dt.date | None = key(
        "Calendar date of day 0. Needed when events are given by `date`.", None
    )
    days: int = key("Horizon: number of simulated days.", 365, unit="days", min=1, max=MAX_DAYS)
    seed: int = key("Seed of the model's random generator.", 0, min=0, max=MAX_SEED)
    deterministic: bool = key(
        "Replace every random draw by its expected value (for checks against closed forms).",
        False,
    )


@dataclasses.dataclass
class PlaceSpec:
    """A named place: a node of the map. Give `lat`/`lon` or `x`/`y`."""

    UNCERTAIN: ClassVar[bool] = True  # numbers may be distributions

    lat: float | None = key("Latitude.", None, unit="degrees", min=-90, max=90, fixed=True)
    lon: float | None = key("Longitude.", None, unit="degrees", min=-180, max=180, fixed=True)
    x: float | None = key(
        "East coordinate on a teaching map.", None, unit="km", min=-MAX_KM, max=MAX_KM, fixed=True
    )
    y: float | None = key(
        "North coordinate on a teaching map.", None, unit="km", min=-MAX_KM, max=MAX_KM, fixed=True
    )
    population: float = key(
        "Inhabitants; recruits come from them.", 0.0, unit="people", min=0, max=MAX_PEOPLE
    )
    terrain: float = key(
        "Fortification factor: attackers' fire here is divided by it (1 = open ground).",
        1.0,
        min=0.1,
        max=10,
    )
    region: str = key("Region (governorate); local militias fight only in theirs.", "")
    kind: PlaceKind = key("What the place is.", "town")
    tags: list[PlaceTag] = key("Tags that raise the place's value as an objective.", [])
    controller: str | None = key("Faction holding the place on day 0 (none: unheld).", None)


@dataclasses.dataclass
class RoadSpec:
    """A road between two places."""

    UNCERTAIN: ClassVar[bool] = True  # numbers may be distributions

    from_place: str = key("One end (a place name).", toml_name="from")
    to_place: str = key("The other end (a place name).", toml_name="to")
    km: float = key("Road length.", unit="km", min=0.01, max=MAX_KM)
    name: str = key("Road name, e.g. `M5`.", "")


@dataclasses.dataclass
class GridCellSpec:
    """A named cell of a grid map; it overrides the grid's defaults for that cell."""

    x: int = key("Column, from 0 at the west edge.", min=0)
    y: int = key("Row, from 0 at the south edge.", min=0)
    population: float | None = key(
        "Inhabitants (default: the grid's).", None, min=0, max=MAX_PEOPLE
    )
    terrain: float | None = key(
        "Fortification factor (default: the grid's).", None, min=0.1, max=10
    )
    region: str | None = key("Region (default: the zone's, else empty).", None)
    kind: PlaceKind = key("What the place is.", "town")
    tags: list[PlaceTag] = key("Tags that raise the place's value.", [])
    controller: str | None = key("Faction holding it on day 0 (default: the zone's).", None)


@dataclasses.dataclass
class GridZoneSpec:
    """A rectangle of grid cells sharing a controller, region or terrain."""

    x: list[int] = key("First and last column, inclusive: `[x0, x1]`.")
    y: list[int] = key("First and last row, inclusive: `[y0, y1]`.")
    controller: str | None = key("Faction holding these cells on day 0.", None)
    region: str | None = key("Region of these cells.", None)
    terrain: float | None = key("Fortification factor of these cells.", None, min=0.1, max=10)
    population: float | None = key("Inhabitants per cell.", None, min=0, max=MAX_PEOPLE)


@dataclasses.dataclass
class GridSpec:
    """A rectangular grid of cells joined to their 4 neighbours; some cells named."""

    width: int = key(
        f"Number of columns (width x height: at most {MAX_GRID_CELLS:,} cells).", min=1, max=1000
    )
    height: int = key("Number of rows.", min=1, max=1000)
    cell_km: float = key(
        "Distance between neighbouring cell centres.", 10.0, unit="km", min=0.01, max=1000
    )
    population: float = key("Inhabitants of a cell not otherwise set.", 0.0, min=0, max=MAX_PEOPLE)
    terrain: float = key("Fortification factor of a cell not otherwise set.", 1.0, min=0.1, max=10)
    cells: dict[str, GridCellSpec] = key("Named cells, by name.", {})
    zones: dict[str, GridZoneSpec] = key(
        "Rectangles of cells, by name; later zones override earlier ones.", {}
    )


@dataclasses.dataclass
class LinkSpec:
    """A link that is not a road: a sea route or an air bridge to an enclave or island.

    It carries supply (a force at a place supplied only through it fires and holds as
    if supplied, scaled by capacity / forces so supplied when they are more) and, if
    `movement`, forces too (at the faction's speed over `km`)."""

    UNCERTAIN: ClassVar[bool] = True  # numbers may be distributions

    from_place: str = key("One end (a place name).", toml_name="from")
    to_place: str = key("The other end (a place name).", toml_name="to")
    kind: Literal["sea", "air"] = key("A sea route or an air bridge.")
    km: float = key("Length, for travel and supply distance.", unit="km", min=0.01, max=5000)
    capacity: float = key(
        "Fighters it can keep supplied (0: no limit).", 0.0, unit="fighters", min=0
    )
    movement: bool = key("Whether forces can move over it (else supply only).", False)


@dataclasses.dataclass
class MapSpec:
    """The map: named places and roads, or a grid."""

    places: dict[str, PlaceSpec] = key("Places, by name.", {})
    roads: list[RoadSpec] = key("Roads between places.", [])
    links: list[LinkSpec] = key("Sea routes and air bridges (not roads).", [])
    grid: GridSpec | None = key("A grid map instead of `places` and `roads`.", None)


@dataclasses.dataclass
class RecruitmentSpec:
    """Where a faction's new fighters come from and how fast it loses them."""

    UNCERTAIN: ClassVar[bool] = True  # numbers may be distributions

    rate: float = key(
        "Recruits per 1,000 inhabitants of the places it holds (militias: of their home "
        "region held by them or allies), per day.",
        0.0,
        unit="per 1,000 people per day",
        min=0,
        max=1000,
    )
    desertion: float = key(
        "Share of its manpower (reserve and deployed) that deserts each day.",
        0.0,
        unit="per day",
        min=0,
        max=1,
    )


@dataclasses.dataclass
class DoctrineSpec:
    """How a faction decides: tempo, aggression, the odds it seeks, what it defends."""

    UNCERTAIN: ClassVar[bool] = True  # numbers may be distributions

    commit: float = key(
        "Share of its reserve it sends out each day, at most.", 0.1, unit="per day", min=0, max=1
    )
    aggression: float = key(
        "Share of the day's budget that may go to offensives (defence comes first; what "
        "neither uses stays in the reserve).",
        0.5,
        min=0,
        max=1,
    )
    attack_ratio: float = key(
        "Force ratio (attackers / defenders x terrain) it seeks before and during an attack.",
        2.0,
        min=0.1,
        max=100,
    )
    defend_ratio: float = key(
        "Ratio of defenders to attackers it seeks at a place under attack.", 1.0, min=0, max=100
    )
    garrison: float = key(
        "Force it keeps at each of its places that borders an enemy place (a local militia: "
        "at its side's places in its home region), as a defence need.",
        0.0,
        unit="fighters",
        min=0,
        max=MAX_FIGHTERS,
    )
    max_offensives: int = key("How many places it attacks at once, at most.", 2, min=0, max=10_000)
    min_attack: float = key(
        "Smallest force it sends against a place (to take an undefended one).",
        100.0,
        unit="fighters",
        min=1,
        max=MAX_FIGHTERS,
    )
    vital_only_below: float = key(
        "When its reserve is below this, it reinforces only places tagged `vital` "
        "(0: never short).",
        0.0,
        unit="fighters",
        min=0,
        max=MAX_FIGHTERS,
    )
    speed_km_per_day: float = key(
        "How far its reserves move along roads in a day.", 60.0, unit="km/day", min=1, max=2000
    )
    travel_delay_days: float = key(
        "Mean extra days a movement takes beyond the road's (drawn per movement, Poisson; "
        "0: none).",
        0.0,
        unit="days",
        min=0,
        max=30,
    )
    temperature: float = key(
        "How much chance there is in choosing new objectives: each is picked with "
        "probability proportional to exp((score / best score - 1) / temperature); "
        "0 always picks the best. A deterministic run always picks the best.",
        0.2,
        min=0,
        max=10,
    )
    threat_share: float = key(
        "Share of the enemy forces at neighbouring enemy places that counts as a threat "
        "to defend against (beside the attackers present).",
        0.25,
        min=0,
        max=1,
    )
    redeploy: float = key(
        "Share of a quiet place's surplus (forces beyond its garrison) that may be sent, in "
        "a day, to a threatened or attacking place within `redeploy_km` by road "
        "(manoeuvre).",
        0.25,
        unit="per day",
        min=0,
        max=1,
    )
    redeploy_km: float = key(
        "How far by road deployed forces are moved to where they are needed.",
        150.0,
        unit="km",
        min=0,
    )
    interior_garrison: float = key(
        "Force it keeps at every place of its side against redeployment (a floor: the "
        "reserve never sends men to reach it; the rest may be redeployed).",
        0.0,
        unit="fighters",
        min=0,
    )
    vital_garrison: float = key(
        "Force it keeps at each place of its side tagged `vital` against redeployment (a "
        "floor: the reserve never sends men to reach it); it never withdraws from a vital "
        "place either.",
        0.0,
        unit="fighters",
        min=0,
    )
    withdraw_ratio: float = key(
        "A force may withdraw (with a daily probability growing with the odds) to the "
        "nearest supplied place of its side within 300 km when its enemies' Lanchester "
        "strength (fire x men^2) there exceeds its own side's by this factor (0: never "
        "withdraws; never from a place it is ordered to hold or a vital one).",
        4.0,
        min=0,
    )
    withdraw_loss: float = key("Share of a withdrawing force lost on the way.", 0.1, min=0, max=1)
    pursuit: float = key(
        "Share of a victorious force that pursues a routed or withdrawn enemy to the "
        "place it fled to, when that place is next to the one just taken.",
        0.3,
        min=0,
        max=1,
    )
    supply_range_km: float = key(
        "Logistic reach: the fire and the reinforcements of a force fall with its road "
        "distance d from supply as range / (range + d), so a long advance stalls "
        "(0: no such fall).",
        300.0,
        unit="km",
        min=0,
    )


@dataclasses.dataclass
class AirSpec:
    """Air support: how many sorties, their effect, and whom and where they target."""

    UNCERTAIN: ClassVar[bool] = True  # numbers may be distributions

    sorties_per_day: float = key(
        "Sorties flown per day.", 0.0, unit="sorties/day", min=0, max=MAX_SORTIES
    )
    casualties_per_sortie: float = key(
        "Fighters put out of action per sortie, on average.",
        1.0,
        unit="fighters",
        min=0,
        max=1000,
    )
    morale_shock: float = key(
        "Morale lost by a force of 1,000 per sortie against it (larger forces lose "
        "proportionally less; forces under 100 count as 100).",
        0.005,
        min=0,
        max=1,
    )
    targeting: dict[str, float] = key(
        "Share of sorties by target faction; the shares sum to 1.", {}, min=0, max=1, fixed=True
    )
    place_weights: dict[str, float] = key(
        "Multiplier of a place's weight as a target, by place name (default 1).",
        {},
        min=0,
        max=MAX_WEIGHT,
    )
    region_weights: dict[str, float] = key(
        "Multiplier of a place's weight as a target, by region (default 1).",
        {},
        min=0,
        max=MAX_WEIGHT,
    )
    engaged_bonus: float = key(
        "Extra weight of places where the target fought the day before (close air support).",
        2.0,
        min=0,
        max=MAX_WEIGHT,
    )
    suppression: float = key(
        "Suppression per sortie of a force of 1,000: the share of its fire lost for the day "
        "is 1 - exp(-suppression x sorties x 1000 / max(forces, 100)), so air helps most "
        "where a ground attack exploits it.",
        0.02,
        min=0,
        max=1,
    )
    focus_weight: float = key(
        "Multiplier of a place's weight as a target when orders focus the air effort on it "
        "(`air_focus` of a player's or a Python doctrine's orders).",
        5.0,
        min=1,
        max=MAX_WEIGHT,
    )


@dataclasses.dataclass
class GroupingSpec:
    """A named grouping of a faction (a front): its own reserve, acting in its own area,
    so that a siege on one front does not starve another. The faction's own reserve acts
    everywhere else."""

    UNCERTAIN: ClassVar[bool] = True  # numbers may be distributions

    reserve: float = key("Manpower in its reserve on day 0.", 0.0, unit="fighters", min=0)
    places: list[str] = key("Places of its area.", [])
    regions: list[str] = key("Regions whose places are all of its area.", [])
    max_offensives: int | None = key(
        "How many places it attacks at once (default: the faction's doctrine).", None, min=0
    )


@dataclasses.dataclass
class ObjectiveSpec:
    """A standing objective of a faction its doctrine plays: a place to take or to hold."""

    UNCERTAIN: ClassVar[bool] = True  # numbers may be distributions

    kind: Literal["take", "hold"] = key("Take the place, or hold it.")
    place: str = key("The place.")
    men: float = key(
        "Take: the force it attacks with at least; hold: the force it keeps there at least.",
        0.0,
        unit="fighters",
        min=0,
    )
    grouping: str | None = key(
        "The grouping that carries it out (default: whichever's area the place is in, or borders).",
        None,
    )
    priority: float = key("Value added to the place as a target or a place to defend.", 20.0, min=0)


@dataclasses.dataclass
class MoveSpec:
    """Forces moved by an event: a transfer, not new men."""

    from_place: str = key(
        "Where they come from: a place, `reserve` (the faction's), or a grouping's name.",
        toml_name="from",
    )
    to_place: str = key("Where they go: a place, `reserve`, or a grouping's name.", toml_name="to")
    men: float = key("How many (at most what is there).", unit="fighters", min=0)


@dataclasses.dataclass
class FactionSpec:
    """A faction: a Mesa agent with manpower, morale, doctrine, supply and air support."""

    UNCERTAIN: ClassVar[bool] = True  # numbers may be distributions

    label: str = key("Display name (default: the faction's key).", "")
    color: str = key("Display colour, e.g. `#d62728` (default: from a palette).", "")
    reserve: float = key(
        "Manpower in reserve on day 0.", 0.0, unit="fighters", min=0, max=MAX_FIGHTERS
    )
    forces: dict[str, float] = key(
        "Manpower deployed on day 0, by place name.",
        {},
        unit="fighters",
        min=0,
        max=MAX_FIGHTERS,
    )
    morale: float = key("Baseline morale; forces recover towards it.", 0.5, min=0, max=1)
    break_point: float = key("Morale below which a force in combat routs.", 0.2, min=0, max=1)
    lethality: float = key(
        "Casualties inflicted per fighter per day of combat, at morale 0.5 on open ground.",
        0.01,
        unit="per day",
        min=0,
        max=1,
    )
    home_region: str | None = key(
        "Makes it a local militia: it recruits and fights only in this region.", None
    )
    air_only: bool = key("Has no ground forces (e.g. an air campaign).", False)
    supply_sources: list[str] = key("Places it holds that supply its forces (and its allies').", [])
    relations: dict[str, Relation] = key(
        "Relation to other factions by name (default neutral); must agree both ways.", {}
    )
    recruitment: RecruitmentSpec = table(RecruitmentSpec)
    doctrine: DoctrineSpec = table(DoctrineSpec)
    air: AirSpec = table(AirSpec)
    groupings: dict[str, GroupingSpec] = key("Named groupings (fronts), by name.", {})
    objectives: dict[str, ObjectiveSpec] = key("Standing objectives, by name.", {})


@dataclasses.dataclass
class EventSpec:
    """A scheduled change at a date or day: a new parameter, reinforcements, a ceasefire."""

    UNCERTAIN: ClassVar[bool] = True  # numbers may be distributions

    day: int | None = key("Day it happens (give `day` or `date`).", None, min=0, max=MAX_DAYS)
    date: dt.date | None = key("Date it happens (needs `run.start_date`).", None)
    description: str = key("What happens, in words.", "")
    enabled: bool = key("Set false to cancel it in a variant.", True)
    faction: str | None = key("The faction it concerns.", None)
    set: dict[str, Any] = key(
        'Faction keys to change, by dotted path, e.g. `{ "air.sorties_per_day" = 90 }`.', {}
    )
    add_reserve: float = key(
        "Manpower added to (or, if negative, withdrawn from) the reserve. A withdrawal "
        "takes at most what the reserve holds that day; one larger than the faction could "
        "ever have by then is refused.",
        0.0,
        unit="fighters",
        min=-MAX_FIGHTERS,
        max=MAX_FIGHTERS,
    )
    add_forces: dict[str, float] = key(
        "Manpower arriving at places, by place name.",
        {},
        unit="fighters",
        min=0,
        max=MAX_FIGHTERS,
    )
    relations: dict[str, Relation] = key(
        "New relations of `faction` to others, both ways (e.g. a ceasefire).", {}
    )
    objectives: dict[str, ObjectiveSpec] = key(
        "Standing objectives given to `faction` (replacing any of the same name).", {}
    )
    cancel_objectives: list[str] = key("Standing objectives of `faction` it ends.", [])
    moves: list[MoveSpec] = key("Forces of `faction` it moves (transfers, not new men).", [])


def event_day(spec: EventSpec, start_date: dt.date | None) -> int:
    """The model day of an event given by `day` or by `date`."""
    if spec.day is not None:
        return spec.day
    return (spec.date - start_date).days


@dataclasses.dataclass
class CombatSpec:
    """Combat parameters shared by all factions."""

    UNCERTAIN: ClassVar[bool] = True  # numbers may be distributions

    morale_weight: float = key(
        "How much morale scales fire: factor 1 + weight x (morale - 0.5).", 1.0, min=0, max=2
    )
    unsupplied_effectiveness: float = key(
        "Fire of a force cut off from supply, relative to a supplied one.", 0.7, min=0, max=1
    )
    min_force: float = key(
        "Forces smaller than this withdraw to the reserve; a place whose defenders fall "
        "below it is taken if a force hostile to its holder is there.",
        1.0,
        unit="fighters",
        min=0.001,
        max=MAX_FIGHTERS,
    )


@dataclasses.dataclass
class MoraleSpec:
    """Morale parameters shared by all factions."""

    UNCERTAIN: ClassVar[bool] = True  # numbers may be distributions

    loss_sensitivity: float = key(
        "Morale lost per unit of the share of a force lost in a day.", 1.0, min=0, max=100
    )
    recovery: float = key(
        "Daily share of the gap to the baseline that morale recovers.", 0.05, min=0, max=1
    )
    siege_penalty: float = key(
        "Morale lost per day by a force cut off from supply.", 0.01, unit="per day", min=0, max=1
    )
    victory_bonus: float = key(
        "Baseline morale gained by a faction when it takes a place.", 0.01, min=0, max=1
    )
    defeat_penalty: float = key(
        "Baseline morale lost by a faction when it loses a place.", 0.01, min=0, max=1
    )
    rout_desertion: float = key(
        "Share of a routing force lost to desertion (the rest flees along roads to a refuge "
        "of its side, or with manoeuvre off falls back to the reserve; a routing force cut "
        "off from supply is lost entirely).",
        0.3,
        min=0,
        max=1,
    )


@dataclasses.dataclass
class ManoeuvreSpec:
    """Whether forces manoeuvre (the default) or fight where they stand."""

    enabled: bool = key(
        "Off: no redeployment, withdrawal, pursuit, flight of routed men along roads or "
        "culmination far from supply: routed survivors fall back to the reserve the same "
        "day, as in Lanchester's closed forms (for checks against them).",
        True,
    )


@dataclasses.dataclass
class PlaceValueSpec:
    """How factions value places as objectives: value = base + population + tag bonuses."""

    UNCERTAIN: ClassVar[bool] = True  # numbers may be distributions

    base: float = key("Value of any place.", 1.0, min=0, max=MAX_WEIGHT)
    per_10k_population: float = key("Value per 10,000 inhabitants.", 1.0, min=0, max=MAX_WEIGHT)
    vital: float = key("Value added by the `vital` tag.", 5.0, min=0, max=MAX_WEIGHT)
    symbolic: float = key("Value added by the `symbolic` tag.", 3.0, min=0, max=MAX_WEIGHT)
    supply_source: float = key(
        "Value added by the `supply_source` tag.", 3.0, min=0, max=MAX_WEIGHT
    )


MetricKind = Literal[
    "capture_day",
    "holds",
    "places_taken",
    "population_taken",
    "route_cut",
    "front_length",
    "territory",
    "peak_territory",
    "strike_share",
    "manpower",
    "changes_of_control",
    "last_capture_day",
    "days_held",
    "captured_by",
    "front_advance",
]


@dataclasses.dataclass
class MetricSpec:
    """An outcome measured on every run, by name (in `frontline run --json` and sweeps).

    Kinds and the keys they use:
    `capture_day` (place, faction?): first day `faction` (any other, if none) takes `place`;
    `holds` (place, faction): 1 if `faction` holds `place` on `by_day`, else 0;
    `places_taken` / `population_taken` (faction, target?, region?): places (people) that
    `faction` takes from `target` (anyone) in `region` (anywhere) up to `by_day`;
    `route_cut` (place, to_place, faction): 1 if no chain of places held by `faction`'s
    side joins the two places on `by_day`; `front_length`: km of roads between enemies
    on `by_day`; `territory` / `peak_territory` (faction, measure): places or population
    held on `by_day` / at most up to it; `strike_share` (faction, target, from_day?):
    share of `faction`'s sorties that hit `target` from `from_day` to `by_day`;
    `manpower` (faction): its manpower on `by_day`;
    `changes_of_control` (place?): how many times `place` (every place, if none) changed
    hands up to `by_day`; `last_capture_day` (place): the last day it changed hands;
    `days_held` (place, faction): days `faction` (with allies if `side`) held it up to
    `by_day`; `captured_by` (place, faction): 1 if `faction` took it last (and still
    holds it), else 0; `front_advance` (faction): km per week its front moved forward
    up to `by_day` (each capture counts the road km from the taken place to the nearest
    place the taker held before; each loss counts against it).
    """

    kind: MetricKind = key("What is measured (see above).")
    description: str = key("What the metric means, in words.", "")
    faction: str | None = key("The faction measured (the taker, the holder, the air force).", None)
    target: str | None = key("The other faction (the one taken from, the one struck).", None)
    place: str | None = key("The place concerned (a route's first end).", None)
    to_place: str | None = key("A route's other end.", None)
    region: str | None = key("Only places in this region count.", None)
    side: bool = key(
        "Count the faction's allies with it (`holds`, `territory`, `peak_territory`; a "
        "route always counts allies).",
        False,
    )
    measure: Literal["places", "population"] = key("What territory counts.", "places")
    from_day: int = key("First day counted (strike shares).", 0, min=0, max=MAX_DAYS)
    by_day: int | None = key(
        "Day the metric is read (default: the last day).", None, min=0, max=MAX_DAYS
    )


@dataclasses.dataclass
class ScenarioSpec:
    """A scenario file: the map, the factions, the events and the run settings."""

    name: str = key("Short name (default: the file name).", "")
    description: str = key("What the scenario is, in words.", "")
    hypothesis: str = key("The claim it tests, the metric and the predicted direction.", "")
    extends: str | None = key(
        "Path of a scenario this one builds on, relative to this file; its tables are merged "
        "key by key, this file's values winning.",
        None,
    )
    run: RunSpec = table(RunSpec)
    map: MapSpec = table(MapSpec)
    factions: dict[str, FactionSpec] = key("Factions, by key (used in other tables).", {})
    events: dict[str, EventSpec] = key("Scheduled events, by name.", {})
    metrics: dict[str, MetricSpec] = key("Outcomes measured on every run, by name.", {})
    combat: CombatSpec = table(CombatSpec)
    morale: MoraleSpec = table(MoraleSpec)
    manoeuvre: ManoeuvreSpec = table(ManoeuvreSpec)
    place_value: PlaceValueSpec = table(PlaceValueSpec)
