"""The Explore page: pick a scenario, set the seed and the parameters, step and watch a run.

Picking a scenario starts a run at once; changed parameters take effect at the next
Reset (the hint sits beside it), so a slider touched by mistake does not throw away a run
in progress. Any problem with the inputs is shown in the loader's words (file and key)
next to the control it is about, scrolled into sight; the previous run, the scenario
chosen and its controls stay. Every path from the page (the picker's value, which a
visitor can forge, and the typed field) goes through `catalogue.typed_path`'s one
confinement check; the picker's value must moreover be one it lists. The overrides
typed on the page are limited to the teaching parameters (`controls.page_override_problems`),
and the scenario's description is shown as text.
"""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

import solara

from dashboards.catalogue import PROBLEM_GROUP, find_scenarios, typed_path
from dashboards.controls import (
    Control,
    derive_controls,
    overrides_for,
    page_override_problems,
    set_lines,
)
from dashboards.player import Player
from dashboards.svg import esc
from dashboards.widgets import ItemSelect, ProblemList, problem_lines
from sim.formats.problems import InputError, Problem
from sim.formats.scenario import OVERRIDE_SOURCE, Scenario, check_scenario, parse_overrides
from sim.model.model import FrontlineModel


@dataclasses.dataclass(frozen=True)
class Settings:
    """What a run is made of: a scenario file and the values chosen on the page."""

    path: str
    scenario: Scenario
    controls: tuple[Control, ...]
    values: dict
    seed: int
    days: int
    extra: str = ""  # further `--set` lines

    def lines(self) -> list[str]:
        """All overrides as `--set` assignments."""
        table = overrides_for(self.scenario, list(self.controls), self.values)
        extra = [line.strip() for line in self.extra.splitlines() if line.strip()]
        return [*set_lines(table), f"run.seed = {self.seed}", f"run.days = {self.days}", *extra]

    def build(self) -> tuple[FrontlineModel, str]:
        """The model at day 0 and the `frontline run` command of the same run; raises
        InputError naming every problem."""
        lines = self.lines()
        table = parse_overrides(lines)
        refused = page_override_problems(table, self.scenario)
        if refused:
            raise InputError([Problem(OVERRIDE_SOURCE, "page", line) for line in refused])
        scenario, problems = check_scenario(self.path, table)
        if problems:
            raise InputError(problems)
        shown = Path(self.path)
        if shown.is_absolute() and shown.is_relative_to(Path.cwd()):
            shown = shown.relative_to(Path.cwd())
        sets = [
            f"--set {shlex.quote(x)}"
            for x in lines
            if not x.startswith(("run.seed =", "run.days ="))
        ]
        command = " ".join(
            [
                f"frontline run {shlex.quote(str(shown))} --seed {self.seed} --days {self.days}",
                *sets,
            ]
        )
        return FrontlineModel(scenario), command


def scenario_items(entries) -> list[dict]:
    """Select items grouped under a header per hypothesis family."""
    items, group = [], None
    for entry in entries:
        if entry.group != group:
            group = entry.group
            items.append({"header": group})
        mark = "⚠ " if entry.problems else ""
        items.append({"text": mark + Path(entry.label).stem, "value": str(entry.path)})
    return items


def text_html(text: str) -> str:
    """File-supplied text as escaped paragraphs (a scenario's description is data: any
    markup in it is shown as it is written, never run)."""
    paragraphs = [p.strip() for p in text.strip().split("\n\n") if p.strip()]
    return "".join(f"<p>{esc(' '.join(p.split()))}</p>" for p in paragraphs)


@solara.component
def Explore(root: Path, initial: str | None = None):
    """The Explore page of the project in `root`, opening `initial` (relative to it)."""
    rescan, set_rescan = solara.use_state(0)
    entries = solara.use_memo(lambda: find_scenarios(root), [str(root), rescan])
    path, set_path = solara.use_state(None)  # the scenario whose controls are shown
    typed = solara.use_reactive("")
    # problems of the last file tried, and where it came from ("picker" or "typed")
    file_problems, set_file_problems = solara.use_state(((), ""))
    settings, set_settings = solara.use_state(None)  # what the run shown was made of
    draft = solara.use_reactive(None)  # what the inputs say now
    run, set_run = solara.use_state((None, ""))  # (model, command)
    run_problems, set_run_problems = solara.use_state([])

    def start(chosen: Settings) -> None:
        try:
            set_run(chosen.build())
        except InputError as error:
            set_run_problems(problem_lines(error))
            return
        set_run_problems([])
        set_settings(chosen)

    def open_file(chosen: Path, source: str) -> None:
        scenario, problems = check_scenario(chosen)
        if problems:  # the scenario shown and its controls stay
            set_file_problems((tuple(str(p) for p in problems), source))
            return
        set_file_problems(((), ""))
        set_path(str(chosen))
        run_spec = scenario.spec.run
        fresh = Settings(
            str(chosen), scenario, tuple(derive_controls(scenario)), {}, run_spec.seed,
            run_spec.days,
        )  # fmt: skip
        draft.value = fresh
        start(fresh)

    def pick(value: str | None) -> None:
        if not value:
            return
        listed = {str(e.path): e for e in entries}
        try:
            if value not in listed:  # a forged value: refused as any path outside
                raise InputError([Problem(value, "path", "not a scenario this page lists")])
            chosen = typed_path(root, value)
        except InputError as error:
            set_file_problems((tuple(problem_lines(error)), "picker"))
            return
        if listed[value].group == PROBLEM_GROUP:
            set_file_problems((listed[value].problems, "picker"))
            return
        open_file(chosen, "picker")

    def open_typed(text: str) -> None:
        if not text.strip():
            return
        try:
            chosen = typed_path(root, text.strip())
            if not chosen.is_file():
                raise InputError([Problem(text.strip(), "path", "no such file")])
        except InputError as error:
            set_file_problems((tuple(problem_lines(error)), "typed"))
            return
        open_file(chosen, "typed")

    def change(**fields) -> None:
        draft.value = dataclasses.replace(draft.value, **fields)

    def open_initial():
        if initial and (Path(root) / initial).is_file():
            open_file((Path(root) / initial).resolve(), "picker")

    solara.use_effect(open_initial, [])
    model, command = run
    problems, source = file_problems
    pending = draft.value is not None and draft.value != settings
    with solara.Columns([1, 3], style="gap: 8px", classes=["fl-explore"]):
        with solara.Column(classes=["fl-sidebar"]):
            ItemSelect("Scenario", scenario_items(entries), path, pick, "fl-scenario")
            if problems and source == "picker":
                ProblemList(list(problems), "This file cannot be run")
            with solara.Row(style="align-items: center"):
                solara.InputText("or open a scenario file", value=typed, on_value=open_typed)
                solara.Button(
                    "Rescan",
                    icon_name="mdi-refresh",
                    text=True,
                    on_click=lambda: set_rescan(rescan + 1),
                )
            if problems and source == "typed":
                ProblemList(list(problems), "This file cannot be run")
            if draft.value is not None:
                d = draft.value
                About(d.scenario)
                solara.InputInt("Seed", value=d.seed, on_value=lambda v: change(seed=v))
                solara.InputInt("Days", value=d.days, on_value=lambda v: change(days=v))
                ControlPanel(list(d.controls), d.values, lambda v: change(values=v))
                solara.InputTextArea(
                    "Other overrides (--set lines, TOML)",
                    value=d.extra,
                    on_value=lambda v: change(extra=v),
                    rows=2,
                    continuous_update=False,
                )
        with solara.Column():
            note = f"<small>The same run: <code>{esc(command)}</code></small>" if command else ""
            Player(
                model,
                on_reset=lambda: draft.value and start(draft.value),
                note=note,
                pending=pending,
                problems=run_problems,
            )


@solara.component
def About(scenario: Scenario):
    """The scenario's description and hypothesis, as text."""
    spec = scenario.spec
    with solara.Details(summary=f"About {spec.name}", expand=True):
        if spec.description:
            solara.HTML("div", text_html(spec.description), classes=["fl-about"])
        if spec.hypothesis:
            solara.HTML(
                "div", "<b>Hypothesis.</b> " + text_html(spec.hypothesis), classes=["fl-about"]
            )


@solara.component
def ControlPanel(controls: list[Control], values: dict, on_values):
    """Sliders and switches for the scenario's parameters; the ground factions' reserve and
    morale one faction at a time."""
    ground = list(dict.fromkeys(c.faction for c in controls if c.key.startswith("reserve:")))
    chosen, set_chosen = solara.use_state(ground[0] if ground else None)
    if chosen not in ground:  # another scenario, other factions
        chosen = ground[0] if ground else None
    names = {c.faction: c.label.split(": ")[0] for c in controls if c.faction}

    def widget(control: Control):
        value = values.get(control.key, control.default)

        def set_value(new):
            on_values({**values, control.key: new})

        if control.kind == "switch":
            solara.Switch(label=control.label, value=bool(value), on_value=set_value)
        else:
            solara.HTML("div", f"{esc(control.label)}: <b>{value:g}</b>", classes=["fl-label"])
        if control.kind == "int":
            solara.SliderInt(
                "", value=int(value), min=int(control.low), max=int(control.high),
                step=int(control.step), on_value=set_value,
            )  # fmt: skip
        elif control.kind == "float":
            solara.SliderFloat(
                "", value=float(value), min=control.low, max=control.high,
                step=control.step, on_value=set_value,
            )  # fmt: skip
        if control.help:
            solara.HTML("div", f"<small>{esc(control.help)}</small>", classes=["fl-help"])

    for control in controls:
        if not control.key.startswith(("reserve:", "morale:")):
            widget(control)
    if ground:
        items = [{"text": names[f], "value": f} for f in ground]
        ItemSelect("Ground faction", items, chosen, set_chosen, "fl-faction")
        for control in controls:
            if control.faction == chosen and control.key.startswith(("reserve:", "morale:")):
                widget(control)
