"""A team's view of the wargame: its faction under the fog of war, its orders, its reports.

Everything shown comes from `sim.wargame.fog.faction_view` (own forces, supply and morale
everywhere; other factions' forces only where observed) and from the team's own turn
reports; nothing of another team's orders or forces beyond the fog reaches the page. The
page follows the game: when the umpire plays a turn, it shows the new turn and its report.

Orders can be given on the map: clicking a place opens it under the map, with a button
making it an objective (or removing it) and one sending reinforcements there; the chosen
objectives are ringed on the map with their odds. The places taken in the last turn, and
the routs the team could see, are marked. The page fits a phone (390 px) and a 1024 px
screen: the map and the orders side by side where there is room, one above the other
otherwise, with a link to the orders.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import solara

from dashboards import game_live, games
from dashboards.game_channels import Channels
from dashboards.game_maps import FogPainter, fogged, visible_strikes
from dashboards.game_orders import (
    Means,
    OrdersForm,
    amend,
    attack_odds,
    chosen_attacks,
    draft_from,
    means_of,
)
from dashboards.map_view import HIGHLIGHT, MapView, legend_html
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
    teams: dict  # faction key -> team name
    reports: tuple[tuple[int, tuple[str, ...]], ...]  # (turn, lines), latest first
    names: tuple[str, ...]  # the places, by number
    xy: tuple[tuple[float, float], ...]  # where each place is drawn
    holders: tuple[str, ...]  # who holds each place (its label)


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
        labels = [f.label for f in model.factions]
        return TeamPicture(
            faction=access.faction,
            label=faction.label,
            color=faction.color,
            view=view,
            svg=painter.svg(view_model, seen, strikes, marks=last_turn_marks(game, painter, seen)),
            legend=legend_html(view_model, strikes, fog=True),
            means=means_of(game, access.faction, observed),
            labels={f.key: f.label for f in model.factions},
            teams={faction: team for team, faction in game.setup.teams.items()},
            reports=reports,
            names=tuple(model.map.names),
            xy=tuple(zip(painter.frame.x.tolist(), painter.frame.y.tolist(), strict=True)),
            holders=tuple(labels[c] if c >= 0 else "nobody" for c in model.controller),
        )


def last_turn_marks(game, painter, seen: np.ndarray) -> str:
    """The places that changed hands in the last turn played (control is public) and the
    routs of it the team could see, as marks over the map."""
    played = game.resolved_turns()
    if not played:
        return ""
    number = played[-1].number
    first = (number - 1) * game.setup.turn_days + 1
    model, frame, parts = game.model, painter.frame, []
    for capture in model.captures:
        if capture.day >= first:
            p = model.map.index(capture.place)
            r = max(painter.radius[p], frame.cell / 3, 5.0) + 5
            parts.append(
                f'<circle class="fl-captured" cx="{frame.x[p]:.1f}" cy="{frame.y[p]:.1f}" '
                f'r="{r:.1f}" fill="none" stroke="#7b1fa2" stroke-width="2" '
                f'stroke-dasharray="1 3" stroke-linecap="round" pointer-events="none"/>'
            )
    for _, place, _ in game.routs.get(number, []):
        p = model.map.index(place)
        if seen[p]:
            parts.append(
                f'<text class="fl-rout" x="{frame.x[p] - 8:.1f}" y="{frame.y[p] + 12:.1f}" '
                'font-size="12" fill="#7b1fa2" pointer-events="none">✗</text>'
            )
    return "".join(parts)


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
        + "".join(f"<li{_line_class(line)}>{esc(line)}</li>" for line in lines)
        + "</ul></div>"
        for _, lines in reports
    )


def _line_class(line: str) -> str:
    if line.startswith("Objective "):
        return " class='fl-objective-result'"
    if line.startswith("The umpire injected"):
        return " class='fl-injected-note'"
    return ""


def objective_marks(access: Access, shown: TeamPicture, draft: dict) -> str:
    """The draft's objectives ringed on the map, each with its name and odds."""
    parts = []
    for target, size in chosen_attacks(draft, shown.means):
        p = shown.names.index(target.place)
        x, y = shown.xy[p]
        result = attack_odds(access, target.place, size)
        ratio = result["force_ratio"]
        odds = "no defenders" if not np.isfinite(ratio) else f"{ratio:.1f}:1"
        verdict = "win" if result["attacker_wins"] else "fail"
        parts.append(
            f'<g class="fl-objective" data-objective="{p}" pointer-events="none">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="15" fill="none" stroke="{HIGHLIGHT}" '
            f'stroke-width="4" stroke-opacity="0.9"/>'
            f'<text x="{x:.1f}" y="{y - 19:.1f}" text-anchor="middle" font-size="11" '
            f'font-weight="bold" fill="#5d4000" stroke="#fff" stroke-width="3" '
            f'paint-order="stroke">⚑ {esc(target.place)}: {odds}, expected to {verdict}</text></g>'
        )
    return "".join(parts)


@solara.component
def TeamView(access: Access, on_leave):
    """The page of one team: only its own faction, only what it can see. Redrawn when a
    turn is played or taken back; the bar alone follows every change (a submission)."""
    war = (game_live.use_game_war(access.game_id), games.store().game(access.game_id))
    painters = solara.use_memo(dict, [access.game_id])
    shown = solara.use_memo(lambda: picture(access, painters), [access, *war])
    turn, submitted = solara.use_memo(lambda: opening(access), [access, *war])
    draft = solara.use_reactive(draft_from(submitted, shown.means))
    selected = solara.use_reactive(None)

    def fresh():  # a new turn: start again from what was submitted (nothing, usually)
        draft.set(draft_from(submitted, shown.means))
        selected.set(None)

    solara.use_effect(fresh, [turn, shown.means])
    view = shown.view
    with solara.Column(classes=["fl-team-page"], style="gap: 4px"):
        TeamBar(access, shown.color, shown.label, on_leave)
        solara.HTML(
            "div",
            f"Reserve <b class='fl-reserve'>{view['reserve']:,.0f}</b> · morale "
            f"<b>{view['morale']:.2f}</b>"
            + (f" · air: {view['sorties_per_day']:g} sorties a day"
               if view["sorties_per_day"] else "")
            + " · <a href='#fl-orders'>orders ↓</a>",
            classes=["fl-means"],
        )  # fmt: skip
        with solara.Row(style="flex-wrap: wrap; align-items: flex-start; gap: 12px"):
            TeamMap(access, shown, draft, selected)
            with solara.Column(classes=["fl-side-col"]):
                solara.HTML("a", "", attributes={"id": "fl-orders"})
                OrdersForm(access, shown.means, turn, draft)
        TeamTables(shown)
        Channels(access, shown.labels, shown.teams)


@solara.component
def TeamMap(access: Access, shown: TeamPicture, draft: solara.Reactive, selected: solara.Reactive):
    """The team's map with its objectives ringed; a click opens the place below the map."""
    marks = objective_marks(access, shown, draft.value)
    svg = shown.svg.replace("</svg>", marks + "</svg>") if marks else shown.svg
    with solara.Column(style="width: 650px; max-width: 100%", classes=["fl-map-col"]):
        solara.HTML("div", shown.legend)
        MapView(svg=svg, event_select=lambda p: selected.set(int(p)))
        if selected.value is not None and selected.value < len(shown.names):
            PlaceOrders(shown, draft, shown.names[selected.value], selected.value)
        solara.HTML(
            "div",
            "<small>Click a place to attack it or reinforce it. Hatched: places you do not "
            "observe (you see forces only at and next to your side's places, and where your "
            "air force struck). Dotted purple ring: changed hands last turn; ✗: a rout.</small>",
        )


@solara.component
def PlaceOrders(shown: TeamPicture, draft: solara.Reactive, place: str, number: int):
    """What the team may order at the place clicked on the map."""
    means = shown.means
    amount = solara.use_reactive(500.0)
    targets = {t.place for t in means.targets}
    chosen = list(draft.value["objectives"])
    with solara.Column(classes=["fl-place-orders"], style="gap: 2px"):
        solara.HTML(
            "div",
            f"<b class='fl-place-name'>{esc(place)}</b> · held by {esc(shown.holders[number])}",
        )
        with solara.Row(style="align-items: center; gap: 6px; flex-wrap: wrap"):
            if place in chosen:
                solara.Button(
                    "Remove the objective",
                    text=True,
                    icon_name="mdi-flag-remove",
                    on_click=lambda: amend(draft, objectives=[p for p in chosen if p != place]),
                )
            elif place in targets:
                full = len(chosen) >= means.max_objectives
                solara.Button(
                    "Make it an objective",
                    color="primary",
                    icon_name="mdi-flag",
                    disabled=full,
                    on_click=lambda: amend(draft, objectives=[*chosen, place]),
                    classes=["fl-make-objective"],
                )
                if full:
                    solara.HTML(
                        "small", f"(at most {means.max_objectives} objectives: remove one first)"
                    )
            if place in means.reinforceable:
                solara.InputFloat("Fighters", value=amount, style="max-width: 100px")

                def send():
                    sent = dict(draft.value["reinforcements"])
                    sent[place] = sent.get(place, 0.0) + max(float(amount.value or 0), 0.0)
                    amend(draft, reinforcements=sent)

                solara.Button("Send reinforcements", text=True, icon_name="mdi-plus",
                              on_click=send)  # fmt: skip
            if place not in targets and place not in means.reinforceable:
                solara.HTML(
                    "small",
                    "Not an objective you can attack now (not next to your supplied ground), "
                    "nor a place of yours to reinforce.",
                )


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
def TeamTables(shown: TeamPicture):
    """The team's reports, its forces, and the other forces it observes."""
    view = shown.view
    with solara.Row(style="flex-wrap: wrap; align-items: flex-start; gap: 24px"):
        with solara.Column(classes=["fl-side-col"]):
            solara.HTML("h4", "Your reports")
            solara.HTML("div", reports_html(shown.reports), classes=["fl-reports"])
        with solara.Column(classes=["fl-side-col"]):
            solara.HTML("h4", "Your forces")
            solara.HTML("div", forces_table(view), classes=["fl-log"])
        with solara.Column(classes=["fl-side-col"]):
            solara.HTML("h4", "Other forces you observe")
            solara.HTML("div", seen_table(view, shown.labels), classes=["fl-log"])
