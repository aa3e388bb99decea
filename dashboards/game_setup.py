"""Setting up a wargame (the instructor): scenario, turn length, seed, which factions the
teams command (the others follow their doctrine); then the join codes, shown once; and
the saved games, resumed with their umpire code."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import solara

from dashboards import games
from dashboards.catalogue import PROBLEM_GROUP, find_scenarios
from dashboards.explore import scenario_items
from dashboards.svg import esc
from dashboards.widgets import ItemSelect, ProblemList
from sim.formats.scenario import load_scenario
from sim.wargame.game import GameSetup
from sim.wargame.store import Access

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
def Setup(root: Path, on_created):
    """The form of a new game; `on_created(game_id, codes, setup)` once it is stored."""
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
        set_path(new)
        _, scenario_seed = sides_of(new)
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
            game_id, codes = games.create(setup)
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


@solara.component
def Codes(game_id: str, setup: GameSetup, codes: dict, on_open):
    """The join codes of a new game, shown this once; `on_open()` opens the umpire view."""
    factions = solara.use_memo(lambda: load_scenario(setup.scenario).spec.factions, [setup])
    solara.HTML(
        "div",
        "<b>Write down or copy these codes now: they are shown only once.</b> Give each team "
        "its own code (it opens only that team's faction); keep the umpire code (it opens the "
        "whole game and resumes it later).",
        classes=["fl-codes-note"],
    )
    with solara.Column(classes=["fl-codes"]):
        for team, faction in setup.teams.items():
            with solara.Row(style="align-items: center; gap: 8px", classes=["fl-code-row"]):
                label = factions[faction].label or faction
                solara.HTML(
                    "span", f"Team <b>{esc(team)}</b> ({esc(label)})", style="min-width: 220px"
                )
                CopyCode(code=codes[team])
        with solara.Row(style="align-items: center; gap: 8px", classes=["fl-code-row"]):
            solara.HTML("span", "<b>Umpire</b>", style="min-width: 220px")
            CopyCode(code=codes["umpire"])
    solara.Button(
        "I have the codes: open the umpire view",
        color="primary",
        icon_name="mdi-whistle",
        on_click=on_open,
    )
    del game_id


@solara.component
def SavedGames(on_access):
    """The stored games; resuming one needs its umpire code."""
    listed = games.store().games()
    opening, set_opening = solara.use_state(None)
    code = solara.use_reactive("")
    refused, set_refused = solara.use_state("")

    def resume():
        found = games.join(code.value)
        if found is None:
            set_refused("No game opens with this code.")
        elif found.game_id != opening:
            set_refused("This code belongs to another game.")
        elif found.role != "umpire":
            set_refused("This is a team's code: resuming a game needs its umpire code.")
        else:
            set_refused("")
            code.set("")
            on_access(found)

    if not listed:
        solara.HTML("div", "<small>No saved games yet.</small>")
        return
    for game in reversed(listed):
        with solara.Row(style="align-items: center; gap: 8px", classes=["fl-saved-game"]):
            solara.HTML(
                "span",
                f"<b>{esc(game['title'] or Path(game['scenario']).stem)}</b> · "
                f"{esc(Path(game['scenario']).stem)} · {game['turns_played']} turn(s) played · "
                f"created {esc(game['created'])}",
            )
            solara.Button(
                "Resume",
                text=True,
                icon_name="mdi-play-circle-outline",
                on_click=lambda g=game["id"]: (set_opening(g), set_refused("")),
            )
        if opening == game["id"]:
            with solara.Row(style="align-items: center; gap: 8px"):
                solara.InputText("Umpire code", value=code)
                solara.Button("Open", on_click=resume, color="primary")
            if refused:
                solara.HTML("div", esc(refused), classes=["fl-problems", "fl-refused"])


def umpire_access(game_id: str) -> Access:
    """The access of the instructor who just created the game (their umpire code is known)."""
    return Access(game_id, "umpire")
