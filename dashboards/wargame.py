"""The Wargame page: join a game with a code, or set one up (the instructor).

A code is the only way into a game for a team: a team's code opens that team's view (its
own faction, under the fog of war), the umpire's code the umpire's view; nothing in the
address names a game. A code may come in the address (`/wargame?code=...`, what the QR
codes on the umpire's page hold). Creating games and listing the saved ones is the
instructor's: on a shared or classroom server it needs the instructor token
(`serving`), entered once per page; the instructor who creates a game goes on as its
umpire and sees the codes, the join addresses and their QR codes.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs

import solara

from dashboards import games
from dashboards.game_setup import Codes, SavedGames, Setup
from dashboards.game_team import TeamView
from dashboards.game_umpire import UmpireView
from dashboards.svg import esc
from dashboards.widgets import ProblemList

REFUSED = (
    "No game opens with this code. Check it (ten letters and digits; case, spaces and "
    "dashes do not matter), or ask the instructor for your team's code."
)
FAILED_JOIN_PAUSE = 0.5  # seconds: guessing codes from a page is slow


def code_in_address() -> str:
    """The join code in the page's address (`?code=`), if any."""
    search = solara.use_router().search or ""
    return (parse_qs(search).get("code") or [""])[0]


@solara.component
def Join(on_access):
    """A code field (filled from the address, if it holds one); a wrong code is refused
    with a message."""
    code = solara.use_reactive(code_in_address())
    refused, set_refused = solara.use_state("")

    def join(*_):
        found = games.join(code.value)
        if found is None:
            if code.value.strip():
                time.sleep(FAILED_JOIN_PAUSE)
            set_refused(REFUSED if code.value.strip() else "Enter the code you were given.")
            return
        set_refused("")
        code.set("")
        on_access(found)

    def from_address():
        if code.value:
            join()

    solara.use_effect(from_address, [])
    with solara.Row(style="align-items: center; gap: 8px; flex-wrap: wrap", classes=["fl-join"]):
        solara.InputText(
            "Join code",
            value=code,
            classes=["fl-join-code"],
            on_value=lambda text: text.strip() and join(),
        )
        solara.Button("Join", color="primary", icon_name="mdi-login", on_click=join)
    if refused:
        ProblemList([refused], "Not joined")


@solara.component
def InstructorGate(on_token):
    """The instructor token field, where it is needed and not yet given."""
    token = solara.use_reactive("")
    refused, set_refused = solara.use_state("")

    def check(*_):
        given = games.Instructor(token.value)
        if not given.valid():
            time.sleep(FAILED_JOIN_PAUSE)
            set_refused("This is not the instructor token (printed where the server started).")
            return
        set_refused("")
        on_token(given)

    with solara.Row(style="align-items: center; gap: 8px; flex-wrap: wrap"):
        solara.InputText(
            "Instructor token",
            value=token,
            password=True,
            on_value=lambda text: text.strip() and check(),
            classes=["fl-instructor-token"],
        )
        solara.Button("Unlock", on_click=check, icon_name="mdi-lock-open-outline")
    if refused:
        ProblemList([refused], "Locked")


@solara.component
def Wargame(root: Path):
    """The classroom wargame of the project in `root` (its scenarios)."""
    access, set_access = solara.use_state(None)
    created, set_created = solara.use_state(None)  # (game id, codes, setup), shown once
    who, set_who = solara.use_state(games.Instructor())

    def leave():
        set_access(None)
        set_created(None)

    if access is not None and access.role == "team":
        TeamView(access, on_leave=leave)
        return
    if access is not None:
        UmpireView(access, on_leave=leave, codes=created[1] if created else None)
        return
    if created is not None:
        game_id, codes, setup = created
        solara.HTML("h3", f"Game created: {esc(setup.title or Path(setup.scenario).stem)}")

        def open_umpire():
            set_access(games.umpire_of(who, game_id))

        Codes(setup, codes, on_open=open_umpire)
        return
    with solara.Column(style="max-width: 760px; gap: 4px"):
        solara.HTML("h3", "Join a game")
        solara.HTML(
            "div",
            "<small>Enter the code your instructor gave your team (or the umpire code).</small>",
        )
        Join(on_access=set_access)
        with solara.Details(summary="New game and saved games (instructor)"):
            if not who.valid():
                InstructorGate(on_token=set_who)
            else:
                Setup(root, who, on_created=lambda *made: set_created(made))
                solara.HTML("h4", "Saved games")
                SavedGames(who, on_access=set_access)
