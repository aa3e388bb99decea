"""The after-action review of a wargame: replay, orders against doctrine, and the
team's result placed among runs of the same scenario played by the model alone, with
the events the umpire injected happening on the same days (the same war, without the
teams).

`standings(game)` places the teams; `write_debrief(game, directory)` writes a self-contained
HTML page with plots, its Markdown, and the game's data as CSV and Parquet.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.model.model import FrontlineModel
from sim.outcomes.pages import markdown_to_html, png
from sim.outcomes.summary import timeseries
from sim.wargame.game import Game, holdings, inject_event

BENCHMARK_RUNS = 30


@dataclasses.dataclass
class Standing:
    """A team's result among the model's own runs of the same scenario and days."""

    faction: str
    result: float
    simulated: np.ndarray

    @property
    def percentile(self) -> float:
        """Share of simulated runs the team did better than (ties count half)."""
        below = (self.simulated < self.result).mean()
        tied = (self.simulated == self.result).mean()
        return float(below + tied / 2)

    @property
    def all_same(self) -> bool:
        """Whether every run of the model alone ended with the team's own result."""
        return bool(len(self.simulated) and np.all(self.simulated == self.result))

    def placing(self) -> str:
        """Where the result stands among the model's runs, in words."""
        if self.all_same:
            return (
                f"the same as every one of the {len(self.simulated)} runs played by the model alone"
            )
        return (
            f"better than {self.percentile:.0%} of {len(self.simulated)} runs played by the "
            "model alone"
        )

    def sentence(self) -> str:
        return f"{self.faction}: {self.result:.0f} places held by its side; {self.placing()}"


def benchmark_run(game: Game, seed: int) -> FrontlineModel:
    """The scenario played by the model alone for the game's days, the umpire's injected
    events happening on the days they did in the game (else the team would be compared
    with another war)."""
    days, injected = game.model.day, game.injections()
    model = FrontlineModel(game.scenario, seed=seed, days=days)
    for day in range(days):
        for name in injected.get(day, []):
            inject_event(model, name)
        model.step()
    return model


def benchmark_note(game: Game) -> str:
    """What the model-alone runs share with the game, in words."""
    injected = game.injections()
    if not injected:
        return "The model-alone runs play the scenario as written (no event was injected)."
    events = ", ".join(
        f"{name} (day {day})" for day, names in sorted(injected.items()) for name in names
    )
    return f"The model-alone runs have the umpire's injected events on the same days: {events}."


def standings(game: Game, runs: int = BENCHMARK_RUNS) -> list[Standing]:
    """Each team's result in the distribution of the model playing all sides."""
    seeds = np.random.SeedSequence(game.setup.seed).generate_state(runs)
    results = {faction: [] for faction in game.factions}
    for seed in seeds:
        model = benchmark_run(game, int(seed))
        for faction in game.factions:
            results[faction].append(holdings(model, faction))
    return [
        Standing(faction, holdings(game.model, faction), np.array(results[faction]))
        for faction in game.factions
    ]


def daily_control(game: Game) -> np.ndarray:
    """(days + 1, P) the holder of every place on every day, for the replay."""
    model = game.model
    control = np.repeat(model.initial_controller[None, :], model.day + 1, axis=0)
    for capture in model.captures:
        control[capture.day :, model.map.index(capture.place)] = model.faction_number(capture.new)
    return control


def orders_table(game: Game) -> pd.DataFrame:
    """Per turn and team: the orders given beside what the doctrine would have ordered."""
    rows = []
    for turn in game.resolved_turns():
        for faction in game.factions:
            given = turn.orders.get(faction, {})
            advice = game.advice[turn.number][faction]
            rows.append(
                {
                    "turn": turn.number,
                    "faction": faction,
                    "objectives": ", ".join(given.get("objectives", [])) or "none (held)",
                    "doctrine_objectives": ", ".join(advice.objectives) or "none",
                    "reinforcements": _amounts(given.get("reinforcements", {})),
                    "doctrine_reinforcements": _amounts(advice.reinforcements),
                    "air": _amounts(given.get("targeting", {}), share=True),
                }
            )
    return pd.DataFrame(rows)


def _amounts(values: dict, share: bool = False) -> str:
    if share:
        return ", ".join(f"{k} {v:.0%}" for k, v in values.items()) or "-"
    return ", ".join(f"{k} {v:,.0f}" for k, v in values.items()) or "-"


def write_debrief(
    game: Game,
    directory: Path,
    runs: int = BENCHMARK_RUNS,
    ranked: list[Standing] | None = None,
) -> Path:
    """Write debrief.html (self-contained), debrief.md and the game's data; return the HTML.
    `ranked`: the standings if already computed (they cost `runs` runs of the model)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    series = timeseries(game.model)
    captures = pd.DataFrame(
        [dataclasses.asdict(c) for c in game.model.captures],
        columns=["day", "place", "previous", "new"],
    )
    orders = orders_table(game)
    for name, frame in (("timeseries", series), ("captures", captures), ("orders", orders)):
        frame.to_csv(directory / f"{name}.csv", index=False)
        frame.to_parquet(directory / f"{name}.parquet", index=False)
    ranked = ranked if ranked is not None else standings(game, runs)
    figures = {"territory": _territory_plot(series, game), "standing": _standing_plot(ranked)}
    markdown = _markdown(game, ranked, orders, captures)
    (directory / "debrief.md").write_text(markdown, encoding="utf-8")
    for name, data in figures.items():
        (directory / f"{name}.png").write_bytes(data)
    html = directory / "debrief.html"
    html.write_text(markdown_to_html(markdown, figures, "Debrief"), encoding="utf-8")
    return html


def _markdown(game: Game, ranked: list[Standing], orders: pd.DataFrame, captures) -> str:
    setup = game.setup
    lines = [
        f"# Debrief: {setup.title or game.scenario.spec.name}",
        "",
        f"Scenario `{game.scenario.spec.name}`, seed {setup.seed}, "
        f"{len(game.resolved_turns())} turns of {setup.turn_days} days (day {game.model.day}).",
        "",
        "## How the teams did",
        "",
    ]
    lines += [f"- {standing.sentence()}" for standing in ranked]
    lines += [
        "",
        benchmark_note(game),
        "",
        "![standing](standing.png)",
        "",
        "## Territory",
        "",
        "![territory](territory.png)",
    ]
    lines += ["", "## Orders and what the doctrine would have done", ""]
    lines.append(
        "| turn | team's faction | objectives | doctrine's | reinforcements | doctrine's |"
    )
    lines.append("| --- | --- | --- | --- | --- | --- |")
    lines += [
        f"| {r.turn} | {r.faction} | {r.objectives} | {r.doctrine_objectives} | "
        f"{r.reinforcements} | {r.doctrine_reinforcements} |"
        for r in orders.itertuples()
    ]
    lines += ["", "## What happened, turn by turn", ""]
    for _, reports in sorted(game.reports.items()):
        for report in reports.values():
            lines.append(f"- **{report.faction}**: " + "; ".join(report.lines()))
    lines += ["", "## Captures", ""]
    lines += [
        f"- day {c.day}: {c.place}, {c.previous or 'unheld'} -> {c.new}"
        for c in captures.itertuples()
    ] or ["- none"]
    lines += [
        "",
        "## Questions for discussion",
        "",
        "- Where did your orders differ from the doctrine's, and what did that change?",
        "- Which hypothesis of the scenario did the game speak to, and in which direction?",
        "- What would have been different with more (or less) air support?",
    ]
    return "\n".join(lines) + "\n"


def _territory_plot(series: pd.DataFrame, game: Game) -> bytes:
    figure, axis = plt.subplots(figsize=(8, 3.6))
    colors = {f.key: f.color for f in game.model.factions}
    for faction, group in series.groupby("faction", sort=False):
        if group["places_held"].max() > 0:
            axis.plot(group["day"], group["places_held"], label=faction, color=colors[faction])
    for turn in game.resolved_turns():
        axis.axvline(turn.number * game.setup.turn_days, color="#dddddd", linewidth=0.8)
    axis.set_xlabel("day (grey lines: ends of turns)")
    axis.set_ylabel("places held")
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    return png(figure)


def _standing_plot(ranked: list[Standing]) -> bytes:
    figure, axes = plt.subplots(1, len(ranked), figsize=(4 * len(ranked), 3), squeeze=False)
    for axis, standing in zip(axes[0], ranked, strict=True):
        axis.hist(standing.simulated, bins=15, color="#999999")
        axis.axvline(standing.result, color="#d62728", linewidth=2, label="your result")
        placed = (
            "same as every run" if standing.all_same else f"better than {standing.percentile:.0%}"
        )
        axis.set_title(f"{standing.faction}: {placed}", fontsize=9)
        axis.set_xlabel("places held by its side, model alone")
        axis.legend(fontsize=7)
    return png(figure)
