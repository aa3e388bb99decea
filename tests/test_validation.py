"""Bad scenario files: every problem names the file and the key path and says what is expected.

Each test writes a tiny scenario into `tmp_path` (three places on an x/y map, two or three
factions), breaks one thing, and checks the exact problem reported for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.formats.problems import InputError, Problem
from sim.formats.scenario import OVERRIDE_SOURCE, check_scenario, load_scenario, parse_overrides

BASE = """\
name = "tiny"

[map.places]
Alpha = { x = 0, y = 0, controller = "blue", region = "North" }
Bravo = { x = 10, y = 0, controller = "red", region = "South" }
Charlie = { x = 20, y = 0, region = "South" }

[[map.roads]]
from = "Alpha"
to = "Bravo"
km = 10

[[map.roads]]
from = "Bravo"
to = "Charlie"
km = 10

[factions.blue]
reserve = 1000
morale = 0.6
supply_sources = ["Alpha"]
relations = { red = "enemy" }
forces = { Alpha = 500 }

[factions.red]
reserve = 800
supply_sources = ["Bravo"]
relations = { blue = "enemy" }
forces = { Bravo = 400 }
"""

GRID = """\
[map.grid]
width = 4
height = 3

[map.grid.zones.west]
x = [0, 1]
y = [0, 2]
controller = "blue"
region = "West"

[map.grid.zones.east]
x = [2, 3]
y = [0, 2]
controller = "red"
region = "East"

[map.grid.cells.Fort]
x = 0
y = 1

[map.grid.cells.Camp]
x = 3
y = 1

[factions.blue]
reserve = 100
relations = { red = "enemy" }

[factions.red]
reserve = 100
"""


# --- helpers ---------------------------------------------------------------------------


def edit(text: str, old: str, new: str) -> str:
    """Replace `old` (which must occur exactly once) so a test cannot silently edit nothing."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, overrides: dict | None = None) -> list[Problem]:
    scenario, problems = check_scenario(path, overrides)
    assert (scenario is None) == bool(problems)
    return problems


def same_file(a: Path, b: Path) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def the_problem(problems: list[Problem], where: str) -> Problem:
    """The single problem reported at key path `where`."""
    found = [p for p in problems if p.where == where]
    assert len(found) == 1, f"expected one problem at {where!r}, got {problems}"
    return found[0]


def assert_problem(problems: list[Problem], file: Path, where: str, *fragments: str) -> Problem:
    """Assert a problem at `where`, blamed on `file`, whose message has every fragment."""
    problem = the_problem(problems, where)
    assert same_file(problem.file, file), f"{problem} blamed on the wrong file"
    for fragment in fragments:
        assert fragment in problem.message, f"{fragment!r} not in {problem.message!r}"
    text = str(problem)
    assert Path(file).name in text and where in text
    return problem


def only_problem(tmp_path: Path, text: str, where: str, *fragments: str) -> Problem:
    """Write `text`, check that it has exactly one problem, at `where`, and return it."""
    path = write(tmp_path, text)
    problems = problems_of(path)
    assert [p.where for p in problems] == [where], problems
    return assert_problem(problems, path, where, *fragments)


# --- the base files are sound ----------------------------------------------------------


def test_base_scenario_is_valid(tmp_path):
    scenario = load_scenario(write(tmp_path, BASE))
    assert scenario.name == "tiny"
    assert list(scenario.places) == ["Alpha", "Bravo", "Charlie"]
    assert scenario.spec.factions["blue"].reserve == 1000


def test_grid_scenario_is_valid(tmp_path):
    scenario = load_scenario(write(tmp_path, GRID))
    assert len(scenario.places) == 12
    assert scenario.places["Fort"].controller == "blue"
    assert scenario.places["Camp"].controller == "red"


# --- TOML syntax, unreadable files -----------------------------------------------------


def test_toml_syntax_error_names_the_line(tmp_path):
    text = edit(BASE, "reserve = 800", "reserve = = 800")
    line = text.splitlines().index("reserve = = 800") + 1
    problem = only_problem(tmp_path, text, f"line {line}", "TOML syntax error")
    assert "Invalid value" in problem.message


def test_duplicate_key_is_a_syntax_error_with_its_line(tmp_path):
    text = edit(BASE, "morale = 0.6\n", "morale = 0.6\nmorale = 0.7\n")
    line = text.splitlines().index("morale = 0.7") + 1
    only_problem(tmp_path, text, f"line {line}", "TOML syntax error")


def test_missing_file_is_reported_not_raised(tmp_path):
    problems = problems_of(tmp_path / "nowhere.toml")
    assert_problem(problems, tmp_path / "nowhere.toml", "file", "cannot be read")


# --- unknown keys ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "where", "hint"),
    [
        ("reserve = 1000", "reserv = 1000", "factions.blue.reserv", "'reserve'"),
        ('[[map.roads]]\nfrom = "Alpha"', '[[map.road]]\nfrom = "Alpha"', "map.road", "'roads'"),
        ('name = "tiny"', 'nmae = "tiny"', "nmae", "'name'"),
        (
            "reserve = 800",
            "reserve = 800\ndoctrin = { commit = 0.2 }",
            "factions.red.doctrin",
            "'doctrine'",
        ),
        (
            "morale = 0.6",
            "morale = 0.6\nair = { sortie_per_day = 3 }",
            "factions.blue.air.sortie_per_day",
            "'sorties_per_day'",
        ),
        ('region = "North"', 'regoin = "North"', "map.places.Alpha.regoin", "'region'"),
    ],
)
def test_unknown_key_suggests_the_closest(tmp_path, old, new, where, hint):
    only_problem(tmp_path, edit(BASE, old, new), where, "unknown key", f"did you mean {hint}?")


def test_unknown_key_without_a_close_match_lists_the_keys(tmp_path):
    problem = only_problem(tmp_path, BASE + "\n[run]\nhorizon = 30\n", "run.horizon", "unknown key")
    assert "expected one of: days, deterministic, seed, start_date" in problem.message


# --- wrong types -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "where", "expected"),
    [
        (
            "reserve = 1000",
            'reserve = "many"',
            "factions.blue.reserve",
            "must be a number, got text 'many'",
        ),
        (
            "reserve = 1000",
            "reserve = true",
            "factions.blue.reserve",
            "must be a number, got a boolean True",
        ),
        ('name = "tiny"', "name = 3", "name", "must be text (in quotes)"),
        (
            'supply_sources = ["Alpha"]',
            'supply_sources = "Alpha"',
            "factions.blue.supply_sources",
            "must be a list",
        ),
        (
            "forces = { Alpha = 500 }",
            "forces = 500",
            "factions.blue.forces",
            "must be a table, got a number 500",
        ),
        (
            'relations = { red = "enemy" }',
            'relations = { red = "foe" }',
            "factions.blue.relations.red",
            "must be one of 'enemy', 'allied', 'neutral'",
        ),
        (
            'region = "North"',
            'region = "North", kind = "castle"',
            "map.places.Alpha.kind",
            "must be one of",
        ),
    ],
)
def test_wrong_type_says_what_is_expected(tmp_path, old, new, where, expected):
    only_problem(tmp_path, edit(BASE, old, new), where, expected)


def test_misspelt_tag_suggests_the_closest(tmp_path):
    text = edit(BASE, 'region = "North"', 'region = "North", tags = ["vital", "symbolik"]')
    only_problem(
        tmp_path,
        text,
        "map.places.Alpha.tags[1]",
        "must be one of 'vital', 'symbolic', 'supply_source', got 'symbolik'",
        "(did you mean 'symbolic'?)",
    )


@pytest.mark.parametrize(
    ("run", "where", "expected"),
    [
        ("days = 1.5", "run.days", "must be a whole number, got a number 1.5"),
        ('seed = "one"', "run.seed", "must be a whole number, got text 'one'"),
        ('deterministic = "yes"', "run.deterministic", "must be true or false, got text 'yes'"),
        ('start_date = "2015-13-01"', "run.start_date", "must be a date such as 2015-10-01"),
        ("start_date = 2015-10-01T12:00:00", "run.start_date", "got a date-time"),
    ],
)
def test_wrong_type_in_run_table(tmp_path, run, where, expected):
    only_problem(tmp_path, BASE + f"\n[run]\n{run}\n", where, expected)


def test_a_date_may_be_given_as_text(tmp_path):
    scenario = load_scenario(write(tmp_path, BASE + '\n[run]\nstart_date = "2015-09-30"\n'))
    assert scenario.spec.run.start_date.isoformat() == "2015-09-30"


# --- values out of range ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "where", "expected"),
    [
        (
            "reserve = 1000",
            "reserve = -5",
            "factions.blue.reserve",
            "must be between 0 and 10000000, got -5",
        ),
        (
            "forces = { Bravo = 400 }",
            "forces = { Bravo = -400 }",
            "factions.red.forces.Bravo",
            "must be between 0 and 10000000, got -400",
        ),
        (
            "morale = 0.6",
            "morale = 1.2",
            "factions.blue.morale",
            "must be between 0 and 1, got 1.2",
        ),
        (
            "morale = 0.6",
            "morale = -0.1",
            "factions.blue.morale",
            "must be between 0 and 1, got -0.1",
        ),
        ("morale = 0.6", "morale = nan", "factions.blue.morale", "must be a finite number"),
        (
            'to = "Bravo"\nkm = 10',
            'to = "Bravo"\nkm = 0',
            "map.roads[0].km",
            "must be between 0.01 and 20000, got 0",
        ),
        (
            'region = "North"',
            'region = "North", population = -1',
            "map.places.Alpha.population",
            "between 0 and 100000000",
        ),
        (
            "morale = 0.6",
            "morale = 0.6\ndoctrine = { commit = 1.5 }",
            "factions.blue.doctrine.commit",
            "between 0 and 1, got 1.5",
        ),
    ],
)
def test_value_out_of_range(tmp_path, old, new, where, expected):
    only_problem(tmp_path, edit(BASE, old, new), where, expected)


def test_run_days_out_of_range(tmp_path):
    only_problem(tmp_path, BASE + "\n[run]\ndays = 0\n", "run.days", "between 1 and 100000, got 0")


def test_shares_that_do_not_sum_to_one(tmp_path):
    text = BASE + "\n[factions.blue.air]\nsorties_per_day = 5\ntargeting = { red = 0.6 }\n"
    only_problem(tmp_path, text, "factions.blue.air.targeting", "shares must sum to 1, got 0.6")


def test_shares_summing_to_one_are_accepted(tmp_path):
    text = BASE + '\n[factions.green]\nrelations = { blue = "enemy", red = "enemy" }\n'
    text += "\n[factions.blue.air]\ntargeting = { red = 0.7, green = 0.3 }\n"
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.spec.factions["blue"].air.targeting == {"red": 0.7, "green": 0.3}


def test_share_above_one_is_out_of_range(tmp_path):
    text = BASE + "\n[factions.blue.air]\ntargeting = { red = 1.5 }\n"
    only_problem(tmp_path, text, "factions.blue.air.targeting.red", "between 0 and 1, got 1.5")


# --- references to unknown places and factions -----------------------------------------


def test_force_at_unknown_place_suggests_the_closest(tmp_path):
    text = edit(BASE, "forces = { Bravo = 400 }", "forces = { Bravo = 400, Charly = 5 }")
    only_problem(
        tmp_path, text, "factions.red.forces.Charly", "unknown place 'Charly'", "'Charlie'?"
    )


def test_unknown_place_without_a_close_match_lists_the_places(tmp_path):
    text = edit(BASE, "forces = { Bravo = 400 }", "forces = { Bravo = 400, Zulu = 5 }")
    problem = only_problem(tmp_path, text, "factions.red.forces.Zulu", "unknown place 'Zulu'")
    assert "expected one of: Alpha, Bravo, Charlie" in problem.message


def test_place_name_with_a_space_is_quoted_in_the_key_path(tmp_path):
    text = edit(BASE, "forces = { Bravo = 400 }", 'forces = { Bravo = 400, "Hill 3" = 5 }')
    only_problem(tmp_path, text, 'factions.red.forces."Hill 3"', "unknown place 'Hill 3'")


def test_controller_that_is_an_unknown_faction(tmp_path):
    text = edit(
        BASE,
        'Charlie = { x = 20, y = 0, region = "South" }',
        'Charlie = { x = 20, y = 0, region = "South", controller = "bleu" }',
    )
    only_problem(
        tmp_path,
        text,
        "map.places.Charlie.controller",
        "unknown faction 'bleu'",
        "(did you mean 'blue'?)",
    )


def test_relation_to_an_unknown_faction(tmp_path):
    text = edit(
        BASE, 'relations = { red = "enemy" }', 'relations = { red = "enemy", rd = "allied" }'
    )
    only_problem(tmp_path, text, "factions.blue.relations.rd", "unknown faction 'rd'", "'red'?")


def test_air_targeting_of_an_unknown_faction_and_weights_of_unknown_places(tmp_path):
    text = BASE + (
        "\n[factions.blue.air]\ntargeting = { redd = 1.0 }\n"
        "place_weights = { Bravoo = 2 }\nregion_weights = { Sooth = 2, North = 1 }\n"
    )
    path = write(tmp_path, text)
    problems = problems_of(path)
    assert len(problems) == 3
    air = "factions.blue.air"
    assert_problem(problems, path, f"{air}.targeting.redd", "unknown faction 'redd'", "'red'?")
    assert_problem(problems, path, f"{air}.place_weights.Bravoo", "unknown place", "'Bravo'?")
    assert_problem(problems, path, f"{air}.region_weights.Sooth", "unknown region", "'South'?")


def test_faction_cannot_target_itself(tmp_path):
    text = BASE + "\n[factions.blue.air]\ntargeting = { blue = 1.0 }\n"
    only_problem(tmp_path, text, "factions.blue.air.targeting.blue", "cannot target itself")


def test_road_to_an_unknown_place(tmp_path):
    text = edit(BASE, 'to = "Charlie"', 'to = "Charly"')
    only_problem(tmp_path, text, "map.roads[1].to", "unknown place 'Charly'", "'Charlie'?")


def test_road_from_an_unknown_place_without_hint_lists_places(tmp_path):
    text = edit(BASE, 'from = "Alpha"', 'from = "Xanadu"')
    problem = only_problem(tmp_path, text, "map.roads[0].from", "unknown place 'Xanadu'")
    assert "expected one of: Alpha, Bravo, Charlie" in problem.message


def test_road_joining_a_place_to_itself_and_duplicate_road(tmp_path):
    text = BASE + '\n[[map.roads]]\nfrom = "Alpha"\nto = "Alpha"\nkm = 1\n'
    text += '\n[[map.roads]]\nfrom = "Bravo"\nto = "Alpha"\nkm = 3\n'
    path = write(tmp_path, text)
    problems = problems_of(path)
    assert_problem(problems, path, "map.roads[2]", "two different places", "'Alpha' twice")
    assert_problem(problems, path, "map.roads[3]", "duplicate of map.roads[0]")
    assert len(problems) == 2


def test_road_missing_a_required_key(tmp_path):
    text = edit(BASE, 'from = "Alpha"\n', "")
    only_problem(tmp_path, text, "map.roads[0].from", "missing (this key is required)")


def test_supply_source_the_faction_does_not_hold(tmp_path):
    text = edit(BASE, 'supply_sources = ["Bravo"]', 'supply_sources = ["Bravo", "Alpha"]')
    only_problem(
        tmp_path,
        text,
        "factions.red.supply_sources[1]",
        "'red' does not hold 'Alpha' on day 0",
        "held by 'blue'",
    )


def test_supply_source_nobody_holds(tmp_path):
    text = edit(BASE, 'supply_sources = ["Bravo"]', 'supply_sources = ["Charlie"]')
    only_problem(
        tmp_path,
        text,
        "factions.red.supply_sources[0]",
        "'red' does not hold 'Charlie' on day 0 (unheld)",
    )


def test_supply_source_that_is_no_place(tmp_path):
    text = edit(BASE, 'supply_sources = ["Alpha"]', 'supply_sources = ["Alpah"]')
    only_problem(
        tmp_path, text, "factions.blue.supply_sources[0]", "unknown place 'Alpah'", "'Alpha'?"
    )


def test_places_mixing_kinds_of_coordinates_are_each_reported(tmp_path):
    text = edit(BASE, "Alpha = { x = 0, y = 0,", "Alpha = { lat = 0, y = 0,")
    text = edit(text, "Bravo = { x = 10, y = 0,", "Bravo = { x = 10,")
    path = write(tmp_path, text)
    problems = problems_of(path)
    assert [p.where for p in problems] == ["map.places.Alpha", "map.places.Bravo"]
    for problem in problems:
        assert "`lat` and `lon`, or as `x` and `y`" in problem.message


def test_map_without_places(tmp_path):
    text = "[factions.blue]\nreserve = 10\n"
    only_problem(tmp_path, text, "map", "no places")


# --- all problems at once --------------------------------------------------------------


def test_all_problems_in_a_file_are_reported_at_once(tmp_path):
    text = edit(BASE, "reserve = 1000", "reserv = 1000")
    text = edit(text, "morale = 0.6", "morale = 1.6")
    text = edit(text, 'to = "Charlie"', 'to = "Charly"')
    text = edit(text, 'controller = "red"', 'controller = "redd"')
    text = edit(text, 'relations = { blue = "enemy" }', 'relations = { blue = "allied" }')
    text = edit(text, "forces = { Bravo = 400 }", "forces = { Bravo = 400, Delta = 1 }")
    text += '\n[events.late]\ndate = 2016-01-01\nfaction = "blue"\nadd_reserve = 10\n'
    path = write(tmp_path, text)
    problems = problems_of(path)
    wheres = {p.where for p in problems}
    expected = {
        "factions.blue.reserv",
        "factions.blue.morale",
        "map.roads[1].to",
        "map.places.Bravo.controller",
        "factions.blue.relations.red",
        "factions.red.forces.Delta",
        "events.late.date",
    }
    assert expected <= wheres, problems
    assert all(same_file(p.file, path) for p in problems)
    with pytest.raises(InputError) as raised:
        load_scenario(path)
    assert len(raised.value.problems) == len(problems)
    message = str(raised.value)
    for where in expected:
        assert f"{path.name}: {where}: " in message


def test_broken_grid_does_not_hide_faction_problems(tmp_path):
    text = edit(GRID, "x = 3\n", "x = 9\n")
    text = edit(text, 'relations = { red = "enemy" }', 'relations = { rd = "enemy" }')
    path = write(tmp_path, text)
    problems = problems_of(path)
    assert [p.where for p in problems] == ["map.grid.cells.Camp", "factions.blue.relations.rd"]


# --- extends ---------------------------------------------------------------------------


def test_missing_extends(tmp_path):
    text = 'extends = "nothere.toml"\n' + BASE
    problem = only_problem(tmp_path, text, "extends", "no such file")
    assert "nothere.toml" in problem.message


def test_missing_extends_still_reports_the_files_own_key_problems(tmp_path):
    variant = 'extends = "nothere.toml"\n[factions.blue]\nreserve = -5\nmoral = 0.5\n'
    path = write(tmp_path, variant)
    problems = problems_of(path)
    assert len(problems) == 3  # and no "missing" key: the lost base may have set them
    assert_problem(problems, path, "extends", "no such file")
    assert_problem(problems, path, "factions.blue.reserve", "between 0 and 10000000, got -5")
    assert_problem(problems, path, "factions.blue.moral", "unknown key", "'morale'?")


def test_extends_that_is_not_a_path(tmp_path):
    only_problem(tmp_path, "extends = 3\n" + BASE, "extends", "file path in quotes")


def test_cyclic_extends(tmp_path):
    first = write(tmp_path, 'extends = "second.toml"\n' + BASE, "first.toml")
    second = write(tmp_path, 'extends = "first.toml"\n', "second.toml")
    problems = problems_of(first)
    assert len(problems) == 1
    problem = assert_problem(problems, second, "extends", "cycle")
    assert "first.toml -> second.toml -> first.toml" in problem.message


def test_file_extending_itself(tmp_path):
    problem = only_problem(tmp_path, 'extends = "scenario.toml"\n', "extends", "cycle")
    assert "scenario.toml -> scenario.toml" in problem.message


def test_problems_are_blamed_on_the_file_that_wrote_them(tmp_path):
    base_text = edit(BASE, "reserve = 800", "reserve = -800")
    base = write(tmp_path, base_text, "bases/base.toml")
    child_text = 'extends = "bases/base.toml"\n\n[factions.blue]\nmorale = 3\n'
    child_text += "\n[factions.blue.doctrine]\ncommit = 2\n"
    child = write(tmp_path, child_text, "child.toml")
    problems = problems_of(child)
    assert len(problems) == 3
    assert_problem(problems, base, "factions.red.reserve", "between 0 and 10000000, got -800")
    assert_problem(problems, child, "factions.blue.morale", "between 0 and 1, got 3")
    assert_problem(problems, child, "factions.blue.doctrine.commit", "got 2")


def test_child_overrides_a_bad_value_of_its_base(tmp_path):
    write(tmp_path, edit(BASE, "reserve = 800", "reserve = -800"), "base.toml")
    child = write(tmp_path, 'extends = "base.toml"\n[factions.red]\nreserve = 900\n', "child.toml")
    scenario = load_scenario(child)
    assert scenario.spec.factions["red"].reserve == 900
    assert scenario.spec.factions["red"].forces == {"Bravo": 400}  # merged from the base
    assert scenario.name == "tiny"


def test_reference_problem_in_child_against_base_places(tmp_path):
    write(tmp_path, BASE, "base.toml")
    child = write(
        tmp_path, 'extends = "base.toml"\n[factions.red]\nforces = { Bravoo = 1 }\n', "child.toml"
    )
    problems = problems_of(child)
    assert len(problems) == 1
    assert_problem(problems, child, "factions.red.forces.Bravoo", "unknown place", "'Bravo'?")


def test_syntax_error_in_a_base_is_blamed_on_the_base(tmp_path):
    base = write(tmp_path, BASE + "\n[run]\ndays = \n", "base.toml")
    child = write(tmp_path, 'extends = "base.toml"\n', "child.toml")
    problems = problems_of(child)
    line = len((BASE + "\n[run]\ndays = \n").splitlines())
    assert len(problems) == 1
    assert_problem(problems, base, f"line {line}", "TOML syntax error")


def test_missing_extends_in_a_base_is_blamed_on_the_base(tmp_path):
    base = write(tmp_path, 'extends = "gone.toml"\n', "sub/base.toml")
    child = write(tmp_path, 'extends = "sub/base.toml"\n', "child.toml")
    problems = problems_of(child)
    assert len(problems) == 1
    assert_problem(problems, base, "extends", "no such file")


# --- grid maps -------------------------------------------------------------------------


def test_grid_cell_outside_the_grid(tmp_path):
    text = edit(GRID, "x = 3\n", "x = 4\n")
    only_problem(tmp_path, text, "map.grid.cells.Camp", "cell (4, 1) lies outside the 4x3 grid")


def test_grid_cell_with_negative_coordinate(tmp_path):
    text = edit(GRID, "x = 0\n", "x = -1\n")
    only_problem(tmp_path, text, "map.grid.cells.Fort.x", "must be at least 0, got -1")


def test_two_names_on_one_grid_cell(tmp_path):
    text = edit(GRID, "x = 3\n", "x = 0\n")
    only_problem(tmp_path, text, "map.grid.cells.Camp", "cell (0, 1) is already named 'Fort'")


@pytest.mark.parametrize(
    ("span", "shown"), [("[3, 2]", "[3, 2]"), ("[2]", "[2]"), ("[2, 4]", "[2, 4]")]
)
def test_bad_zone_span(tmp_path, span, shown):
    text = edit(GRID, "x = [2, 3]", f"x = {span}")
    only_problem(
        tmp_path,
        text,
        "map.grid.zones.east.x",
        "must be [first, last] with 0 <= first <= last < 4",
        f"got {shown}",
    )


def test_zone_span_that_is_not_a_list(tmp_path):
    text = edit(GRID, 'y = [0, 2]\ncontroller = "red"', 'y = "0-2"\ncontroller = "red"')
    only_problem(tmp_path, text, "map.grid.zones.east.y", "must be a list, got text '0-2'")


def test_grid_missing_its_size_is_reported_not_raised(tmp_path):
    text = edit(GRID, "width = 4\n", "")
    only_problem(tmp_path, text, "map.grid.width", "missing (this key is required)")


def test_grid_that_is_not_a_table(tmp_path):
    path = write(tmp_path, "[map]\ngrid = 5\n[factions.blue]\n")
    problems = problems_of(path)
    assert_problem(problems, path, "map.grid", "must be a table, got a number 5")


def test_grid_and_places_together(tmp_path):
    text = GRID + "\n[map.places]\nAlpha = { x = 0, y = 0 }\n"
    only_problem(tmp_path, text, "map", "either `places` and `roads` or `grid`, not both")


def test_grid_unknown_controller_is_reported_once_on_the_zone(tmp_path):
    text = edit(GRID, 'controller = "red"', 'controller = "rde"')
    only_problem(
        tmp_path, text, "map.grid.zones.east.controller", "unknown faction 'rde'", "'red'?"
    )


def test_grid_unknown_controller_of_a_named_cell(tmp_path):
    text = edit(GRID, "x = 3\ny = 1\n", 'x = 3\ny = 1\ncontroller = "bleu"\n')
    only_problem(tmp_path, text, "map.grid.cells.Camp.controller", "unknown faction 'bleu'")


def test_air_only_faction_holding_a_grid_zone(tmp_path):
    text = edit(GRID, 'controller = "red"', 'controller = "jets"')
    text += "\n[factions.jets]\nair_only = true\n"
    only_problem(tmp_path, text, "map.grid.zones.east.controller", "'jets' is air-only")


# --- events ----------------------------------------------------------------------------

EVENT = '\n[events.surge]\n{body}faction = "blue"\n'


def event(body: str, extra: str = "") -> str:
    return BASE + extra + EVENT.format(body=body)


def test_event_with_both_day_and_date(tmp_path):
    text = event("day = 3\ndate = 2015-10-04\n", "\n[run]\nstart_date = 2015-10-01\n")
    only_problem(tmp_path, text, "events.surge", "exactly one of `day` and `date`")


def test_event_with_neither_day_nor_date(tmp_path):
    only_problem(tmp_path, event("add_reserve = 5\n"), "events.surge", "exactly one of `day`")


def test_event_by_date_without_start_date(tmp_path):
    text = event("date = 2015-10-04\n")
    only_problem(tmp_path, text, "events.surge.date", "needs `run.start_date`")


def test_event_by_date_with_start_date_is_accepted(tmp_path):
    text = event("date = 2015-10-04\nadd_reserve = 5\n", "\n[run]\nstart_date = 2015-10-01\n")
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.spec.events["surge"].date.isoformat() == "2015-10-04"


def test_event_set_of_an_unknown_key_suggests_the_closest(tmp_path):
    text = event('day = 3\nset = { "air.sortie_per_day" = 9 }\n')
    only_problem(
        tmp_path,
        text,
        'events.surge.set."air.sortie_per_day"',
        "not a faction key that an event can set",
        "(did you mean 'air.sorties_per_day'?)",
    )


@pytest.mark.parametrize("key", ["forces", "relations", "air_only", "doctrine"])
def test_event_cannot_set_tables_or_fixed_keys(tmp_path, key):
    text = event(f'day = 3\nset = {{ "{key}" = 1 }}\n')
    only_problem(
        tmp_path, text, f"events.surge.set.{key}", "not a faction key that an event can set"
    )


def test_event_set_with_wrong_type(tmp_path):
    text = event('day = 3\nset = { "air.sorties_per_day" = "lots" }\n')
    only_problem(
        tmp_path,
        text,
        'events.surge.set."air.sorties_per_day"',
        "must be a number, got text 'lots'",
    )


def test_event_set_out_of_range(tmp_path):
    text = event('day = 3\nset = { "morale" = 2 }\n')
    only_problem(tmp_path, text, "events.surge.set.morale", "between 0 and 1, got 2")


def test_event_set_targeting_that_no_longer_sums_to_one(tmp_path):
    extra = "\n[factions.blue.air]\ntargeting = { red = 1.0 }\n"
    text = event('day = 3\nset = { "air.targeting" = { red = 0.5 } }\n', extra)
    only_problem(
        tmp_path, text, 'events.surge.set."air.targeting"', "shares must sum to 1, got 0.5"
    )


def test_event_set_targeting_of_unknown_faction(tmp_path):
    text = event('day = 3\nset = { "air.targeting" = { rde = 1.0 } }\n')
    only_problem(
        tmp_path, text, 'events.surge.set."air.targeting".rde', "unknown faction 'rde'", "'red'?"
    )


def test_event_set_place_weights_of_unknown_place(tmp_path):
    text = event('day = 3\nset = { "air.place_weights" = { Charly = 3 } }\n')
    only_problem(
        tmp_path, text, 'events.surge.set."air.place_weights".Charly', "unknown place", "Charlie"
    )


def test_event_set_supply_sources_to_unknown_place(tmp_path):
    text = event('day = 3\nset = { supply_sources = ["Charly"] }\n')
    only_problem(
        tmp_path, text, "events.surge.set.supply_sources[0]", "unknown place", "'Charlie'?"
    )


def test_event_relation_of_a_faction_to_itself(tmp_path):
    text = event('day = 3\nrelations = { blue = "enemy" }\n')
    only_problem(tmp_path, text, "events.surge.relations.blue", "no relation to itself")


def test_faction_problem_is_not_blamed_again_on_an_event(tmp_path):
    extra = "\n[factions.blue.air]\ntargeting = { red = 0.4 }\n"
    text = event('day = 3\nset = { "air.sorties_per_day" = 20 }\n', extra)
    only_problem(tmp_path, text, "factions.blue.air.targeting", "sum to 1, got 0.4")


def test_valid_event_settings_are_accepted(tmp_path):
    extra = "\n[factions.blue.air]\ntargeting = { red = 1.0 }\n"
    body = 'day = 3\nset = { "air.sorties_per_day" = 20, "recruitment.rate" = 0.5 }\n'
    scenario = load_scenario(write(tmp_path, event(body, extra)))
    assert scenario.spec.events["surge"].set == {
        "air.sorties_per_day": 20,
        "recruitment.rate": 0.5,
    }


def test_event_for_unknown_faction(tmp_path):
    text = BASE + '\n[events.surge]\nday = 3\nfaction = "bleu"\nadd_reserve = 5\n'
    only_problem(tmp_path, text, "events.surge.faction", "unknown faction 'bleu'", "'blue'?")


def test_event_that_acts_without_a_faction(tmp_path):
    text = BASE + "\n[events.surge]\nday = 3\nadd_reserve = 5\n"
    only_problem(tmp_path, text, "events.surge", "missing `faction`")


def test_event_adding_forces_at_unknown_place(tmp_path):
    text = event("day = 3\nadd_forces = { Alpah = 5 }\n")
    only_problem(tmp_path, text, "events.surge.add_forces.Alpah", "unknown place", "'Alpha'?")


def test_event_day_is_not_negative(tmp_path):
    path = write(tmp_path, event("day = -1\n"))
    assert_problem(problems_of(path), path, "events.surge.day", "between 0 and 100000, got -1")


# --- relations, militias, air-only factions --------------------------------------------


def test_relations_that_disagree_both_ways(tmp_path):
    text = edit(BASE, 'relations = { blue = "enemy" }', 'relations = { blue = "allied" }')
    only_problem(
        tmp_path,
        text,
        "factions.blue.relations.red",
        "'blue' calls 'red' 'enemy' but 'red' calls 'blue' 'allied'",
    )


def test_relation_given_one_way_only_is_accepted(tmp_path):
    text = edit(BASE, 'relations = { blue = "enemy" }\n', "")
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.spec.factions["red"].relations == {}


def test_relation_to_itself(tmp_path):
    text = edit(
        BASE, 'relations = { blue = "enemy" }', 'relations = { blue = "enemy", red = "allied" }'
    )
    only_problem(tmp_path, text, "factions.red.relations.red", "no relation to itself")


def test_militia_forces_outside_home_region(tmp_path):
    text = edit(BASE, "reserve = 800", 'reserve = 800\nhome_region = "South"')
    text = edit(text, "forces = { Bravo = 400 }", "forces = { Bravo = 400, Alpha = 50 }")
    only_problem(
        tmp_path,
        text,
        "factions.red.forces.Alpha",
        "'red' is a local militia of 'South'; 'Alpha' lies in 'North'",
    )


def test_militia_reinforced_by_event_outside_home_region(tmp_path):
    text = edit(BASE, "reserve = 800", 'reserve = 800\nhome_region = "South"')
    text += '\n[events.help]\nday = 5\nfaction = "red"\nadd_forces = { Charlie = 5, Alpha = 5 }\n'
    only_problem(tmp_path, text, "events.help.add_forces.Alpha", "local militia of 'South'")


def test_militia_with_unknown_home_region(tmp_path):
    text = edit(BASE, "reserve = 800", 'reserve = 800\nhome_region = "Suoth"')
    path = write(tmp_path, text)
    problems = problems_of(path)
    assert_problem(problems, path, "factions.red.home_region", "unknown region 'Suoth'", "'South'?")


def test_air_only_faction_holding_a_place(tmp_path):
    text = edit(BASE, 'y = 0, region = "South" }', 'y = 0, region = "South", controller = "jets" }')
    text += "\n[factions.jets]\nair_only = true\n"
    only_problem(
        tmp_path,
        text,
        "map.places.Charlie.controller",
        "'jets' is air-only and cannot hold places",
    )


def test_air_only_faction_with_ground_forces_and_reserve(tmp_path):
    text = BASE + "\n[factions.jets]\nair_only = true\nreserve = 10\nforces = { Charlie = 5 }\n"
    path = write(tmp_path, text)
    problems = problems_of(path)
    assert len(problems) == 2
    assert_problem(problems, path, "factions.jets", "air-only faction has no reserve")
    assert_problem(problems, path, "factions.jets.forces.Charlie", "air-only and has no ground")


def test_air_only_faction_is_accepted(tmp_path):
    text = BASE + "\n[factions.jets]\nair_only = true\n"
    text += "\n[factions.jets.air]\nsorties_per_day = 4\ntargeting = { red = 1.0 }\n"
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.spec.factions["jets"].air_only


# --- overrides (--set) -----------------------------------------------------------------


def test_parse_overrides_builds_nested_tables():
    table = parse_overrides(
        ["run.days=30", 'factions.red.forces."Hill 3"=500', 'factions.red.label = "Reds"']
    )
    assert table == {
        "run": {"days": 30},
        "factions": {"red": {"forces": {"Hill 3": 500}, "label": "Reds"}},
    }


def test_parse_overrides_from_a_dict_round_trips_values():
    table = parse_overrides(
        {
            "run.deterministic": True,
            "factions.blue.label": 'say "hi"',
            "factions.blue.air.targeting": {"red": 0.25},
            "factions.blue.supply_sources": ["Alpha"],
            "factions.blue.morale": 0.5,
        }
    )
    assert table == {
        "run": {"deterministic": True},
        "factions": {
            "blue": {
                "label": 'say "hi"',
                "air": {"targeting": {"red": 0.25}},
                "supply_sources": ["Alpha"],
                "morale": 0.5,
            }
        },
    }


def test_bad_override_names_the_assignment():
    with pytest.raises(InputError) as raised:
        parse_overrides(["run.days=30", "factions.blue.label=Blue"])
    (problem,) = raised.value.problems
    assert problem.file == OVERRIDE_SOURCE
    assert problem.where == "factions.blue.label=Blue"
    assert "key.path = value" in problem.message
    assert "in quotes" in problem.message


def test_every_bad_override_is_reported():
    with pytest.raises(InputError) as raised:
        parse_overrides(["run.days", "run.seed=1", "=3"])
    assert [p.where for p in raised.value.problems] == ["run.days", "=3"]


def test_override_problems_are_blamed_on_the_override(tmp_path):
    path = write(tmp_path, BASE)
    overrides = parse_overrides(
        ["run.days=0", "factions.blue.reserv=5", "factions.blue.forces.Zulu=3"]
    )
    problems = problems_of(path, overrides)
    assert len(problems) == 3
    for problem in problems:
        assert problem.file == OVERRIDE_SOURCE
    assert the_problem(problems, "run.days").message == "must be between 1 and 100000, got 0"
    assert "did you mean 'reserve'?" in the_problem(problems, "factions.blue.reserv").message
    assert "unknown place 'Zulu'" in the_problem(problems, "factions.blue.forces.Zulu").message


def test_override_can_fix_a_bad_file(tmp_path):
    path = write(tmp_path, edit(BASE, "morale = 0.6", "morale = 1.6"))
    assert [p.where for p in problems_of(path)] == ["factions.blue.morale"]
    scenario = load_scenario(path, parse_overrides(["factions.blue.morale=0.4"]))
    assert scenario.spec.factions["blue"].morale == 0.4


def test_override_keeps_file_problems_blamed_on_the_file(tmp_path):
    path = write(tmp_path, edit(BASE, "reserve = 800", "reserve = -800"))
    problems = problems_of(path, parse_overrides(["factions.blue.reserve=5"]))
    assert len(problems) == 1
    assert_problem(problems, path, "factions.red.reserve", "between 0 and 10000000")
