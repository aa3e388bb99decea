"""The Explore page: pick a scenario, set the seed and the parameters, step and watch a run.

Picking a scenario starts a run at once; changed parameters take effect at the next
Reset, so a slider touched by mistake does not throw away a run in progress. Any problem
with the inputs is shown in the loader's words (file and key), and the previous run stays.
"""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

import solara

from dashboards.catalogue import PROBLEM_GROUP, find_scenarios, typed_path
from dashboards.controls import Control, derive_controls, overrides_for, set_lines
from dashboards.player import Player
from dashboards.svg import esc
from dashboards.widgets import ItemSelect, ProblemList, problem_lines
from sim.formats.problems import InputError
from sim.formats.scenario import Scenario, check_scenario, parse_overrides
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
        scenario, problems = check_scenario(self.path, parse_overrides(lines))
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


@solara.component
def Explore(root: Path, initial: str | None = None):
    """The Explore page of the project in `root`, opening `initial` (relative to it)."""
    rescan, set_rescan = solara.use_state(0)
    entries = solara.use_memo(lambda: find_scenarios(root), [str(root), rescan])
    path, set_path = solara.use_state(None)
    typed = solara.use_reactive("")
    load_problems, set_load_problems = solara.use_state([])
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

    def open_file(chosen: str | None) -> None:
        if not chosen:
            return
        set_path(chosen)
        scenario, problems = check_scenario(chosen)
        set_load_problems([str(p) for p in problems])
        if problems:
            return
        run_spec = scenario.spec.run
        fresh = Settings(
            chosen, scenario, tuple(derive_controls(scenario)), {}, run_spec.seed, run_spec.days
        )
        draft.value = fresh
        start(fresh)

    def open_typed(text: str) -> None:
        if not text.strip():
            return
        try:
            open_file(str(typed_path(root, text.strip())))
        except InputError as error:
            set_path(text.strip())
            set_load_problems(problem_lines(error))

    def change(**fields) -> None:
        draft.value = dataclasses.replace(draft.value, **fields)

    def open_initial():
        if initial and (Path(root) / initial).is_file():
            open_file(str((Path(root) / initial).resolve()))

    solara.use_effect(open_initial, [])
    entry = next((e for e in entries if str(e.path) == path), None)
    model, command = run
    with solara.Columns([1, 3], style="gap: 8px"):
        with solara.Column(classes=["fl-sidebar"]):
            ItemSelect("Scenario", scenario_items(entries), path, open_file, "fl-scenario")
            with solara.Row(style="align-items: center"):
                solara.InputText("or open a scenario file", value=typed, on_value=open_typed)
                solara.Button(
                    "Rescan",
                    icon_name="mdi-refresh",
                    text=True,
                    on_click=lambda: set_rescan(rescan + 1),
                )
            if load_problems:
                ProblemList(load_problems, "This file cannot be run")
            elif entry is not None and entry.group == PROBLEM_GROUP:
                ProblemList(list(entry.problems), "This file cannot be run")
            elif draft.value is not None:
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
                if d != settings:
                    solara.HTML(
                        "div", "<small>Changed: press Reset to run with these settings.</small>"
                    )
            if run_problems:
                ProblemList(run_problems, "Not applied: the run shown is the previous one")
        with solara.Column():
            note = f"<small>The same run: <code>{esc(command)}</code></small>" if command else ""
            Player(model, on_reset=lambda: draft.value and start(draft.value), note=note)


@solara.component
def About(scenario: Scenario):
    """The scenario's description and hypothesis."""
    spec = scenario.spec
    with solara.Details(summary=f"About {spec.name}", expand=True):
        if spec.description:
            solara.Markdown(spec.description.strip())
        if spec.hypothesis:
            solara.Markdown("**Hypothesis.** " + spec.hypothesis.strip())


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
