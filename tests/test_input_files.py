"""Reading input files: the parsed tables kept per process (a calibration reads the same
scenario once per parameter set) must behave exactly as a fresh parse would."""

from __future__ import annotations

from sim.formats import input_files
from sim.formats.input_files import MAX_DEPTH, read_toml

TEXT = 'name = "x"\n[factions.red]\nforces = { A = 10.0 }\nsupply_sources = ["A"]\n'


def test_a_table_read_again_is_equal_and_shares_nothing_with_the_first(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(TEXT)
    first, problems = read_toml(path)
    assert problems == []
    first["factions"]["red"]["forces"]["A"] = 99.0
    first["factions"]["red"]["supply_sources"].append("B")
    again, _ = read_toml(path)
    assert again == {
        "name": "x",
        "factions": {"red": {"forces": {"A": 10.0}, "supply_sources": ["A"]}},
    }


def test_an_edited_file_is_parsed_again(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(TEXT)
    read_toml(path)
    path.write_text(TEXT.replace("10.0", "20.0"))
    table, _ = read_toml(path)
    assert table["factions"]["red"]["forces"]["A"] == 20.0


def test_a_text_nested_too_deep_is_refused_every_time(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2) + "\n")
    for _ in range(2):
        table, problems = read_toml(path)
        assert table is None and len(problems) == 1 and "nested" in problems[0].message


def test_a_text_above_the_kept_size_is_parsed_but_not_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(input_files, "KEPT_BYTES", 10)
    input_files._parsed.cache_clear()
    path = tmp_path / "s.toml"
    path.write_text(TEXT)
    table, problems = read_toml(path)
    assert problems == [] and table["name"] == "x"
    assert input_files._parsed.cache_info().currsize == 0
