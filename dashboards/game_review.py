"""The after-action review: the game replayed day by day on the map, the captures, each
team's orders beside its doctrine's, each team's result among runs of the same scenario
played by the model alone, and the debrief and data to download.

It works on a replica of the game at the end of its last turn (`games.replica`), so the
game can go on while the class reviews it. The sim.wargame.debrief results are kept per game and
line of play (the turns played): the placement among the model's own runs costs seconds
and is computed once, in the background. The debrief's files are kept in memory: they
are written in a temporary folder removed at once, so downloads leave nothing behind.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import tempfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import solara

from dashboards import games, panels
from dashboards.game_maps import ModelView, replay_frame
from dashboards.map_view import MapPainter, MapView, legend_html
from dashboards.player import chart_svgs
from dashboards.svg import esc
from sim.wargame.debrief import (
    BENCHMARK_RUNS,
    Standing,
    benchmark_note,
    daily_control,
    orders_table,
    standings,
    write_debrief,
)
from sim.wargame.game import Game
from sim.wargame.store import Access

CACHE_SIZE = 16


@dataclasses.dataclass
class ReviewData:
    """A game's review at the end of one line of play."""

    key: tuple[str, str]
    game: Game
    control: np.ndarray
    series: np.ndarray
    orders: pd.DataFrame
    teams: dict[str, str]  # faction -> team
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    ranked: list[Standing] | None = None
    files: dict[str, bytes] | None = None  # the debrief's files, by name


_reviews: dict[tuple[str, str], ReviewData] = {}
_reviews_guard = threading.Lock()


def line_of_play(game: Game) -> str:
    """A digest of the turns played: the same digest, the same war."""
    played = [dataclasses.asdict(turn) for turn in game.resolved_turns()]
    return hashlib.sha256(json.dumps(played, sort_keys=True).encode()).hexdigest()[:16]


def review_of(game_id: str) -> ReviewData:
    """The review of the game as it stands (built once per line of play)."""
    with games.reading(game_id) as game:
        key = (game_id, line_of_play(game))
        with _reviews_guard:
            if key in _reviews:
                return _reviews[key]
        copy = games.replica(game)
    data = ReviewData(
        key=key,
        game=copy,
        control=daily_control(copy),
        series=copy.model.faction_series(),
        orders=orders_table(copy),
        teams={faction: team for team, faction in copy.setup.teams.items()},
    )
    with _reviews_guard:
        while len(_reviews) >= CACHE_SIZE:
            _reviews.pop(next(iter(_reviews)))
        return _reviews.setdefault(key, data)


def ranked(data: ReviewData) -> list[Standing]:
    """Each team among BENCHMARK_RUNS runs of the model alone (computed once per review)."""
    with data.lock:
        if data.ranked is None:
            data.ranked = standings(data.game, BENCHMARK_RUNS)
        return data.ranked


def debrief_files(data: ReviewData) -> dict[str, bytes]:
    """The debrief written by sim.wargame.debrief (HTML, Markdown, CSV, Parquet, plots), by file
    name, once per review; written in a temporary folder that is removed at once."""
    placed = ranked(data)  # before the lock: ranked takes it too
    with data.lock:
        if data.files is None:
            with tempfile.TemporaryDirectory(prefix="frontline-debrief-") as folder:
                write_debrief(data.game, Path(folder), BENCHMARK_RUNS, ranked=placed)
                data.files = {f.name: f.read_bytes() for f in sorted(Path(folder).iterdir())}
        return data.files


def debrief_html(data: ReviewData) -> bytes:
    """The self-contained debrief page, to download."""
    return debrief_files(data)["debrief.html"]


def data_zip(data: ReviewData) -> bytes:
    """The game's data (CSV and Parquet), the Markdown debrief and its plots, zipped."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in debrief_files(data).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def standing_svg(standing: Standing, width: int = 300) -> str:
    """The model's runs as dots and the team's result as a red bar."""
    values = np.append(standing.simulated, standing.result)
    low, high = float(values.min()) - 0.5, float(values.max()) + 0.5
    x = lambda v: 10 + (v - low) / (high - low) * (width - 20)  # noqa: E731
    jitter = np.random.default_rng(0).uniform(-7, 7, len(standing.simulated))
    dots = "".join(
        f'<circle cx="{x(v):.1f}" cy="{24 + j:.1f}" r="2.6" fill="#777" fill-opacity="0.6"/>'
        for v, j in zip(standing.simulated, jitter, strict=True)
    )
    return (
        f'<svg class="fl-standing" xmlns="http://www.w3.org/2000/svg" width="{width}" height="56" '
        f'font-family="sans-serif" font-size="9">{dots}'
        f'<path d="M{x(standing.result):.1f} 8V40" stroke="#d62728" stroke-width="3">'
        f"<title>your result: {standing.result:.0f}</title></path>"
        f'<text x="10" y="52">{low + 0.5:.0f}</text><text x="{width - 10}" y="52" '
        f'text-anchor="end">{high - 0.5:.0f} places held by its side</text></svg>'
    )


def _team(faction: str, labels: dict, teams: dict) -> str:
    team, label = teams.get(faction, faction), labels.get(faction, faction)
    return team if team == label else f"{team} ({label})"


def orders_html(table: pd.DataFrame, labels: dict, teams: dict) -> str:
    if table.empty:
        return "<p>No turn played.</p>"
    rows = "".join(
        f"<tr><td>{r.turn}</td><td>{esc(_team(r.faction, labels, teams))}</td>"
        f"<td>{esc(r.objectives)}</td>"
        f"<td>{esc(r.doctrine_objectives)}</td><td>{esc(r.reinforcements)}</td>"
        f"<td>{esc(r.doctrine_reinforcements)}</td><td>{esc(r.air)}</td></tr>"
        for r in table.itertuples()
    )
    return (
        "<table class='fl-table fl-orders-table'><tr><th>turn</th><th>team</th>"
        "<th>objectives</th><th>doctrine's</th><th>reinforcements</th><th>doctrine's</th>"
        f"<th>air</th></tr>{rows}</table>"
    )


@solara.component
def Standings(data: ReviewData):
    """Each team's result placed among the model's own runs (computed in the background)."""
    result = solara.use_thread(
        lambda: ranked(data), dependencies=[data.key], intrusive_cancel=False
    )
    solara.HTML("h4", "How each team did, against the model playing alone")
    if result.state == solara.ResultState.ERROR:
        solara.Error(f"Could not place the teams: {result.error}")
        return
    if result.value is None:
        solara.HTML(
            "div",
            f"<i>Playing the scenario {BENCHMARK_RUNS} times without the teams, to place "
            "each team's result…</i>",
            classes=["fl-standings-wait"],
        )
        solara.ProgressLinear(True)
        return
    for standing in result.value:
        team = data.teams.get(standing.faction, standing.faction)
        if standing.all_same:
            placed = (
                "your result was <b class='fl-percentile'>the same as every</b> simulated run: "
                "the model's own runs all end this way, so this game does not tell a better "
                "from a worse command"
            )
        else:
            placed = (
                f"your result was better than <b class='fl-percentile'>"
                f"{standing.percentile:.0%}</b> of simulated runs"
            )
        solara.HTML(
            "div",
            f"<b>Team {esc(team)}</b>: {placed} <small>({esc(standing.sentence())})</small>",
            classes=["fl-standing-line"],
        )
        solara.HTML("div", standing_svg(standing))
    solara.HTML("div", f"<small>{esc(benchmark_note(data.game))}</small>", classes=["fl-benchmark"])


@solara.component
def Review(access: Access, version: int):
    """The after-action review of the game `access` opens (for the umpire)."""
    del version  # a new turn or a rollback makes another review
    data = review_of(access.game_id)
    model = data.game.model
    last = model.day
    day = solara.use_reactive(last)
    painter = solara.use_memo(lambda: MapPainter(model), [data.key])
    if day.value > last:
        day.set(last)
    d = min(day.value, last)
    frame, strikes = replay_frame(model, data.control, d)
    title = data.game.setup.title or data.game.scenario.spec.name
    labels = {f.key: f.label for f in model.factions}
    solara.HTML(
        "h3",
        f"After-action review: {esc(title)}, {len(data.game.resolved_turns())} turns "
        f"of {data.game.setup.turn_days} days",
    )
    with solara.Row(style="gap: 8px; flex-wrap: wrap"):
        solara.FileDownload(
            lambda: debrief_html(data),
            filename=f"debrief-{data.key[0]}.html",
            label="Download the debrief (HTML)",
        )
        solara.FileDownload(
            lambda: data_zip(data),
            filename=f"frontline-game-{data.key[0]}.zip",
            label="Download the game's data (CSV, Parquet)",
        )
    Standings(data)
    solara.HTML("h4", "Replay")
    with solara.Row(style="align-items: center; gap: 6px; flex-wrap: wrap"):
        solara.Button(
            icon_name="mdi-skip-previous",
            on_click=lambda: day.set(0),
            text=True,
            classes=["fl-review-start"],
        )
        solara.Button(
            icon_name="mdi-chevron-left", on_click=lambda: day.set(max(d - 1, 0)), text=True
        )
        with solara.Column(style="min-width: 360px; flex: 1"):
            solara.SliderInt("Day", value=day, min=0, max=last, thumb_label="always")
        solara.Button(
            icon_name="mdi-chevron-right", on_click=lambda: day.set(min(d + 1, last)), text=True
        )
        solara.Button(
            icon_name="mdi-skip-next",
            on_click=lambda: day.set(last),
            text=True,
            classes=["fl-review-end"],
        )
        turn = (d - 1) // data.game.setup.turn_days + 1 if d else 0
        solara.HTML(
            "span",
            f"Day <b class='fl-replay-day'>{d}</b>" + (f" · turn {turn}" if turn else ""),
            classes=["fl-clock"],
        )
    with solara.Row(style="flex-wrap: wrap; align-items: flex-start; gap: 16px"):
        with solara.Column(style=f"width: {painter.frame.width + 8}px"):
            solara.HTML("div", legend_html(frame, strikes))
            MapView(
                svg=painter.svg(frame, None, strikes).replace(
                    'class="fl-map"', 'class="fl-map fl-replay"', 1
                )
            )
        with solara.Column(style="min-width: 320px; flex: 1"):
            series = data.series[: d + 1]
            view = ModelView(model, faction_series=lambda: series, days=max(last, 1))
            with solara.Row(style="flex-wrap: wrap; gap: 4px"):
                for svg in chart_svgs(view):
                    solara.HTML("div", svg, classes=["fl-chart-box"])
            solara.HTML("div", panels.capture_log(frame))
            solara.HTML("div", panels.event_log(frame))
    solara.HTML("h4", "Orders given, beside the doctrine's")
    solara.HTML("div", orders_html(data.orders, labels, data.teams), classes=["fl-log"])
    solara.HTML("h4", "Turn reports")
    lines = [
        f"<li><b>{esc(data.teams.get(r.faction, r.faction))}</b>, {esc(r.lines()[0])} "
        f"{esc('; '.join(r.lines()[1:]))}</li>"
        for _, reports in sorted(data.game.reports.items())
        for r in reports.values()
    ]
    solara.HTML("div", "<ul>" + "".join(lines) + "</ul>", classes=["fl-log"])
    solara.HTML("h4", "Private channels")
    solara.HTML("div", channels_html(access, labels, data.teams), classes=["fl-log"])


def channels_html(access: Access, labels: dict, teams: dict) -> str:
    """Every channel of the game with its messages (the review is the umpire's)."""
    channels = games.channels_of(access)
    if not channels:
        return "<p>No private channel was opened.</p>"
    messages = games.messages_of(access)
    parts = []
    for channel in channels:
        members = ", ".join(teams.get(m, labels.get(m, m)) for m in channel.members)
        rows = "".join(
            f"<li>turn {m.turn}, <b>{esc(_author(m.author, teams))}</b>: {esc(m.text)}</li>"
            for m in messages
            if m.channel == channel.number
        )
        parts.append(
            f"<div class='fl-review-channel'><b>{esc(channel.name)}</b> "
            f"<small>({esc(members)})</small><ul>{rows or '<li>no messages</li>'}</ul></div>"
        )
    return "".join(parts)


def _author(author: str, teams: dict) -> str:
    return "Umpire" if author == "umpire" else teams.get(author, author)
