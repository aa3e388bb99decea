"""Stepping a run and showing it: the clock controls, the map, the plots and the logs.

`Player` takes a model and steps it (one day, a week, or playing at a chosen speed); it
holds no model logic, it only calls `model.step()` and reads the model's arrays. While
playing, a background thread steps several days per frame and the page is redrawn at most
`FRAMES_PER_SECOND` times a second, so speed does not depend on how fast the page redraws.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import solara

from dashboards import charts, panels
from dashboards.map_view import MapPainter, MapView, legend_html, strikes_today
from dashboards.widgets import ProblemList

SPEEDS = [1, 2, 5, 10, 20, 50, 100, 200]  # simulated days per second
DEFAULT_SPEED = 10
FRAMES_PER_SECOND = 15
CHARTS = (  # FACTION_SERIES index, title, fixed top of the axis
    (0, "Places held", None),
    (1, "Population held", None),
    (2, "Manpower", None),
    (3, "Morale", 1.0),
)


def at_end(model) -> bool:
    return model.day >= model.days


def step_days(model, days: int, lock: threading.Lock) -> int:
    """Step up to `days` days, stopping at the horizon; return how many were stepped."""
    done = 0
    with lock:
        while done < days and not at_end(model):
            model.step()
            done += 1
    return done


def chart_svgs(model) -> list[str]:
    """The time-series plots of the ground factions, day 0 to today."""
    series = model.faction_series()
    ground = [f for f in model.factions if model.params.ground[f.index]]
    index = [f.index for f in ground]
    colors, labels = [f.color for f in ground], [f.label for f in ground]
    return [
        charts.line_chart(title, series[:, s, index], colors, labels, model.days, y_max=top)
        for s, title, top in CHARTS
    ]


@solara.component
def Player(
    model,
    on_reset: Callable[[], None],
    note: str = "",
    pending: bool = False,
    problems: list[str] | None = None,
):
    """Clock controls and the view of `model`; `on_reset` starts the run again. `pending`:
    settings changed since the run started (a hint beside Reset says so); `problems`:
    why the last Reset did not apply them (shown under the controls)."""
    version, set_version = solara.use_state(0)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    selected = solara.use_reactive(None)
    lock = solara.use_memo(threading.Lock, [])
    painter = solara.use_memo(lambda: MapPainter(model) if model is not None else None, [model])

    def redraw():
        set_version(lambda v: v + 1)

    def step(days: int):
        if model is not None:
            step_days(model, days, lock)
            redraw()

    def play(cancel: threading.Event):
        if not playing.value or model is None:
            return
        while playing.value and not cancel.is_set():
            started = time.perf_counter()
            per_frame = max(1, round(speed.value / FRAMES_PER_SECOND))
            interval = per_frame / speed.value
            step_days(model, per_frame, lock)
            if at_end(model):
                playing.value = False
            redraw()
            cancel.wait(max(interval - (time.perf_counter() - started), 0.002))

    solara.use_thread(play, dependencies=[playing.value, model], intrusive_cancel=False)

    def new_run():  # another run (a new scenario, a reset): stop, forget the selection
        playing.set(False)
        selected.set(None)

    solara.use_effect(new_run, [model])

    def reset():
        playing.value = False
        selected.value = None
        on_reset()

    if model is None:
        if problems:
            ProblemList(problems, "Not applied: no run could start")
        solara.Info("No run yet: pick a scenario.")
        return
    finished = at_end(model)
    with solara.Row(classes=["fl-toolbar"], style="align-items: center; flex-wrap: wrap"):
        solara.Button("Step 1 day", on_click=lambda: step(1), disabled=playing.value or finished)
        solara.Button("Step a week", on_click=lambda: step(7), disabled=playing.value or finished)
        solara.Button(
            "Pause" if playing.value else "Play",
            icon_name="mdi-pause" if playing.value else "mdi-play",
            color="primary",
            on_click=lambda: playing.set(not playing.value),
            disabled=finished and not playing.value,
        )
        solara.Select(
            "Speed (days/s)",
            values=SPEEDS,
            value=speed,
            style="max-width: 130px",
        )
        solara.Button(
            "Reset",
            icon_name="mdi-restart",
            on_click=reset,
            color="warning" if pending else None,
            classes=["fl-reset"],
        )
        if pending:
            solara.HTML(
                "span", "Settings changed: press Reset to run with them.", classes=["fl-pending"]
            )
        date = model.date_of(model.day)
        solara.HTML(
            "span",
            f'Day <b class="fl-day">{model.day}</b> of {model.days}'
            + (f' · <b class="fl-date">{date.isoformat()}</b>' if date else "")
            + (" · end of the run" if finished else ""),
            classes=["fl-clock"],
        )
    if problems:
        ProblemList(problems, "Not applied: the run shown is the previous one")
    if note:
        solara.HTML("div", note, classes=["fl-note"])
    RunView(model, painter, version, selected)


@solara.component
def RunView(model, painter: MapPainter, version: int, selected: solara.Reactive):
    """The map with its legend and the selected place, beside the plots and the logs."""
    del version  # a new number each day: it only tells the view to redraw
    strikes = strikes_today(model)
    names = model.map.names
    place = selected.value if selected.value is not None and selected.value < len(names) else None

    def pick(number):
        selected.value = int(number) if number is not None else None

    with solara.Row(style="flex-wrap: wrap; align-items: flex-start; gap: 16px"):
        with solara.Column(
            style=f"width: {painter.frame.width + 8}px; max-width: 100%", classes=["fl-map-col"]
        ):
            solara.HTML("div", legend_html(model, strikes))
            MapView(svg=painter.svg(model, place, strikes), event_select=pick)
            choices = sorted(range(len(names)), key=lambda p: names[p].lower())
            solara.Select(
                "Place",
                values=[names[p] for p in choices],
                value=names[place] if place is not None else None,
                on_value=lambda name: pick(names.index(name) if name else None),
            )
            if place is not None:
                solara.HTML("div", panels.place_details(model, place))
        with solara.Column(style="min-width: 320px; flex: 1"):
            with solara.Row(style="flex-wrap: wrap; gap: 4px"):
                for svg in chart_svgs(model):
                    solara.HTML("div", svg, classes=["fl-chart-box"])
            solara.HTML("div", panels.capture_log(model))
            solara.HTML("div", panels.event_log(model))
