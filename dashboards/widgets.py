"""Small widgets shared by the pages: problem messages and a select with grouped items."""

from __future__ import annotations

from collections.abc import Callable

import reacton.ipyvuetify as rv
import solara

from sim.formats.problems import InputError


def problem_lines(error: Exception) -> list[str]:
    """One line per problem: the loader's own words (file: key: what is expected)."""
    if isinstance(error, InputError):
        return [str(problem) for problem in error.problems]
    return [f"{type(error).__name__}: {error}"]


@solara.component_vue("problem_box.vue")
def ProblemBox(title: str, lines: list):
    """The red box of ProblemList (a Vue component: it scrolls itself into sight)."""


@solara.component
def ProblemList(lines: list[str], title: str):
    """A red box listing problems with an input, placed next to the control it is about
    and scrolled into sight when it appears; the page keeps working around it."""
    ProblemBox(title=title, lines=[str(line) for line in lines])


@solara.component
def ItemSelect(
    label: str,
    items: list[dict],
    value,
    on_value: Callable,
    css: str = "",
):
    """A select whose items are {text, value} or {header} (a group title)."""
    rv.Select(
        label=label,
        items=items,
        v_model=value,
        on_v_model=on_value,
        dense=True,
        class_=css,
    )
