"""The umpire's view: the whole war (no fog), who has submitted, and the controls of the
game: a countdown, advancing the turn (anyway, once the countdown has run out: after a
confirmation), injecting one of the scenario's events, rolling back to an earlier turn
(after a confirmation; the turns taken back are archived), the teams' codes (with their
join addresses and QR codes, replaced on demand), the private channels between teams,
ending the game, and the after-action review.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import solara

from dashboards import game_live, games
from dashboards.game_channels import Channels, OpenChannel
from dashboards.game_maps import ModelView
from dashboards.game_review import Review
from dashboards.game_setup import Codes
from dashboards.map_view import MapPainter
from dashboards.player import RunView
from dashboards.svg import esc
from dashboards.widgets import ItemSelect, ProblemList
from sim.model.model import FrontlineModel
from sim.wargame.store import Access


def teams_table(status: games.Status) -> str:
    """Each team, its faction, and whether its orders for the turn are in."""
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


def read_game(access: Access) -> tuple[games.Status, FrontlineModel]:
    """The game's status and its model (the whole war), read under the game's lock."""
    with games.reading(access.game_id) as game:
        return games.status(game), game.model


def attempt(outcome: solara.Reactive, action: Callable[[], object], done: str) -> None:
    """Does one of the umpire's actions, and keeps what came of it for the page to show:
    `done`, or the game's reason to refuse it, as `(problems, message)`."""
    try:
        action()
    except (games.RefusedError, ValueError) as error:
        outcome.set(((str(error),), ""))
        return
    outcome.set(((), done))


def use_ran_out(deadline: float | None) -> bool:
    """Whether the countdown has run out; the component redraws when it does."""
    ran_out = deadline is not None and time.time() >= deadline
    _, set_expired = solara.use_state(0)

    def await_deadline(cancel: threading.Event):
        while deadline is not None and not ran_out and not cancel.wait(0.25):
            if time.time() >= deadline:
                set_expired(lambda n: n + 1)
                return

    solara.use_thread(await_deadline, dependencies=[deadline, ran_out], intrusive_cancel=False)
    return ran_out


@solara.component
def UmpireView(access: Access, on_leave, codes: dict | None = None):
    """The umpire's page of a game: the war and the controls, or the after-action review.
    The controls' state is kept here, so that a look at the review does not reset it.
    `codes`: the codes this page knows (those of a game it just created)."""
    version = game_live.use_game_version(access.game_id)
    reviewing, set_reviewing = solara.use_state(False)
    outcome = solara.use_reactive(((), ""))  # (problems, message) of the last action
    minutes = solara.use_reactive(5.0)
    event = solara.use_reactive(None)
    back_to = solara.use_reactive(None)
    selected = solara.use_reactive(None)
    war = (games.board.war(access.game_id), games.store().game(access.game_id))
    status, model = solara.use_memo(lambda: read_game(access), [access, version, *war])
    events = solara.use_memo(lambda: event_items(access), [access])
    painter = solara.use_memo(lambda: MapPainter(model), [model])
    # the whole war, drawn again only when a turn is played or taken back
    shown = solara.use_memo(
        lambda: ModelView(model, days=max(model.day + status.turn_days, 1)), [model, *war]
    )
    known = solara.use_reactive(dict(codes or {}))
    teams = {faction: team for team, faction in status.teams.items()}
    if reviewing:
        BackToGame(on_back=lambda: set_reviewing(False))
        Review(access, war[0])
        return
    UmpireBar(access, status, version, on_review=lambda: set_reviewing(True), on_leave=on_leave)
    with solara.Row(style="flex-wrap: wrap; align-items: flex-start; gap: 24px"):
        with solara.Column(style="min-width: 300px; max-width: 420px"):
            deadline = games.board.deadline(access.game_id)
            TurnControls(access, status, deadline, minutes, outcome)
            problems, message = outcome.value
            if problems:
                ProblemList(list(problems), "Not done")
            if message:
                solara.HTML("div", esc(message), classes=["fl-submitted"])
            InjectEvent(access, status.turn, status.injected, events, event, outcome)
            RollBack(access, status.resolved, back_to, outcome)
        with solara.Column(style="flex: 1; min-width: 300px"):
            RunView(shown, painter, war[0], selected)
    with solara.Row(style="flex-wrap: wrap; align-items: flex-start; gap: 24px"):
        with solara.Column(style="min-width: 300px; flex: 1"):
            TeamCodes(access, status, known)
        with solara.Column(style="min-width: 300px; flex: 1"):
            OpenChannel(access, teams)
            Channels(access, status.labels, teams)


@solara.component
def BackToGame(on_back: Callable[[], None]):
    """The way back from the after-action review to the game."""
    with solara.Row(style="align-items: center; gap: 8px"):
        solara.Button("Back to the game", icon_name="mdi-arrow-left", on_click=on_back)


@solara.component
def UmpireBar(
    access: Access,
    status: games.Status,
    version: int,
    on_review: Callable[[], None],
    on_leave: Callable[[], None],
):
    """The game, its turn and countdown, the after-action review (once a turn is played),
    and leaving."""
    with solara.Row(
        style="align-items: center; flex-wrap: wrap; gap: 10px", classes=["fl-game-bar"]
    ):
        solara.HTML("span", f"<b>Umpire</b> · {esc(status.title)}", classes=["fl-team-name"])
        game_live.Clock(status)
        game_live.Countdown(access.game_id, version)
        solara.Button(
            "After-action review",
            icon_name="mdi-movie-open-outline",
            on_click=on_review,
            disabled=status.resolved == 0,
        )
        solara.Button("Leave", icon_name="mdi-logout", text=True, on_click=on_leave)


@solara.component
def TurnControls(
    access: Access,
    status: games.Status,
    deadline: float | None,
    minutes: solara.Reactive,
    outcome: solara.Reactive,
):
    """Who has submitted, the countdown, and playing the turn: once every team's orders
    are in, or anyway once the countdown has run out (teams without orders hold)."""
    ran_out = use_ran_out(deadline)
    missing = len(status.teams) - len(status.submitted)
    played = f"Turn {status.turn} played"
    with solara.Column():
        solara.HTML("div", teams_table(status))
        CountdownControls(access, deadline, minutes, outcome)
        if missing == 0:
            solara.Button(
                f"Advance turn {status.turn}",
                color="primary",
                icon_name="mdi-play",
                on_click=lambda: attempt(outcome, lambda: games.advance(access), played),
            )
        else:
            Confirmed(
                f"Advance anyway ({missing} team(s) hold)",
                f"Play turn {status.turn} now? {missing} team(s) have sent no orders and "
                "will hold their ground.",
                "Yes, play the turn",
                lambda: attempt(outcome, lambda: games.advance(access, anyway=True), played),
                disabled=not ran_out,
                icon="mdi-fast-forward",
            )
            solara.HTML(
                "div",
                "<small>Waiting for every team's orders; once the countdown has run out, "
                "the turn can be played anyway (teams without orders hold).</small>",
            )


@solara.component
def CountdownControls(
    access: Access, deadline: float | None, minutes: solara.Reactive, outcome: solara.Reactive
):
    """Starting a countdown of `minutes` for the teams, and stopping it."""
    with solara.Row(style="align-items: center; gap: 6px"):
        solara.InputFloat("Countdown (minutes)", value=minutes, style="max-width: 150px")
        solara.Button(
            "Start",
            text=True,
            icon_name="mdi-timer-outline",
            on_click=lambda: attempt(
                outcome,
                lambda: games.start_countdown(access, minutes.value),
                f"Countdown of {minutes.value:g} min started",
            ),
        )
        solara.Button(
            "Stop",
            text=True,
            disabled=deadline is None,
            on_click=lambda: attempt(
                outcome, lambda: games.stop_countdown(access), "Countdown stopped"
            ),
        )


@solara.component
def InjectEvent(
    access: Access,
    turn: int,
    injected: tuple[str, ...],
    events: list[dict],
    event: solara.Reactive,
    outcome: solara.Reactive,
):
    """Choosing one of the scenario's events to happen at the start of `turn`, and those
    already injected for it."""
    with solara.Column():
        solara.HTML("h4", "Inject an event")
        ItemSelect("Scenario event", events, event.value, event.set, "fl-event")
        solara.Button(
            "Inject at the start of this turn",
            text=True,
            icon_name="mdi-flash",
            disabled=not event.value,
            on_click=lambda: attempt(
                outcome,
                lambda: games.inject(access, event.value),
                f"{event.value} will happen at the start of turn {turn}",
            ),
        )
        if injected:
            solara.HTML(
                "div",
                "<small>This turn: " + esc(", ".join(injected)) + "</small>",
                classes=["fl-injected"],
            )


@solara.component
def RollBack(access: Access, resolved: int, back_to: solara.Reactive, outcome: solara.Reactive):
    """Going back to the start of one of the `resolved` turns (the later ones are archived)."""
    turns = [{"text": f"the start of turn {n}", "value": n} for n in range(1, resolved + 1)]

    def roll_back():
        games.rollback(access, back_to.value)
        back_to.set(None)

    with solara.Column():
        solara.HTML("h4", "Roll back")
        ItemSelect("Go back to", turns, back_to.value, back_to.set, "fl-rollback")
        Confirmed(
            "Roll back",
            f"Go back to the start of turn {back_to.value}? The turns after it are taken back "
            "for every team (kept in the archive).",
            "Yes, roll back",
            lambda: attempt(
                outcome,
                roll_back,
                f"Back at the start of turn {back_to.value}; later turns archived",
            ),
            disabled=not back_to.value,
            icon="mdi-undo",
        )


@solara.component
def Confirmed(
    label: str,
    question: str,
    confirm: str,
    action: Callable[[], None],
    disabled: bool = False,
    icon: str = "",
):
    """A button whose action needs a second click, on a confirmation that says what it does."""
    asking = solara.use_reactive(False)

    def yes():
        asking.set(False)
        action()

    if not asking.value:
        solara.Button(
            label,
            icon_name=icon,
            color="warning",
            disabled=disabled,
            on_click=lambda: asking.set(True),
        )
        return
    with solara.Column(classes=["fl-confirm"], style="gap: 4px"):
        solara.HTML("div", esc(question))
        with solara.Row(style="gap: 8px"):
            solara.Button(confirm, color="warning", on_click=yes)
            solara.Button("Cancel", text=True, on_click=lambda: asking.set(False))


@solara.component
def TeamCodes(access: Access, status: games.Status, known: solara.Reactive):
    """The teams' codes this page knows, with their join addresses and QR codes; a new
    code for a team (the old one stops working); ending the game (no code opens it)."""
    setup = solara.use_memo(lambda: games.store().game(access.game_id).setup, [access])
    chosen = solara.use_reactive(None)
    solara.HTML("h4", "Join codes")
    if known.value:
        Codes(setup, known.value)
    else:
        solara.HTML(
            "div",
            "<small>The codes were shown when the game was created; the server keeps only "
            "their digests. Give a team a new code here if it lost its own.</small>",
        )

    def reissue():
        team = None if chosen.value == "umpire" else chosen.value
        code = games.reissue(access, team)
        known.set({**known.value, chosen.value: code})

    with solara.Row(style="align-items: center; gap: 6px; flex-wrap: wrap"):
        items = [{"text": f"Team {t}", "value": t} for t in status.teams] + [
            {"text": "The umpire", "value": "umpire"}
        ]
        ItemSelect("New code for", items, chosen.value, chosen.set, "fl-reissue")
        Confirmed(
            "New code",
            f"Give {chosen.value} a new code? The old one stops working at once.",
            "Yes, a new code",
            reissue,
            disabled=not chosen.value,
            icon="mdi-key-change",
        )
    Confirmed(
        "End the game",
        "End the game? No code will open it any more (it stays saved; the instructor can "
        "still open it and its review).",
        "Yes, end it",
        lambda: games.end_game(access),
        icon="mdi-flag-checkered",
    )
