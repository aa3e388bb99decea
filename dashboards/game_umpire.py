"""The umpire's view: the whole war (no fog), who has submitted, and the controls of the
game: a countdown, advancing the turn, injecting one of the scenario's events, rolling
back to an earlier turn (the turns taken back are archived), and the after-action review.
"""

from __future__ import annotations

import threading
import time

import game_live
import games
import solara
from game_maps import ModelView
from game_review import Review
from map_view import MapPainter
from player import RunView
from svg import esc
from widgets import ItemSelect, ProblemList

from sim.game_store import Access


def teams_table(status: games.Status) -> str:
    rows = "".join(
        f"<tr><td>{esc(team)}</td><td>{esc(status.labels[faction])}</td><td>"
        + ("<b class='fl-in'>submitted</b>" if faction in status.submitted else "waiting")
        + "</td></tr>"
        for team, faction in status.teams.items()
    )
    return (
        "<table class='fl-table fl-teams'><tr><th>team</th><th>faction</th>"
        f"<th>orders for turn {status.turn}</th></tr>{rows}</table>"
    )


def event_items(access: Access) -> list[dict]:
    """The scenario's events, as the umpire may inject them."""
    with games.reading(access.game_id) as game:
        return [
            {
                "text": (
                    f"{name}{'' if e.enabled else ' (off in this scenario)'}: {e.description or ''}"
                )[:120],
                "value": name,
            }
            for name, e in game.scenario.spec.events.items()
        ]


@solara.component
def UmpireView(access: Access, on_leave):
    """The umpire's page of a game."""
    version = game_live.use_game_version(access.game_id)
    reviewing, set_reviewing = solara.use_state(False)
    problems, set_problems = solara.use_state([])
    message, set_message = solara.use_state("")
    minutes = solara.use_reactive(5.0)
    event = solara.use_reactive(None)
    back_to = solara.use_reactive(None)
    selected = solara.use_reactive(None)

    war = (games.board.war(access.game_id), games.store().game(access.game_id))

    def read():
        with games.reading(access.game_id) as game:
            return games.status(game), game.model

    status, model = solara.use_memo(read, [access, version, *war])
    events = solara.use_memo(lambda: event_items(access), [access])
    painter = solara.use_memo(lambda: MapPainter(model), [model])
    # the whole war, drawn again only when a turn is played or taken back
    shown = solara.use_memo(
        lambda: ModelView(model, days=max(model.day + status.turn_days, 1)), [model, *war]
    )

    def act(action, done: str):
        try:
            action()
        except (games.RefusedError, ValueError) as error:
            set_problems([str(error)])
            set_message("")
            return
        set_problems([])
        set_message(done)

    deadline = games.board.deadline(access.game_id)
    ran_out = deadline is not None and time.time() >= deadline
    _, set_expired = solara.use_state(0)

    def await_deadline(cancel: threading.Event):  # redraw when the countdown runs out
        while deadline is not None and not ran_out and not cancel.wait(0.25):
            if time.time() >= deadline:
                set_expired(lambda n: n + 1)
                return

    solara.use_thread(await_deadline, dependencies=[deadline, ran_out], intrusive_cancel=False)
    missing = len(status.teams) - len(status.submitted)

    if reviewing:
        with solara.Row(style="align-items: center; gap: 8px"):
            solara.Button(
                "Back to the game",
                icon_name="mdi-arrow-left",
                on_click=lambda: set_reviewing(False),
            )
        Review(access, war[0])
        return

    with solara.Row(
        style="align-items: center; flex-wrap: wrap; gap: 10px", classes=["fl-game-bar"]
    ):
        solara.HTML("span", f"<b>Umpire</b> · {esc(status.title)}", classes=["fl-team-name"])
        game_live.Clock(status)
        game_live.Countdown(access.game_id, version)
        solara.Button(
            "After-action review",
            icon_name="mdi-movie-open-outline",
            on_click=lambda: set_reviewing(True),
            disabled=status.resolved == 0,
        )
        solara.Button("Leave", icon_name="mdi-logout", text=True, on_click=on_leave)
    with solara.Row(style="flex-wrap: wrap; align-items: flex-start; gap: 24px"):
        with solara.Column(style="min-width: 330px; max-width: 420px"):
            solara.HTML("div", teams_table(status))
            with solara.Row(style="align-items: center; gap: 6px"):
                solara.InputFloat("Countdown (minutes)", value=minutes, style="max-width: 150px")
                solara.Button(
                    "Start",
                    text=True,
                    icon_name="mdi-timer-outline",
                    on_click=lambda: act(
                        lambda: games.start_countdown(access, minutes.value),
                        f"Countdown of {minutes.value:g} min started",
                    ),
                )
                solara.Button(
                    "Stop",
                    text=True,
                    disabled=deadline is None,
                    on_click=lambda: act(lambda: games.stop_countdown(access), "Countdown stopped"),
                )
            if missing == 0:
                solara.Button(
                    f"Advance turn {status.turn}",
                    color="primary",
                    icon_name="mdi-play",
                    on_click=lambda: act(
                        lambda: games.advance(access), f"Turn {status.turn} played"
                    ),
                )
            else:
                solara.Button(
                    f"Advance anyway ({missing} team(s) hold)",
                    color="warning",
                    icon_name="mdi-fast-forward",
                    disabled=not ran_out,
                    on_click=lambda: act(
                        lambda: games.advance(access, anyway=True), f"Turn {status.turn} played"
                    ),
                )
                solara.HTML(
                    "div",
                    "<small>Waiting for every team's orders; once the countdown has run out, "
                    "the turn can be played anyway (teams without orders hold).</small>",
                )
            solara.HTML("h4", "Inject an event")
            ItemSelect("Scenario event", events, event.value, event.set, "fl-event")
            solara.Button(
                "Inject at the start of this turn",
                text=True,
                icon_name="mdi-flash",
                disabled=not event.value,
                on_click=lambda: act(
                    lambda: games.inject(access, event.value),
                    f"{event.value} will happen at the start of turn {status.turn}",
                ),
            )
            if status.injected:
                solara.HTML(
                    "div",
                    "<small>This turn: " + esc(", ".join(status.injected)) + "</small>",
                    classes=["fl-injected"],
                )
            solara.HTML("h4", "Roll back")
            turns = [
                {"text": f"the start of turn {n}", "value": n}
                for n in range(1, status.resolved + 1)
            ]
            ItemSelect("Go back to", turns, back_to.value, back_to.set, "fl-rollback")
            solara.Button(
                "Roll back",
                text=True,
                icon_name="mdi-undo",
                disabled=not back_to.value,
                on_click=lambda: act(
                    lambda: (games.rollback(access, back_to.value), back_to.set(None)),
                    f"Back at the start of turn {back_to.value}; later turns archived",
                ),
            )
            if problems:
                ProblemList(problems, "Not done")
            if message:
                solara.HTML("div", esc(message), classes=["fl-submitted"])
        with solara.Column(style="flex: 1; min-width: 400px"):
            RunView(shown, painter, war[0], selected)
