"""The Syria map (scenarios/syria/map.toml) against its reference data.

The reference is the committed copy in scenarios/syria/reference/ (places.csv, roads.csv),
so these tests run on a clean clone. map.toml is generated from it by
scenarios/syria/reference/build_map.py; these tests check the result against the tables
independently of the script (and that the file is the script's current output).
"""

from __future__ import annotations

import csv
import math
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from sim.formats.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
MAP_FILE = ROOT / "scenarios" / "syria" / "map.toml"
REFERENCE = ROOT / "scenarios" / "syria" / "reference"
FACTIONS = {"regime", "isis", "rebels", "sdf"}
SOURCES = ("places.csv", "roads.csv", "forces.md", "article.txt", "assumption")

# Each divided city (places.csv controller `contested`) and the parts that stand for it,
# with each part's controller on 2015-10-01.
DIVIDED = {
    "Aleppo": {"Aleppo west": "regime", "Aleppo east": "rebels", "Sheikh Maqsoud": "sdf"},
    "Deir ez-Zor": {"Deir ez-Zor west": "regime", "Deir ez-Zor east": "isis"},
    "Daraa": {"Daraa al-Mahatta": "regime", "Daraa al-Balad": "rebels"},
    "Hasakah": {"Hasakah north": "sdf", "Hasakah south": "regime"},
}
# Parts whose names do not start with their city's name, and that city.
NAMED_APART = {"Sheikh Maqsoud": "Aleppo"}  # the Kurdish (YPG/SDF) district of Aleppo
MAX_PART_OFFSET_KM = 10.0  # a part lies within this distance of the city's places.csv point
MAX_INNER_ROAD_KM = 15.0  # roads between parts of one city are short


def read_csv(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


PLACES = read_csv("places.csv")
ROADS = read_csv("roads.csv")
UNDIVIDED = [row for row in PLACES if row["controller_2015_10"] != "contested"]


@pytest.fixture(scope="module")
def syria():
    return load_scenario(MAP_FILE)


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points."""
    (lat1, lon1), (lat2, lon2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def parts_of(name: str) -> set[str]:
    """The map places that stand for a places.csv place."""
    return set(DIVIDED[name]) if name in DIVIDED else {name}


FIRST_MAP = (  # the 54 places of the first map: their names are kept, in order
    "Palmyra", "al-Qaryatayn", "Homs", "Hama", "Damascus", "Aleppo", "al-Bab",
    "Kuweires airbase", "Azaz", "Mare'", "Tell Rifaat", "Menagh airbase", "Manbij", "Jarabulus",
    "Raqqa", "Deir ez-Zor", "Tabqa", "Idlib", "Jisr al-Shughur", "Latakia", "Jableh",
    "Hmeimim airbase", "Tartous", "Salamiyah", "Ithriya", "Khanasir", "al-Safira", "Suwayda",
    "Daraa", "al-Sukhnah", "T4 airbase", "al-Shaer gas field", "Mhin", "Hawarin", "Sadad",
    "Furqlus", "Hasakah", "Qamishli", "Kobani", "Tal Abyad", "Bab al-Salama crossing", "Nubl",
    "Zahraa", "Maskanah", "Deir Hafer", "Kafr Nabl", "Khan Shaykhun", "Maarat al-Numan",
    "Saraqib", "Rastan", "Talbiseh", "al-Tanf crossing", "Tishrin Dam", "al-Rai",
)  # fmt: skip


def test_reference_copy_is_complete():
    assert len(PLACES) == 230
    assert len(ROADS) == 309
    assert tuple(row["name"] for row in PLACES[:54]) == FIRST_MAP
    contested = {row["name"] for row in PLACES if row["controller_2015_10"] == "contested"}
    assert contested == set(DIVIDED), "every divided city needs an entry in DIVIDED"


def test_map_holds_exactly_the_reference_places_and_parts(syria):
    expected = {row["name"] for row in UNDIVIDED}
    for parts in DIVIDED.values():
        expected |= set(parts)
    assert set(syria.places) == expected


@pytest.mark.parametrize("row", UNDIVIDED, ids=lambda row: row["name"])
def test_undivided_place_matches_places_csv(syria, row):
    place = syria.places[row["name"]]
    assert place.lat == float(row["lat"])
    assert place.lon == float(row["lon"])
    assert place.population == float(row["population"])
    assert place.region == row["governorate"]
    assert place.kind == row["kind"]
    assert place.controller == row["controller_2015_10"]


@pytest.mark.parametrize("city", sorted(DIVIDED))
def test_divided_city_is_split_between_its_holders(syria, city):
    row = next(r for r in PLACES if r["name"] == city)
    parts = DIVIDED[city]
    assert city not in syria.places, "a divided city is given as parts, not as one place"
    for name, controller in parts.items():
        assert name.startswith(city) or NAMED_APART.get(name) == city
        place = syria.places[name]
        assert place.controller == controller
        assert place.region == row["governorate"]
        assert place.kind in (row["kind"], "airbase")
        offset = km_between((place.lat, place.lon), (float(row["lat"]), float(row["lon"])))
        assert offset <= MAX_PART_OFFSET_KM, f"{name} lies {offset:.1f} km from {city}"
    assert len(set(parts.values())) >= 2, "a divided city is held by more than one side"
    total = sum(syria.places[name].population for name in parts)
    assert total == pytest.approx(float(row["population"]))


def test_every_reference_road_is_present_with_its_km(syria):
    roads = [
        (frozenset((road.from_place, road.to_place)), road.km) for road in syria.spec.map.roads
    ]
    unmatched = list(roads)
    for row in ROADS:
        ends_a, ends_b = parts_of(row["from"]), parts_of(row["to"])
        matches = [
            (ends, km)
            for ends, km in unmatched
            if len(ends) == 2
            and any(a in ends and b in ends for a in ends_a for b in ends_b)
            and km == float(row["km"])
        ]
        assert matches, f"roads.csv {row['from']} - {row['to']} ({row['km']} km) is missing"
        unmatched.remove(matches[0])
    # the roads left over join two parts of one divided city, or a part of it to a place
    # that roads.csv joins to that city (a second entry into the city)
    entries = {
        c: {r["from"] if r["to"] == c else r["to"] for r in ROADS if c in (r["from"], r["to"])}
        for c in DIVIDED
    }
    for ends, km in unmatched:
        city = [
            c
            for c, parts in DIVIDED.items()
            if ends <= set(parts)
            or (len(ends & set(parts)) == 1 and ends - set(parts) <= entries[c])
        ]
        assert city, f"road {sorted(ends)} is neither in roads.csv nor inside a divided city"
        assert km <= MAX_INNER_ROAD_KM


def test_parts_of_each_divided_city_are_joined_by_roads(syria):
    graph = nx.Graph((road.from_place, road.to_place) for road in syria.spec.map.roads)
    for city, parts in DIVIDED.items():
        assert nx.is_connected(graph.subgraph(parts)), city


def test_road_graph_is_connected(syria):
    assert nx.is_connected(syria.map.graph())


def test_controllers_are_the_four_factions(syria):
    assert set(syria.spec.factions) == FACTIONS
    assert {place.controller for place in syria.places.values()} == FACTIONS


def test_tags(syria):
    def tagged(tag: str) -> set[str]:
        return {name for name, place in syria.places.items() if tag in place.tags}

    vital = {"Damascus", "Latakia", "Tartous", "Homs", "Hama", "Hmeimim airbase", "Jableh"}
    assert tagged("vital") >= vital | {"Aleppo west", "Suwayda"}
    # the places that article.txt or places.csv's notes call symbolic
    called_symbolic = {row["name"] for row in PLACES if "symbolic" in row["note"].split(" | ")[0]}
    assert called_symbolic >= {"Palmyra", "al-Qaryatayn", "Dabiq", "Qardaha"}
    assert tagged("symbolic") == called_symbolic
    sources = {"Bab al-Salama crossing", "Raqqa", "Latakia", "Tartous", "Damascus", "Qamishli"}
    sources |= {"Bab al-Hawa crossing", "Nasib crossing", "Abu Kamal"}
    assert tagged("supply_source") >= sources


def code_and_comment(line: str) -> tuple[str, str]:
    """Split a TOML line into its code without string contents and its comment."""
    code, i = [], 0
    while i < len(line):
        char = line[i]
        if char == '"':
            i += 1
            while i < len(line) and line[i] != '"':
                i += 2 if line[i] == "\\" else 1
        elif char == "'":
            i = line.index("'", i + 1)
        elif char == "#":
            return "".join(code), line[i + 1 :]
        else:
            code.append(char)
        i += 1
    return "".join(code), ""


def test_code_and_comment_ignores_hashes_and_digits_in_strings():
    assert code_and_comment('color = "#d62728"') == ("color = ", "")
    assert code_and_comment('x = { to = "Mare\'", km = 11 }  # roads.csv') == (
        "x = { to = , km = 11 }  ",
        " roads.csv",
    )


def test_every_number_names_its_source_or_is_an_assumption():
    text = MAP_FILE.read_text(encoding="utf-8")
    assert '"""' not in text and "'''" not in text, "multi-line strings are not checked"
    missing = []
    for number, line in enumerate(text.splitlines(), start=1):
        code, comment = code_and_comment(line)
        if re.search(r"\d", code) and not any(source in comment for source in SOURCES):
            missing.append(f"line {number}: {line.strip()}")
    assert not missing, "numbers without a source or `assumption` comment:\n" + "\n".join(missing)


def test_map_is_the_current_output_of_its_build_script():
    script = ROOT / "scenarios" / "syria" / "reference" / "build_map.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_new_kinds_and_governorates_are_on_the_map(syria):
    kinds = {place.kind for place in syria.places.values()}
    assert {"base", "dam", "gasfield"} <= kinds
    regions = {place.region for place in syria.places.values()}
    assert {"Rif Dimashq", "Quneitra"} <= regions
