"""The Wargame page: join a game with a code, or set one up (the instructor).

A code is the only way into a game: a team's code opens that team's view (its own
faction, under the fog of war), the umpire's code the umpire's view; nothing in the
address names a game. The instructor who creates a game is shown its codes once and goes
on as its umpire; a saved game is resumed with its umpire code.
"""

from __future__ import annotations

from pathlib import Path

import solara

from dashboards import games
from dashboards.game_setup import Codes, SavedGames, Setup, umpire_access
from dashboards.game_team import TeamView
from dashboards.game_umpire import UmpireView
from dashboards.svg import esc

REFUSED = (
    "No game opens with this code. Check it (codes are case-sensitive), or ask the "
    "instructor for your team's code."
)


@solara.component
def Join(on_access):
    """A code field; a wrong code is refused with a message."""
    code = solara.use_reactive("")
    refused, set_refused = solara.use_state("")

    def join(*_):
        found = games.join(code.value)
        if found is None:
            set_refused(REFUSED if code.value.strip() else "Enter the code you were given.")
            return
        set_refused("")
        code.set("")
        on_access(found)

    with solara.Row(style="align-items: center; gap: 8px", classes=["fl-join"]):
        solara.InputText(
            "Join code",
            value=code,
            classes=["fl-join-code"],
            on_value=lambda text: text.strip() and join(),
        )
        solara.Button("Join", color="primary", icon_name="mdi-login", on_click=join)
    if refused:
        solara.HTML("div", esc(refused), classes=["fl-problems", "fl-refused"])


@solara.component
def Wargame(root: Path):
    """The classroom wargame of the project in `root` (its scenarios)."""
    access, set_access = solara.use_state(None)
    created, set_created = solara.use_state(None)  # (game id, codes, setup), shown once

    def leave():
        set_access(None)

    if access is not None and access.role == "team":
        TeamView(access, on_leave=leave)
        return
    if access is not None:
        UmpireView(access, on_leave=leave)
        return
    if created is not None:
        game_id, codes, setup = created
        solara.HTML("h3", f"Game created: {esc(setup.title or Path(setup.scenario).stem)}")

        def open_umpire():
            set_created(None)
            set_access(umpire_access(game_id))

        Codes(game_id, setup, codes, on_open=open_umpire)
        return
    with solara.Column(style="max-width: 760px; gap: 4px"):
        solara.HTML("h3", "Join a game")
        solara.HTML(
            "div",
            "<small>Enter the code your instructor gave your team (or the umpire code).</small>",
        )
        Join(on_access=set_access)
        with solara.Details(summary="New game (instructor)"):
            Setup(root, on_created=lambda *made: set_created(made))
        with solara.Details(summary="Saved games"):
            SavedGames(on_access=set_access)
