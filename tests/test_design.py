"""Parameter designs: grids, Latin hypercubes and Sobol sequences over uncertain keys."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments.design import design_points
from sim.formats.experiment import DesignSpec, ParameterRange


def points(method: str, n: int = 8, seed: int = 1, **ranges) -> tuple[list, list]:
    problems = []
    spec = DesignSpec(method=method, points=n, parameters=ranges)
    found = design_points(spec, seed, lambda path, message: problems.append((path, message)))
    return found, problems


def test_a_grid_is_every_combination():
    found, problems = points(
        "grid", a=ParameterRange(values=[1.0, 2.0]), b=ParameterRange(values=[5.0, 6.0, 7.0])
    )
    assert problems == []
    assert sorted((p["a"], p["b"]) for p in found) == [
        (a, b) for a in (1.0, 2.0) for b in (5.0, 6.0, 7.0)
    ]


def test_a_latin_hypercube_fills_each_stratum_once():
    found, _ = points("lhs", n=10, a=ParameterRange(low=0.0, high=10.0))
    values = np.array([p["a"] for p in found])
    assert ((values >= 0) & (values <= 10)).all()
    assert sorted(np.floor(values).astype(int)) == list(range(10))


def test_a_sobol_design_is_saltellis_scheme_over_balanced_sobol_points():
    """16 base samples of 2 parameters: 16 x (2 + 2) points in blocks [A, AB1, AB2, B]
    (SALib's order), where A and B are balanced scrambled Sobol sets and AB_j is A with
    column j taken from B."""
    found, problems = points(
        "sobol", n=16, a=ParameterRange(low=0.0, high=1.0), b=ParameterRange(low=0, high=1)
    )
    assert problems == [] and len(found) == 16 * 4
    xy = np.array([[p["a"], p["b"]] for p in found]).reshape(16, 4, 2)
    a, ab1, ab2, b = (xy[:, k] for k in range(4))
    for sample in (a, b):
        quadrants = np.histogram2d(sample[:, 0], sample[:, 1], bins=2, range=[[0, 1]] * 2)[0]
        assert (quadrants == 4).all()  # a scrambled Sobol set is balanced
    np.testing.assert_array_equal(ab1, np.column_stack([b[:, 0], a[:, 1]]))
    np.testing.assert_array_equal(ab2, np.column_stack([a[:, 0], b[:, 1]]))
    _, problems = points("sobol", n=12, a=ParameterRange(low=0.0, high=1.0))
    assert problems == [(("design", "points"), "a Sobol design needs a power of 2, got 12")]


def test_the_same_seed_gives_the_same_points():
    first, _ = points("lhs", seed=7, a=ParameterRange(low=0.0, high=1.0))
    again, _ = points("lhs", seed=7, a=ParameterRange(low=0.0, high=1.0))
    other, _ = points("lhs", seed=8, a=ParameterRange(low=0.0, high=1.0))
    assert first == again != other


@pytest.mark.parametrize(
    ("method", "parameter", "message"),
    [
        ("lhs", ParameterRange(low=2.0, high=1.0), "a lhs design needs `low` < `high`"),
        ("grid", ParameterRange(low=0.0, high=1.0), "a grid needs the values to try"),
    ],
)
def test_bad_designs_are_reported(method, parameter, message):
    found, problems = points(method, a=parameter)
    assert found == []
    assert any(text == message for _, text in problems)


@pytest.mark.parametrize(("method", "each"), [("lhs", 2), ("sobol", 6)])
def test_a_whole_number_parameter_draws_each_whole_number_alike(method, each):
    """8 points of a Latin hypercube; 8 base samples of Saltelli's scheme, 8 x 3 points
    (its A, AB and B matrices each balanced)."""
    problems = []
    spec = DesignSpec(method=method, points=8, parameters={"a": ParameterRange(low=0, high=3)})
    found = design_points(spec, 3, lambda *problem: problems.append(problem), whole={"a"})
    values = [p["a"] for p in found]
    assert problems == [] and all(type(v) is int for v in values)
    assert sorted(values) == sorted([0, 1, 2, 3] * each)
