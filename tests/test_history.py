"""History files: bad input gets one clear problem per fault, naming the file and line."""

from __future__ import annotations

import pytest

from sim.cli import main
from sim.formats.history import check_history, check_history_against, load_history
from sim.formats.problems import InputError
from sim.formats.scenario import load_scenario
from tests.conftest import ROOT

HEADER = "kind,place,from,to,date_first,date_last,note,source\n"
SYRIA = ROOT / "scenarios" / "syria"
RECORD = SYRIA / "history" / "history-2015.csv"


def write(tmp_path, *rows: str):
    path = tmp_path / "history.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def problems_of(tmp_path, *rows: str) -> list[str]:
    history, problems = check_history(write(tmp_path, *rows))
    if not problems and history is not None:
        scenario = load_scenario(SYRIA / "base_2015.toml")
        run = scenario.spec.run
        problems = check_history_against(
            history, set(scenario.map.names), set(scenario.spec.factions), run.start_date, run.days
        )
    return [str(p) for p in problems]


def test_the_syria_record_is_valid_against_base_2015(capsys):
    history = load_history(RECORD)
    assert len(history.of_kind("control")) == 16 and len(history.of_kind("route_cut")) == 1
    assert len(history.of_kind("holds")) == 235  # every place of the map on 2016-03-01
    code = main(["validate", str(RECORD), "--scenario", str(SYRIA / "base_2015.toml")])
    assert code == 0, capsys.readouterr().err


def test_unknown_place_is_named_with_its_line(tmp_path):
    problems = problems_of(
        tmp_path,
        "control,Mhin,regime,isis,2015-10-31,2015-11-01,,",
        "control,Atlantis,rebels,isis,2015-10-09,2015-10-09,,",
    )
    assert problems == [
        f"{tmp_path / 'history.csv'}: line 3: unknown place 'Atlantis' (not on the scenario's map)"
    ]


def test_unknown_faction_is_named(tmp_path):
    problems = problems_of(tmp_path, "control,Mhin,regime,martians,2015-10-31,2015-11-01,,")
    assert len(problems) == 1 and "line 2: unknown faction 'martians'" in problems[0]


def test_date_outside_the_scenario_is_an_error(tmp_path):
    problems = problems_of(tmp_path, "control,Mhin,regime,isis,2015-09-01,2015-09-02,,")
    assert len(problems) == 1
    assert (
        "line 2: dates 2015-09-01..2015-09-02 outside the scenario's run (2015-10-01 to 2016-09-30)"
        in problems[0]
    )


def test_a_fact_both_happening_and_never_is_a_contradiction(tmp_path):
    problems = problems_of(
        tmp_path,
        "never,Mare',rebels,isis,2015-10-01,2016-03-01,,",
        "control,Mare',rebels,isis,2015-11-01,2015-11-05,,",
    )
    assert len(problems) == 1
    assert (
        "line 3: isis takes Mare' here, but line 2 says it never does "
        "between 2015-10-01 and 2016-03-01" in problems[0]
    )


def test_never_outside_the_window_is_no_contradiction(tmp_path):
    problems = problems_of(
        tmp_path,
        "never,Mare',rebels,isis,2015-10-01,2015-10-31,,",
        "control,Mare',rebels,isis,2015-11-01,2015-11-05,,",
    )
    assert problems == []


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "control,Mhin,regime,isis,2015-13-01,2015-11-02,,",
            "line 2: date_first '2015-13-01' is not a date",
        ),
        (
            "control,Mhin,regime,isis,2015-11-05,2015-11-01,,",
            "line 2: date_last 2015-11-01 is before date_first 2015-11-05",
        ),
        ("capture,Mhin,regime,isis,2015-11-01,2015-11-01,,", "line 2: unknown kind 'capture'"),
        (
            "route_cut,Ithriya,regime,isis,2015-11-01,2015-11-01,,",
            "a route_cut's place is two places",
        ),
        ("control,Mhin,regime,isis,2015-11-01,2015-11-01", "line 2: has 6 fields, expected 8"),
        ("holds,Mhin,isis,regime,2016-03-01,2016-03-01,,", "a holds fact has no `from`"),
        ("control,Mhin,isis,isis,2015-11-01,2015-11-01,,", "from and to are the same faction"),
    ],
)
def test_malformed_lines(tmp_path, row, message):
    problems = problems_of(tmp_path, row)
    assert len(problems) == 1 and message in problems[0], problems


def test_wrong_header_and_every_problem_at_once(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("when,what\n2015-10-01,x\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_history(path)
    assert "line 1: the header must be kind,place,from,to" in str(error.value)
    two = problems_of(
        tmp_path,
        "control,Mhin,regime,isis,2015-11-05,2015-11-01,,",
        "capture,Mhin,regime,isis,2015-11-01,2015-11-01,,",
    )
    assert [p.split(": ")[1] for p in two] == ["line 2", "line 3"]


def test_validate_reports_a_bad_history_file(tmp_path, capsys):
    path = write(tmp_path, "control,Atlantis,rebels,isis,2015-10-09,2015-10-09,,")
    assert main(["validate", str(path)]) == 0  # alone, it is well formed
    assert main(["validate", str(path), "--scenario", str(SYRIA / "base_2015.toml")]) == 1
    assert "line 2: unknown place 'Atlantis'" in capsys.readouterr().err
