"""Setting up a wargame (the instructor): scenario, turn length, seed, which factions the
teams command (the others follow their doctrine); then the join codes with their join
addresses and QR codes, shown to the instructor's page only (the database keeps only
their digests); and the saved games, which the instructor opens as their umpire."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import segno
import solara

from dashboards import games, serving
from dashboards.catalogue import PROBLEM_GROUP, find_scenarios, typed_path
from dashboards.explore import scenario_items
from dashboards.svg import esc
from dashboards.widgets import ItemSelect, ProblemList, problem_lines
from sim.formats.problems import InputError
from sim.formats.scenario import load_scenario
from sim.wargame.game import GameSetup

DEFAULT_TURN_DAYS = 7
MAX_TURN_DAYS = 365


@dataclasses.dataclass(frozen=True)
class Side:
    """A faction of the scenario, as the setup form lists it."""

    key: str
    label: str
    what: str  # "ground", "air", "militia (region)"


def sides_of(path: str) -> tuple[list[Side], int]:
    """The scenario's factions and its seed."""
    spec = load_scenario(path).spec
    sides = []
    for key, faction in spec.factions.items():
        if faction.home_region is not None:
            what = f"local militia ({faction.home_region})"
        elif faction.air_only:
            what = "air only"
        else:
            what = "ground" + (" and air" if faction.air.sorties_per_day > 0 else "")
        sides.append(Side(key, faction.label or key, what))
    return sides, spec.run.seed


def setup_problems(setup: GameSetup) -> list[str]:
    """Every problem with the form, in words (empty: the game can be created)."""
    problems = []
    if not setup.teams:
        problems.append("choose at least one faction to be played by a team")
    if any(not name.strip() for name in setup.teams):
        problems.append("every team needs a name")
    if not 1 <= setup.turn_days <= MAX_TURN_DAYS:
        problems.append(f"turn length: from 1 to {MAX_TURN_DAYS} days, got {setup.turn_days}")
    if setup.seed < 0:
        problems.append(f"seed: a whole number from 0, got {setup.seed}")
    return problems


@solara.component
def Setup(root: Path, who: games.Instructor, on_created):
    """The form of a new game; `on_created(game_id, codes, setup)` once it is stored. The
    scenario chosen goes through the page's confinement check, and must be one listed."""
    entries = solara.use_memo(
        lambda: [e for e in find_scenarios(root) if e.group != PROBLEM_GROUP], [str(root)]
    )
    path, set_path = solara.use_state(None)
    title = solara.use_reactive("")
    turn_days = solara.use_reactive(DEFAULT_TURN_DAYS)
    seed = solara.use_reactive(1)
    chosen = solara.use_reactive({})  # faction key -> team name
    problems, set_problems = solara.use_state([])
    sides = solara.use_memo(lambda: sides_of(path)[0] if path else [], [path])

    def pick(new: str | None):
        if not new:
            return
        try:
            if new not in {str(e.path) for e in entries}:
                raise InputError([])
            scenario = str(typed_path(root, new))
        except InputError as error:
            set_problems(problem_lines(error) or [f"{new}: not a scenario this page lists"])
            return
        set_path(scenario)
        _, scenario_seed = sides_of(scenario)
        seed.set(scenario_seed)
        chosen.set({})
        set_problems([])

    def create():
        teams = {name.strip(): key for key, name in chosen.value.items()}
        setup = GameSetup(
            scenario=str(Path(path).resolve()),
            seed=int(seed.value or 0),
            turn_days=int(turn_days.value or 0),
            teams=teams,
            title=title.value.strip(),
        )
        found = setup_problems(setup)
        if len(teams) < len(chosen.value):
            found.append("two teams have the same name")
        set_problems(found)
        if not found:
            try:
                game_id, codes = games.create(who, setup)
            except games.RefusedError as error:
                set_problems([str(error)])
                return
            on_created(game_id, codes, setup)

    with solara.Column(classes=["fl-setup"], style="max-width: 620px"):
        ItemSelect("Scenario", scenario_items(entries), path, pick, "fl-game-scenario")
        if path:
            solara.InputText("Title (optional)", value=title)
            with solara.Row(style="gap: 12px"):
                solara.InputInt("Turn length (days)", value=turn_days, style="max-width: 170px")
                solara.InputInt("Seed", value=seed, style="max-width: 120px")
            solara.HTML(
                "div", "<b>Teams</b> <small>(the factions not chosen follow their doctrine)</small>"
            )
            for side in sides:
                playing = side.key in chosen.value
                with solara.Row(style="align-items: center; gap: 8px", classes=["fl-side"]):

                    def toggle(on: bool, side=side):
                        picked = dict(chosen.value)
                        if on:
                            picked[side.key] = side.label
                        else:
                            picked.pop(side.key, None)
                        chosen.set(picked)

                    solara.Checkbox(
                        label=f"{side.label} ({side.what})", value=playing, on_value=toggle
                    )
                    if playing:
                        solara.InputText(
                            "Team name",
                            value=chosen.value[side.key],
                            on_value=lambda v, k=side.key: chosen.set({**chosen.value, k: v}),
                            continuous_update=True,
                        )
            solara.Button("Create the game", color="primary", icon_name="mdi-plus", on_click=create)
            if problems:
                ProblemList(problems, "The game cannot be created yet")


@solara.component_vue("copy_code.vue")
def CopyCode(code: str, copied: bool = False):
    """A code in a read-only field, with a button copying it to the clipboard."""


def qr_svg(text: str) -> str:
    """A QR code of `text` as inline SVG (segno: offline, no image files)."""
    return segno.make(text, error="m").svg_inline(scale=3, border=2)


@solara.component
def TeamCode(team: str, label: str, code: str):
    """One team's code, its join address and, on demand, the address as a QR code (shown
    one team at a time, so that a projected code is scanned by its own team only)."""
    shown = solara.use_reactive(False)
    url = serving.join_url(code)
    with solara.Column(classes=["fl-code-row"], style="gap: 2px; margin-bottom: 8px"):
        with solara.Row(style="align-items: center; gap: 8px; flex-wrap: wrap"):
            solara.HTML("span", f"Team <b>{esc(team)}</b> ({esc(label)})", style="min-width: 200px")
            CopyCode(code=code)
            solara.Button(
                "Hide QR code" if shown.value else "Show QR code",
                text=True,
                icon_name="mdi-qrcode",
                on_click=lambda: shown.set(not shown.value),
                classes=["fl-show-qr"],
            )
        solara.HTML("div", f"Join address: {esc(url)}", classes=["fl-join-url"])
        if shown.value:
            solara.HTML("div", qr_svg(url), classes=["fl-qr"])


@solara.component
def Codes(setup: GameSetup, codes: dict, on_open=None):
    """The join codes of a game as the instructor's page knows them (after creating the
    game, or replacing a code): per team, its code, join address and QR code."""
    factions = solara.use_memo(lambda: load_scenario(setup.scenario).spec.factions, [setup])
    solara.HTML(
        "div",
        "<b>Give each team its own code</b> (it opens only that team's faction), or let it "
        "scan its QR code; keep the umpire code (it opens the whole game). The codes are "
        "shown on this page only: the server keeps only their digests. A lost code is "
        "replaced from the umpire's page.",
        classes=["fl-codes-note"],
    )
    with solara.Column(classes=["fl-codes"]):
        for team, faction in setup.teams.items():
            if team in codes:
                TeamCode(team, factions[faction].label or faction, codes[team])
        if "umpire" in codes:
            with solara.Row(style="align-items: center; gap: 8px", classes=["fl-code-row"]):
                solara.HTML("span", "<b>Umpire</b>", style="min-width: 200px")
                CopyCode(code=codes["umpire"])
    if on_open is not None:
        solara.Button(
            "I have the codes: open the umpire view",
            color="primary",
            icon_name="mdi-whistle",
            on_click=on_open,
        )


@solara.component
def SavedGames(who: games.Instructor, on_access):
    """The stored games, for the instructor: each opens as its umpire."""
    try:
        listed = games.saved_games(who)
    except games.RefusedError as error:
        ProblemList([str(error)], "Saved games")
        return
    if not listed:
        solara.HTML("div", "<small>No saved games yet.</small>")
        return
    for game in reversed(listed):
        with solara.Row(style="align-items: center; gap: 8px", classes=["fl-saved-game"]):
            state = "" if game["open"] else " · ended (codes no longer open it)"
            solara.HTML(
                "span",
                f"<b>{esc(game['title'] or Path(game['scenario']).stem)}</b> · "
                f"{esc(Path(game['scenario']).stem)} · {game['turns_played']} turn(s) played · "
                f"created {esc(game['created'])}{state}",
            )
            solara.Button(
                "Open as umpire",
                text=True,
                icon_name="mdi-play-circle-outline",
                on_click=lambda g=game["id"]: on_access(games.umpire_of(who, g)),
            )
