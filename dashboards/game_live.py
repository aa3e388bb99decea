"""Keeping a game's pages current: a page redraws when its game changes (a submission, a
turn, an event, a rollback), within `games.POLL_SECONDS` at the latest, and shows the
umpire's countdown ticking."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import solara

from dashboards import games


def use_game_notice(game_id: str, read: Callable[[str], int]) -> int:
    """`read(game_id)`, a number of the game's board (its version or its war number),
    kept current by a background thread woken at every change of the game (by
    `games.board`, and at least every POLL_SECONDS). The component redraws only when that
    number changes, so that what depends on the war alone is not redrawn at every
    submission."""
    value, set_value = solara.use_state(read(game_id))

    def watch(cancel: threading.Event):
        seen = games.board.version(game_id)
        set_value(read(game_id))
        while not cancel.is_set():
            now = games.board.wait(game_id, seen, games.POLL_SECONDS)
            if now != seen and not cancel.is_set():
                seen = now
                set_value(read(game_id))

    solara.use_thread(watch, dependencies=[game_id], intrusive_cancel=False)
    return value


def use_game_version(game_id: str) -> int:
    """The game's version: it changes at every change of the game."""
    return use_game_notice(game_id, games.board.version)


def use_game_war(game_id: str) -> int:
    """The game's war number: it changes when a turn is played or taken back."""
    return use_game_notice(game_id, games.board.war)


def remaining(deadline: float | None) -> str:
    """The countdown as m:ss ("0:00" once it has run out)."""
    if deadline is None:
        return ""
    left = max(0, round(deadline - time.time()))
    return f"{left // 60}:{left % 60:02d}"


@solara.component
def Countdown(game_id: str, version: int):
    """The umpire's countdown, if one runs, ticking every second."""
    del version  # a change of the game may set or clear the countdown
    deadline = games.board.deadline(game_id)
    _, set_tick = solara.use_state(0)

    def tick(cancel: threading.Event):
        while deadline is not None and not cancel.wait(1.0):
            set_tick(lambda t: t + 1)

    solara.use_thread(tick, dependencies=[deadline], intrusive_cancel=False)
    if deadline is None:
        return
    left = remaining(deadline)
    text = "time is up" if left == "0:00" else f"{left} left"
    solara.HTML("span", f"Countdown: <b class='fl-countdown'>{text}</b>", classes=["fl-clock"])


@solara.component
def Clock(status):
    """The game's turn, its days, and the day (and date) it has reached."""
    solara.HTML(
        "span",
        f'Turn <b class="fl-turn">{status.turn}</b> ({status.days_of_turn()}) · '
        f'day <b class="fl-game-day">{status.day}</b>'
        + (f" · {status.date}" if status.date else ""),
        classes=["fl-clock"],
    )
