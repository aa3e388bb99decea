"""The Compare page's own drawings: the share chart of a 0/1 metric (share and Wilson
interval, not dots) and the capture maps with their colour scales."""

from __future__ import annotations

import re

import numpy as np

from dashboards.capture_map import capture_map_svg, difference_color, difference_map_svg
from dashboards.charts import share_chart
from sim.experiments.proportions import wilson
from sim.formats.scenario import load_scenario
from tests.conftest import ROOT


def test_a_share_chart_shows_each_share_with_its_wilson_interval():
    svg = share_chart("holds_x", {"a": np.array([1, 1, 0, 1.0]), "b<i>": np.zeros(5)})
    assert "75% (3/4)" in svg and "0% (0/5)" in svg
    low, high = wilson(3, 4)
    assert f"(Wilson 95 %: {low:.0%}-{high:.0%})" in svg
    assert "b&lt;i&gt;" in svg and "<i>" not in svg  # names are escaped
    assert svg.count("<circle") == 2  # one dot per group, not one per run


def test_difference_colours_run_from_blue_through_white_to_red():
    assert difference_color(0.0) == "rgb(255,255,255)"
    red, blue = difference_color(1.0), difference_color(-1.0)
    r, g, b = map(int, re.findall(r"\d+", red))
    assert r > g and r > b
    r, g, b = map(int, re.findall(r"\d+", blue))
    assert b > r and b > g
    assert difference_color(5.0) == red  # clipped


def test_capture_maps_have_a_colour_scale_and_say_what_they_show():
    world = load_scenario(ROOT / "scenarios" / "teaching" / "valley.toml").map
    values = np.zeros(len(world.names))
    values[0], values[1] = 0.5, -0.25
    svg = difference_map_svg(world, values, "v minus b")
    assert 'class="fl-colour-scale"' in svg and "variant minus baseline" in svg
    assert f"<title>{world.names[0]}: +50 pts</title>" in svg
    assert f"<title>{world.names[1]}: -25 pts</title>" in svg
    assert ">-100<" in svg and ">+100<" in svg
    shares = capture_map_svg(world, np.abs(values), "shares")
    assert ">0%<" in shares and ">100%<" in shares and "50% of runs" in shares
