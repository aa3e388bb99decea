"""A team's view of the wargame: its faction under the fog of war, its orders, its reports.

Everything shown comes from `sim.wargame.fog.faction_view` (own forces, supply and morale
everywhere; other factions' forces only where observed) and from the team's own turn
reports; nothing of another team's orders or forces beyond the fog reaches the page. The
page follows the game: when the umpire plays a turn, it shows the new turn and its report.
"""

from __future__ import annotations

import dataclasses

import solara

from dashboards import game_live, games
from dashboards.game_maps import FogPainter, fogged, visible_strikes
from dashboards.game_orders import Means, OrdersForm, means_of
from dashboards.map_view import MapView, legend_html
from dashboards.svg import esc
from sim.wargame.store import Access


@dataclasses.dataclass(frozen=True)
class TeamPicture:
    """What a team sees of the war now (drawn again only when the war changes)."""

    faction: str
    label: str
    color: str
    view: dict
    svg: str
    legend: str
    means: Means
    labels: dict  # faction key -> label
    reports: tuple[tuple[int, tuple[str, ...]], ...]  # (turn, lines), latest first


def picture(access: Access, painters: dict) -> TeamPicture:
    """The team's picture of the war (read under the game's lock)."""
    with games.reading(access.game_id) as game:
        model = game.model
        since = model.day - game.setup.turn_days if game.resolved_turns() else 0
        view_model, view, seen = fogged(model, access.faction, since)
        if id(model) not in painters:
            painters.clear()
            painters[id(model)] = FogPainter(model)
        painter = painters[id(model)]
        strikes = visible_strikes(model, seen)
        observed = [e["place"] for e in view["places"] if e["observed"]]
        faction = model.factions[model.faction_number(access.faction)]
        reports = tuple(
            (number, tuple(by_faction[access.faction].lines()))
            for number, by_faction in sorted(game.reports.items(), reverse=True)
        )
        return TeamPicture(
            faction=access.faction,
            label=faction.label,
            color=faction.color,
            view=view,
            svg=painter.svg(view_model, seen, strikes),
            legend=legend_html(view_model, strikes),
            means=means_of(game, access.faction, observed),
            labels={f.key: f.label for f in model.factions},
            reports=reports,
        )


def standing(access: Access) -> games.Status:
    """Where the game stands: the turn, who has submitted (cheap)."""
    with games.reading(access.game_id) as game:
        return games.status(game)


def opening(access: Access) -> tuple[int, dict | None]:
    """The turn being prepared and the team's orders for it so far, if any (a page opened
    after submitting starts from them)."""
    with games.reading(access.game_id) as game:
        return game.pending().number, game.pending().orders.get(access.faction)


def forces_table(view: dict) -> str:
    """The team's own forces: where, how many, morale, supply, on the way."""
    rows = [
        f"<tr><td>{esc(e['place'])}</td><td>{e['own_forces']:,.0f}</td>"
        f"<td>{'' if e['own_morale'] is None else format(e['own_morale'], '.2f')}</td>"
        f"<td>{'yes' if e['supplied'] else '<b>cut off</b>'}</td>"
        f"<td>{e['incoming']:,.0f}</td></tr>"
        for e in view["places"]
        if e["own_forces"] > 0.5 or e["incoming"] > 0.5
    ]
    if not rows:
        return "<p>No forces deployed.</p>"
    return (
        "<table class='fl-table fl-own-forces'><tr><th>place</th><th>fighters</th>"
        "<th>morale</th><th>supplied</th><th>on the way</th></tr>" + "".join(rows) + "</table>"
    )


def seen_table(view: dict, labels: dict) -> str:
    """Other factions' forces at the places the team observes (and nowhere else)."""
    rows = [
        f"<tr><td>{esc(e['place'])}</td><td>{esc(labels.get(e['holder'], 'nobody'))}</td><td>"
        + ", ".join(f"{esc(labels[k])} {v:,.0f}" for k, v in e["forces"].items())
        + "</td></tr>"
        for e in view["places"]
        if e["observed"] and e.get("forces")
    ]
    if not rows:
        return "<p>No other forces observed.</p>"
    return (
        "<table class='fl-table fl-seen-forces'><tr><th>place</th><th>held by</th>"
        "<th>forces observed</th></tr>" + "".join(rows) + "</table>"
    )


def reports_html(reports) -> str:
    if not reports:
        return "<p>No turn played yet: your report comes after each turn.</p>"
    return "".join(
        "<div class='fl-report'><ul>"
        + "".join(f"<li>{esc(line)}</li>" for line in lines)
        + "</ul></div>"
        for _, lines in reports
    )


@solara.component
def TeamView(access: Access, on_leave):
    """The page of one team: only its own faction, only what it can see. Redrawn when a
    turn is played or taken back; the bar alone follows every change (a submission)."""
    war = (game_live.use_game_war(access.game_id), games.store().game(access.game_id))
    painters = solara.use_memo(dict, [access.game_id])
    shown = solara.use_memo(lambda: picture(access, painters), [access, *war])
    turn, submitted = solara.use_memo(lambda: opening(access), [access, *war])
    view = shown.view
    TeamBar(access, shown.color, shown.label, on_leave)
    solara.HTML(
        "div",
        f"Reserve <b class='fl-reserve'>{view['reserve']:,.0f}</b> · morale "
        f"<b>{view['morale']:.2f}</b>"
        + (f" · air: {view['sorties_per_day']:g} sorties a day" if view["sorties_per_day"] else ""),
        classes=["fl-means"],
    )
    with solara.Row(style="flex-wrap: wrap; align-items: flex-start; gap: 16px"):
        TeamMap(shown.legend, shown.svg)
        with solara.Column(style="min-width: 360px; flex: 1"):
            OrdersForm(access, shown.means, turn, submitted)
    TeamTables(shown)


@solara.component
def TeamBar(access: Access, color: str, label: str, on_leave):
    """The team, the turn, whether its orders are in and how many teams the umpire waits
    for, the countdown: redrawn at every change of the game."""
    version = game_live.use_game_version(access.game_id)
    status = solara.use_memo(lambda: standing(access), [access, version])
    done = access.faction in status.submitted
    waiting = len(status.teams) - len(status.submitted)
    with solara.Row(
        style="align-items: center; flex-wrap: wrap; gap: 10px", classes=["fl-game-bar"]
    ):
        solara.HTML(
            "span",
            f'<span class="fl-swatch" style="background:{esc(color)}"></span>'
            f"<b>Team {esc(access.team)}</b>: {esc(label)} · {esc(status.title)}",
            classes=["fl-team-name"],
        )
        game_live.Clock(status)
        state = (
            f"orders in; waiting for {waiting} team(s) and the umpire"
            if done
            else "your orders are awaited"
        )
        solara.HTML("span", esc(state), classes=["fl-state", "fl-done" if done else "fl-todo"])
        game_live.Countdown(access.game_id, version)
        solara.Button("Leave", icon_name="mdi-logout", text=True, on_click=on_leave)


@solara.component
def TeamMap(legend: str, svg: str):
    """The team's map (drawn again only when it changes)."""
    with solara.Column(style="width: 650px"):
        solara.HTML("div", legend)
        MapView(svg=svg)
        solara.HTML(
            "div",
            "<small>Grey veil: places you do not observe (you see forces only at and "
            "next to your side's places, and where your air force struck).</small>",
        )


@solara.component
def TeamTables(shown: TeamPicture):
    """The team's reports, its forces, and the other forces it observes."""
    view = shown.view
    with solara.Row(style="flex-wrap: wrap; align-items: flex-start; gap: 24px"):
        with solara.Column(style="min-width: 320px"):
            solara.HTML("h4", "Your reports")
            solara.HTML("div", reports_html(shown.reports), classes=["fl-reports"])
        with solara.Column(style="min-width: 320px"):
            solara.HTML("h4", "Your forces")
            solara.HTML("div", forces_table(view), classes=["fl-log"])
        with solara.Column(style="min-width: 320px"):
            solara.HTML("h4", "Other forces you observe")
            solara.HTML("div", seen_table(view, shown.labels), classes=["fl-log"])
