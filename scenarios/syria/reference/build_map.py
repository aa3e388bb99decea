"""Build scenarios/syria/map.toml from the reference tables next to this script.

Run from the project root:

    python scenarios/syria/reference/build_map.py            # writes scenarios/syria/map.toml
    python scenarios/syria/reference/build_map.py --check    # exit 1 if map.toml is not current

It reads `places.csv` and `roads.csv` (committed copies of the project's shared/reference/
tables) and writes every place with a comment that cites places.csv and the confidence of
its note (`[V]` a page that was read, `[M]` from memory, GeoNames ids for coordinates), and
every road of roads.csv with its km. What the tables do not say is decided here, in the
tables below, each choice with its reason; all of them are assumptions:

- the divided cities (controller `contested`): Aleppo, Deir ez-Zor, Daraa and Hasakah are
  split into parts, each held by one side (`DIVIDED`), and every road of roads.csv that
  reaches one of them is joined to the part it reaches first (`ROAD_PARTS`);
- terrain (fortification factor) by kind and size (`terrain_by_rule`), with the exceptions
  in `TERRAIN`;
- tags (`TAGS`): vital places of the regime, symbolic places, supply gates and capitals.

Only the standard library is used, so that the map can be rebuilt anywhere.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAP_FILE = HERE.parent / "map.toml"
CONTESTED = "contested"
WIDTH = 100


@dataclass(frozen=True)
class Part:
    """One side's part of a divided city (all values are assumptions)."""

    name: str
    controller: str
    lat: float
    lon: float
    population: int
    terrain: float
    description: str  # what the part is
    position: str  # where it lies against the places.csv point, and why its population
    kind: str = ""  # default: the city's kind


DIVIDED: dict[str, list[Part]] = {
    "Aleppo": [
        Part(
            "Aleppo west", "regime", 36.200, 37.135, 1_200_000, 3.0,
            "regime-held western half and the south-eastern corridor to the airport (New "
            "Aleppo, Hamdaniyah, Ramouseh).",
            "~2.3 km west of the places.csv point. Population: ~57% of places.csv Aleppo "
            "2,100,000 (a pre-war figure; east Aleppo was the denser half).",
        ),
        Part(
            "Aleppo east", "rebels", 36.208, 37.186, 830_000, 3.0,
            "rebel-held eastern half: the old city's east, Sakhour, Hanano, Haydariyah, "
            "Bustan al-Qasr; the Castello road north to Hraytan.",
            "~2.4 km east-north-east of the places.csv point. Population: ~40% of places.csv "
            "Aleppo 2,100,000.",
        ),
        Part(
            "Sheikh Maqsoud", "sdf", 36.228, 37.158, 70_000, 3.0,
            "YPG/SDF-held Kurdish district on the hill north of the centre, above the Castello "
            "road; an enclave with no road out of the city.",
            "~3 km north of the places.csv point. Population: ~3% of places.csv Aleppo "
            "2,100,000.",
        ),
    ],
    "Deir ez-Zor": [
        Part(
            "Deir ez-Zor west", "regime", 35.333, 40.115, 170_000, 2.5,
            "regime enclave besieged by ISIS since Jan 2015 (places.csv): western districts "
            "(Joura, Qusour, Harabesh), joined to the airbase (a place of places.csv).",
            "~2.4 km west of the places.csv point. Population: ~62% of places.csv Deir ez-Zor "
            "272,000 (the besieged regime districts were the most populous). Terrain: held "
            "under siege since Jan 2015, entrenched.",
        ),
        Part(
            "Deir ez-Zor east", "isis", 35.340, 40.152, 102_000, 2.0,
            "ISIS-held old city and riverside districts (Hamidiyah, Sheikh Yassin, Huweiqa), "
            "the Euphrates bridges and, for the roads from outside, the ISIS-held ground "
            "around the city.",
            "~1.1 km east-north-east of the places.csv point. Population: ~38% of places.csv "
            "Deir ez-Zor 272,000.",
        ),
    ],
    "Daraa": [
        Part(
            "Daraa al-Mahatta", "regime", 32.627, 36.100, 55_000, 1.8,
            "regime-held northern, newer town around the station (places.csv note), the end "
            "of the regime's M5 salient from Khirbet Ghazaleh.",
            "~0.9 km north of the places.csv point. Population: ~56% of places.csv Daraa "
            "98,000.",
        ),
        Part(
            "Daraa al-Balad", "rebels", 32.610, 36.107, 43_000, 1.8,
            "rebel-held old town in the south-east (places.csv note) and, for the roads from "
            "outside, the rebel countryside west, south and east of the city.",
            "~1.1 km south-south-east of the places.csv point. Population: ~44% of places.csv "
            "Daraa 98,000.",
        ),
    ],
    "Hasakah": [
        Part(
            "Hasakah north", "sdf", 36.515, 40.745, 100_000, 2.0,
            "YPG-held northern and eastern (Kurdish) districts (Mufti, Salihiyah, Tal Hajar) "
            "and the countryside west of the city.",
            "~1.5 km north of the places.csv point. Population: ~53% of places.csv Hasakah "
            "188,000.",
        ),
        Part(
            "Hasakah south", "regime", 36.492, 40.752, 88_000, 2.0,
            "regime-held centre (security quarter) and southern districts (e.g. Ghweiran).",
            "~1.2 km south of the places.csv point. Population: ~47% of places.csv Hasakah "
            "188,000.",
        ),
    ],
}  # fmt: skip

# Roads of roads.csv that reach a divided city: (city, the other end) -> (part, reason).
ROAD_PARTS: dict[tuple[str, str], tuple[str, str]] = {
    ("Aleppo", "Khan Tuman"): (
        "Aleppo west",
        "the road enters south-west Aleppo (Ramouseh), regime-held; the rebels of Khan Tuman "
        "faced the regime there",
    ),
    ("Aleppo", "al-Safira"): (
        "Aleppo west",
        "the regime's only land route into Aleppo ends in the regime-held south-east "
        "(places.csv notes)",
    ),
    ("Aleppo", "al-Nayrab airbase"): (
        "Aleppo west",
        "the airport road leaves the regime-held south-east of the city",
    ),
    ("Aleppo", "Sheikh Najjar industrial city"): (
        "Aleppo west",
        "the regime reached its north-eastern bastion past the airport, along the city's "
        "eastern edge (assumption; the road's own start is in the rebel-held north-east)",
    ),
    ("Aleppo", "Hraytan"): (
        "Aleppo east",
        "the Castello road: rebel Aleppo's route north to Azaz and Turkey",
    ),
    ("Aleppo", "Tal Jabin"): (
        "Aleppo west",
        "roads.csv: the regime corridor to Nubl; the regime attacked from its northern "
        "positions (Handarat, Bashkoy) in Feb 2016",
    ),
    ("Aleppo", "Atarib"): (
        "Aleppo west",
        "the M45 leaves the regime-held west (Khan al-Asal front); rebel Atarib faced it",
    ),
    ("Deir ez-Zor", "al-Sukhnah"): (
        "Deir ez-Zor east",
        "ISIS held all the ground around the city (places.csv): every road from outside "
        "reaches ISIS-held ground first, and the regime enclave stays besieged",
    ),
    ("Deir ez-Zor", "al-Tibni"): ("Deir ez-Zor east", "as al-Sukhnah: ISIS ground around the city"),
    ("Deir ez-Zor", "al-Mayadin"): ("Deir ez-Zor east", "as al-Sukhnah"),
    ("Deir ez-Zor", "al-Busayrah"): ("Deir ez-Zor east", "as al-Sukhnah"),
    ("Deir ez-Zor", "al-Shaddadi"): (
        "Deir ez-Zor east",
        "as al-Sukhnah: the Khabur road arrives over the ISIS-held Euphrates bridges",
    ),
    ("Deir ez-Zor", "Deir ez-Zor airbase"): (
        "Deir ez-Zor west",
        "the airbase and the western districts formed one besieged enclave (places.csv)",
    ),
    ("Daraa", "Khirbet Ghazaleh"): (
        "Daraa al-Mahatta",
        "the M5 from the north reaches the regime-held station district",
    ),
    ("Daraa", "Tafas"): ("Daraa al-Balad", "rebel countryside west of the city"),
    ("Daraa", "al-Muzayrib"): ("Daraa al-Balad", "rebel countryside south-west of the city"),
    ("Daraa", "Nasib crossing"): (
        "Daraa al-Balad",
        "the rebels held the ground south-east of the city towards Jordan",
    ),
    ("Daraa", "Busra al-Sham"): ("Daraa al-Balad", "rebel countryside east of the city"),
    ("Hasakah", "al-Shaddadi"): (
        "Hasakah south",
        "the road from the south arrives in the regime-held southern districts (Ghweiran)",
    ),
    ("Hasakah", "Tal Tamr"): ("Hasakah north", "YPG-held countryside north-west of the city"),
    ("Hasakah", "Qamishli"): (
        "Hasakah north",
        "the Qamishli road leaves to the north through the YPG-held districts",
    ),
    ("Hasakah", "al-Hawl"): ("Hasakah north", "the YPG-held eastern districts"),
}

# Roads inside a divided city, or from its parts to a place that roads.csv joins to the city
# (a second entry): (from, to, km, name, reason). km ~1.3 x the straight line, at least 2.
INNER_ROADS: list[tuple[str, str, float, str, str]] = [
    ("Aleppo west", "Aleppo east", 6, "city streets", "front line through the old city"),
    ("Aleppo west", "Sheikh Maqsoud", 5, "city streets", "borders regime districts to the SW"),
    ("Aleppo east", "Sheikh Maqsoud", 4, "city streets", "overlooks the Castello road"),
    ("Deir ez-Zor west", "Deir ez-Zor east", 4, "city streets", "front line through the city"),
    (
        "Deir ez-Zor east", "Deir ez-Zor airbase", 8, "airport road",
        "ISIS-held ground adjoins the airbase to the north and east (the siege)",
    ),
    ("Daraa al-Mahatta", "Daraa al-Balad", 3, "city streets", "front line between the towns"),
    ("Hasakah north", "Hasakah south", 3, "city streets", "line between YPG and regime districts"),
]  # fmt: skip

# Terrain: the rule's exceptions (assumption), with their reason.
DESERT = "desert/steppe town, open ground"
HILL = "hill or mountain town"
ENCLAVE = "fortified enclave that held out under siege for years (places.csv note)"
TERRAIN: dict[str, tuple[float, str]] = {
    "Palmyra": (1.5, "desert city; the citadel and hills to its west give some cover"),
    "Menagh airbase": (1.5, "airbase, fell to rebels in 2013; less fortified than the big ones"),
    "al-Safira": (1.5, "town with the regime's fortified defence factories (places.csv note)"),
    "Suwayda": (2.0, "city on the Jabal al-Druze"),
    "Tishrin Dam": (1.5, "dam: a narrow Euphrates crossing, easy to hold"),
    **{name: (1.6, HILL) for name in (
        "Jisr al-Shughur", "Kafr Nabl", "Salma", "Rabia", "Kinsabba", "Slinfah", "Kassab",
        "Zabadani", "Madaya", "Beit Jinn", "Maaloula", "Darkush", "Bdama",
    )},
    **{name: (1.5, ENCLAVE) for name in ("Nubl", "Zahraa", "al-Fu'ah", "Kafriya")},
    **{name: (1.0, DESERT) for name in (
        "al-Qaryatayn", "Ithriya", "Khanasir", "al-Sukhnah", "Mhin", "Hawarin", "Sadad",
        "Furqlus", "Maskanah", "Deir Hafer", "al-Sheikh Hilal", "Uqayribat", "Rasm al-Harmal",
        "Tal Sab'in", "Jubb al-Jarrah", "al-Ruhaybah", "al-Dumayr", "al-Hawl", "al-Shaddadi",
    )},
}  # fmt: skip

# Tags: (tags, reason). vital: the regime's core ("perceived vital areas", article.txt);
# symbolic: places.csv and article.txt call them symbolic; supply_source: a side's capital or
# gate (the factions' own `supply_sources` lists decide what actually supplies whom).
TAGS: dict[str, tuple[list[str], str]] = {
    "Palmyra": (["symbolic"], "ancient city, symbolic (article.txt, places.csv)"),
    "al-Qaryatayn": (["symbolic"], "Christian minority, symbolic (article.txt, places.csv)"),
    "Homs": (["vital"], "core regime-held city on the M5, links Damascus to the coast"),
    "Hama": (["vital"], "core regime-held city on the M5"),
    "Damascus": (["vital", "supply_source"], "the capital, the regime's core and hub"),
    "Aleppo west": (["vital"], "regime-held half of Syria's largest city"),
    "Raqqa": (["supply_source"], "ISIS de facto capital (places.csv)"),
    "Latakia": (["vital", "supply_source"], "Alawite heartland (article.txt); regime port"),
    "Jableh": (["vital"], "Alawite coast (Coastal Shield's home, article.txt), next to Hmeimim"),
    "Hmeimim airbase": (["vital"], "main Russian air base (places.csv)"),
    "Tartous": (["vital", "supply_source"], "coast; Russian naval facility (places.csv)"),
    "Suwayda": (["vital"], "Homeland Shield defends this 'perceived vital area' (article.txt)"),
    "Qamishli": (["supply_source"], "largest SDF-held city, hub of the YPG-held north-east"),
    "Bab al-Salama crossing": (["supply_source"], "rebels' main gate from Turkey (forces.md)"),
    "Bab al-Hawa crossing": (["supply_source"], "main gate of rebel Idlib to Turkey (places.csv)"),
    "Nasib crossing": (["supply_source"], "southern rebels' crossing to Jordan (places.csv)"),
    "Abu Kamal": (["supply_source"], "ISIS's main link to Iraq (places.csv)"),
    "Dabiq": (["symbolic"], "symbolic for ISIS (places.csv)"),
    "Qardaha": (["symbolic"], "Assad family home town, symbolic (places.csv)"),
    "Maaloula": (["symbolic"], "Christian (Aramaic-speaking) town, symbolic (places.csv)"),
    "Busra al-Sham": (["symbolic"], "Roman theatre, symbolic (places.csv)"),
}


def terrain_by_rule(kind: str, population: float) -> tuple[float, str]:
    """The fortification factor of a place by its kind and size (assumption)."""
    if kind == "city":
        for floor, value, words in (
            (1_000_000, 3.0, "very large city, dense urban terrain"),
            (300_000, 2.5, "large city"),
            (100_000, 2.0, "city"),
        ):
            if population >= floor:
                return value, words
        return 1.8, "small city"
    return {
        "town": (1.3, "town"),
        "village": (1.0, "village, open ground"),
        "airbase": (2.0, "fortified airbase"),
        "base": (2.0, "fortified military site"),
        "dam": (1.5, "dam: a narrow crossing, easy to hold"),
    }.get(kind, (1.0, "open ground"))


def read_table(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def confidence(note: str) -> str:
    """What places.csv's note says of the sources of the coordinates and the controller."""
    fields = dict(re.findall(r"(coords|pop|ctrl): ([^;|]*)", note))
    coords = fields.get("coords", "").strip()
    if coords.startswith("GeoNames"):
        where = "GeoNames"
    else:
        error = re.search(r"\+-\s*(\d+(?:\.\d+)?)\s*km", note)
        where = "[V]" if "[V]" in coords else "[M]" if "[M]" in coords else "previous places.csv"
        where += f" +-{error.group(1)} km" if error else ""
    ctrl = fields.get("ctrl", "")
    said = "[V]" if "[V]" in ctrl else "[M]" if "[M]" in ctrl else "previous places.csv"
    return f"coordinates {where}; controller {said}"


def comment(text: str, indent: str = "# ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def place_lines(name: str, fields: dict[str, object], notes: list[str]) -> list[str]:
    """A place's TOML table with its comment lines; values carry their source."""
    lines = [line for note in notes for line in comment(note)]
    lines.append(f"[map.places.{quote(name)}]")
    for key, (value, source) in fields.items():
        lines.append(f"{key} = {value}".ljust(35) + f"# {source}" if source else f"{key} = {value}")
    return lines


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def undivided_place(row: dict[str, str]) -> list[str]:
    name, note = row["name"], row["note"]
    terrain, why = TERRAIN.get(name) or terrain_by_rule(row["kind"], float(row["population"]))
    tags, tag_reason = TAGS.get(name, ([], ""))
    notes = [f"places.csv ({confidence(note)}): {note.split(' | ')[0]}"]
    notes.append(f"Terrain: {why}.")
    if tags:
        notes.append(f"Tags {', '.join(tags)}: {tag_reason}.")
    fields = {
        "lat": (row["lat"], "places.csv"),
        "lon": (row["lon"], "places.csv"),
        "population": (row["population"], "places.csv (rough)"),
        "kind": (quote(row["kind"]), "places.csv"),
        "region": (quote(row["governorate"]), "places.csv governorate"),
        "controller": (quote(row["controller_2015_10"]), "places.csv controller_2015_10"),
        "terrain": (terrain, "assumption"),
        "tags": ("[" + ", ".join(quote(t) for t in tags) + "]", ""),
    }
    return place_lines(name, fields, notes)


def divided_city(row: dict[str, str]) -> list[str]:
    city = row["name"]
    parts = DIVIDED[city]
    lines = comment(
        f"==== {city}: divided city (places.csv, {confidence(row['note'])}: "
        f"{row['note'].split(' | ')[0]}). Split into {', '.join(p.name for p in parts)}. "
        f"places.csv point {row['lat']}, {row['lon']}, population {row['population']}; the "
        "parts' positions and the split of the population are assumptions."
    )
    for part in parts:
        tags, tag_reason = TAGS.get(part.name, ([], ""))
        notes = [part.description, f"Position: {part.position}"]
        if tags:
            notes.append(f"Tags {', '.join(tags)}: {tag_reason}.")
        fields = {
            "lat": (f"{part.lat:.3f}", "assumption: offset from the places.csv point"),
            "lon": (f"{part.lon:.3f}", "assumption: offset from the places.csv point"),
            "population": (part.population, "assumption: share of the places.csv figure"),
            "kind": (quote(part.kind or row["kind"]), "places.csv"),
            "region": (quote(row["governorate"]), "places.csv governorate"),
            "controller": (quote(part.controller), "places.csv note, 2015-10-01"),
            "terrain": (part.terrain, "assumption"),
            "tags": ("[" + ", ".join(quote(t) for t in tags) + "]", ""),
        }
        lines += ["", *place_lines(part.name, fields, notes)]
    return lines


def road_lines(roads: list[dict[str, str]]) -> list[str]:
    """Every road of roads.csv in its order, then the roads inside the divided cities."""
    lines = []
    for road in roads:
        ends, reasons = [], []
        for end, other in ((road["from"], road["to"]), (road["to"], road["from"])):
            if end in DIVIDED:
                part, reason = ROAD_PARTS[(end, other)]
                ends.append(part)
                reasons.append(f"{end} -> {part}: {reason}")
            else:
                ends.append(end)
        lines += comment("; ".join(reasons), "    # ") if reasons else []
        km = road["km"]
        lines.append(
            f"    {{ from = {quote(ends[0])}, to = {quote(ends[1])}, km = {km}, "
            f"name = {quote(road['road'])} }},  # roads.csv"
        )
    lines.append("    # roads inside the divided cities (assumption: ~1.3 x the straight line)")
    for start, end, km, name, reason in INNER_ROADS:
        lines += comment(reason, "    # ")
        lines.append(
            f"    {{ from = {quote(start)}, to = {quote(end)}, km = {km}, name = {quote(name)} }},"
            "  # assumption"
        )
    return lines


HEADER = """\
# The Syria map, 2015-16: places and roads only. Scenario files `extends` this file and
# add the factions' forces, doctrine, air support and events.
#
# GENERATED by reference/build_map.py from reference/places.csv and reference/roads.csv
# (committed copies of the project's shared/reference/ tables): edit the script or the
# tables, not this file, and run `python scenarios/syria/reference/build_map.py`.
#
# 230 places of places.csv (the divided cities as parts, below) and its 309 roads. Every
# number carries a comment naming its source file or the word `assumption`; each place cites
# places.csv and the confidence of its note: coordinates from GeoNames, [V] from a page that
# was read, [M] from memory (lower confidence), with the stated error in km.
#
# Controllers are those of 2015-10-01 (places.csv `controller_2015_10`); a scenario for
# another date overrides them and says where its controllers come from.
#
# Divided cities (places.csv `contested`: Aleppo, Deir ez-Zor, Daraa, Hasakah) are split into
# parts joined by short roads, each part held by one side. The parts' positions, population
# shares and the roads between them are assumptions; every road of roads.csv that reaches a
# divided city joins the part it reaches first, for the reason given at the road.
#
# terrain (fortification factor, 1 = open ground) is an assumption everywhere: 3 for cities
# of a million, 2.5 above 300,000, 2 above 100,000 and for airbases and military sites, 1.8
# for smaller cities, 1.3 for towns, 1.5 for dams, 1.0 for villages, crossings, fields and
# desert towns; 1.6 for hill towns, 1.5 for enclaves that held out under siege; the
# exceptions are said at the place.
#
# tags: vital = what the regime defends first when short of men (the article's "perceived
# vital areas"); symbolic = places article.txt or places.csv call symbolic; supply_source =
# a side's capital or gate (the factions' own `supply_sources` lists, set by the scenarios,
# decide what actually supplies whom).

# Minimal faction tables, so that the controllers below name known factions; the scenario
# files that extend this map complete them.
[factions.regime]
label = "Regime"
color = "#d62728"

[factions.rebels]
label = "Rebels"
color = "#2ca02c"

[factions.isis]
label = "ISIS"
color = "#000000"

[factions.sdf]
label = "SDF"
color = "#ff7f0e"
"""


def build() -> str:
    """The text of map.toml."""
    places, roads = read_table("places.csv"), read_table("roads.csv")
    lines = [HEADER]
    for row in places:
        block = (
            divided_city(row) if row["controller_2015_10"] == CONTESTED else undivided_place(row)
        )
        lines += ["", *block]
    lines += ["", "", "# ---- Roads: every row of roads.csv (km = road km), in its order.", "[map]"]
    lines += ["roads = [", *road_lines(roads), "]", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if map.toml is not current")
    text = build()
    if parser.parse_args().check:
        current = MAP_FILE.read_text(encoding="utf-8") == text
        print(f"{MAP_FILE}: {'current' if current else 'NOT current: rebuild it'}")
        return 0 if current else 1
    MAP_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {MAP_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
