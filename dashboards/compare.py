"""The Compare page: open a sweep's results, read the verdicts and distributions, and
replay any single run of it on the map."""

from __future__ import annotations

from pathlib import Path

import solara

from dashboards import charts
from dashboards.capture_map import capture_map_svg, difference_map_svg
from dashboards.catalogue import find_results, typed_path
from dashboards.player import Player
from dashboards.replay import build_model, check_against, find_task
from dashboards.svg import esc, short
from dashboards.sweep_view import SweepView, distributions, open_sweep
from dashboards.widgets import ItemSelect, ProblemList, problem_lines

PAGE_ROWS = 10
VERDICT_COLOURS = {
    "supported": "#1a7f37",
    "contradicted": "#c62828",
    "equivalent": "#1565c0",
    "inconclusive": "#666",
    "no response": "#8a6d00",
}


def verdict_table(view: SweepView) -> str:
    """The verdicts of `frontline report`, one row per comparison."""
    rows = []
    for r in view.results:
        colour = VERDICT_COLOURS.get(r.verdict, "#000")
        points = (
            f" (as predicted at {r.points_supported:.0%} of design points)"
            if r.points_supported is not None
            else ""
        )
        rows.append(
            f'<tr title="{esc(r.sentence())}"><td><b>{esc(r.name)}</b><br><small>'
            f"{esc(r.description)}</small></td>"
            f'<td class="fl-verdict" style="color:{colour}"><b>{esc(r.verdict)}</b>'
            f"{esc(points)}</td>"
            + _statistics_cells(r)
            + f"<td>{esc(r.prediction())} ({esc(r.counts())})</td></tr>"
        )
    header = (
        "<tr><th>comparison</th><th>verdict</th><th>difference [95% CI]</th>"
        "<th>variant vs baseline</th><th>Cliff's delta</th><th>p (adjusted)</th>"
        "<th>within ±sesoi: p (adjusted)</th><th>power</th><th>predicted</th></tr>"
    )
    return f'<table class="fl-table fl-verdicts">{header}{"".join(rows)}</table>'


def _statistics_cells(r) -> str:
    """The difference, arms, effect size, p-values and power of a comparison (dashes
    when it lacks data)."""
    if r.insufficient:
        return "<td>–</td>" * 6
    equivalence = "–" if r.sesoi is None else f"{r.sesoi_text()}: {r.tost_text()}"
    cells = [
        r.interval_text(),
        r.arms_text(),
        f"{r.cliffs_delta:+.2f}",
        r.p_text(),
        equivalence,
        r.power_text(),
    ]
    return "".join(f"<td>{esc(cell)}</td>" for cell in cells)


def claims_html(view: SweepView) -> str:
    """One line per claim of the hypothesis, from its comparisons' verdicts."""
    items = "".join(
        f'<li><b>{esc(line.claim)}</b> — <span class="fl-claim-reading">{esc(line.reading)}'
        f"</span>{esc(line.text().removeprefix(line.reading))}</li>"
        for line in view.analysis.claims
    )
    return f'<ul class="fl-claims">{items}</ul>'


def rule_html(view: SweepView) -> str:
    """The verdict rule, stated beside the verdicts (the report's own words)."""
    text = esc(view.analysis.rule)
    return f'<p class="fl-rule"><small>{_bold(text)}</small></p>'


def _bold(text: str) -> str:
    """**word** (as the report writes it) in bold."""
    pieces = text.split("**")
    return "".join(f"<b>{piece}</b>" if i % 2 else piece for i, piece in enumerate(pieces))


def summary_html(view: SweepView) -> str:
    m = view.manifest
    ok = int((view.runs["status"] == "ok").sum())
    hypothesis = m.get("hypothesis", "").strip()
    seeds = (
        "common seeds (runs compared pair by pair)"
        if view.analysis.settings.paired
        else "independent seeds"
    )
    return (
        f"<h3>{esc(m.get('name', view.directory.name))}</h3><p>{esc(m.get('description', ''))}</p>"
        + (f"<p><b>Hypothesis.</b> {esc(hypothesis)}</p>" if hypothesis else "")
        + f"<p>{len(view.runs)} runs ({ok} finished) of {m.get('runs_planned', '?')} planned; "
        f"{m.get('replicates', '?')} replicates per variant; {seeds}; variants compared with "
        f"<b>{esc(m.get('baseline', ''))}</b>; code {esc(m.get('code_version', '?'))}.</p>"
    )


@solara.component
def Compare(root: Path):
    """The Compare page of the project in `root`."""
    rescan, set_rescan = solara.use_state(0)
    found = solara.use_memo(lambda: find_results(root), [str(root), rescan])
    chosen, set_chosen = solara.use_state(None)
    view, set_view = solara.use_state(None)
    problems, set_problems = solara.use_state([])
    typed = solara.use_reactive("")

    def open_directory(text: str | None) -> None:
        if not text or not text.strip():
            return
        set_chosen(text.strip())
        try:
            set_view(open_sweep(typed_path(root, text.strip())))
            set_problems([])
        except Exception as error:  # a corrupt store raises the Parquet reader's errors
            set_view(None)
            set_problems(problem_lines(error))

    with solara.Row(style="align-items: center; flex-wrap: wrap"):
        items = [{"text": d, "value": d} for d in found]
        with solara.Column(style="min-width: 260px"):
            ItemSelect("Results directory", items, chosen, open_directory, "fl-results")
        solara.InputText("or open a results directory", value=typed, on_value=open_directory)
        solara.Button(
            "Rescan", icon_name="mdi-refresh", text=True, on_click=lambda: set_rescan(rescan + 1)
        )
    if problems:
        ProblemList(problems, f"Cannot open {chosen} as sweep results")
    elif view is not None:
        SweepPanel(view).key(str(view.directory))  # a new sweep starts with fresh choices
    elif not found:
        solara.Info("No results under results/ yet: run `frontline sweep EXPERIMENT --out DIR`.")


@solara.component
def SweepPanel(view: SweepView):
    """Claims, verdicts with their rule, distributions, fan charts, the capture maps and
    the runs of one sweep."""
    solara.HTML("div", summary_html(view), classes=["fl-summary"])
    for note in view.notes:
        solara.Warning(note)
    solara.HTML("div", claims_html(view))
    solara.HTML("div", rule_html(view) + verdict_table(view))
    binary = view.analysis.settings.binary
    with solara.Row(style="flex-wrap: wrap; gap: 8px"):
        for metric, groups in distributions(view).items():
            chart = charts.share_chart if metric in binary else charts.strip_plot
            solara.HTML("div", chart(metric, groups))
    shown = {f for bands in view.fans.values() for f in bands}
    legend = "".join(
        f'<span class="fl-key"><span class="fl-swatch" style="background:{esc(colour)}"></span>'
        f"{esc(view.labels.get(key, key))}</span>"
        for key, colour in view.colors.items()
        if key in shown
    )
    solara.HTML("div", legend, classes=["fl-legend"])
    with solara.Row(style="flex-wrap: wrap; gap: 8px"):
        for variant, bands in view.fans.items():
            title = f"{variant}: places held (median, 10-90 %)"
            solara.HTML("div", charts.fan_chart(title, bands, view.colors, view.fan_top))
    if view.capture_share:
        CaptureMaps(view)
    RunsAndReplay(view)


@solara.component
def CaptureMaps(view: SweepView):
    """How often each place changed hands in a variant's runs, or that minus the
    baseline's share, each with its colour scale."""
    baseline = view.manifest["baseline"]
    others = [v for v in view.capture_share if v != baseline]
    map_variant, set_map_variant = solara.use_state(others[0] if others else baseline)
    difference, set_difference = solara.use_state(bool(others))
    with solara.Row(style="flex-wrap: wrap; gap: 8px; align-items: flex-start"):
        with solara.Column(style="min-width: 220px"):
            items = [{"text": v, "value": v} for v in view.capture_share]
            ItemSelect("Capture map of", items, map_variant, set_map_variant)
            can_subtract = map_variant != baseline and baseline in view.capture_share
            solara.Checkbox(
                label=f"minus {baseline}",
                value=difference and can_subtract,
                on_value=set_difference,
                disabled=not can_subtract,
            )
        if map_variant not in view.capture_share:
            return
        shares = view.capture_share[map_variant]
        if difference and map_variant != baseline and baseline in view.capture_share:
            title = f"{map_variant} minus {baseline}: share of runs a place changes hands"
            svg = difference_map_svg(view.world, shares - view.capture_share[baseline], title)
        else:
            title = f"Capture probability: share of {map_variant} runs a place changes hands"
            svg = capture_map_svg(view.world, shares, title)
        solara.HTML("div", svg)


@solara.component
def RunsAndReplay(view: SweepView):
    """The runs table; choosing a run re-runs it on the map."""
    variant, set_variant = solara.use_state("all")
    page, set_page = solara.use_state(0)
    replay, set_replay = solara.use_state(None)  # (run id, model, notes)
    problems, set_problems = solara.use_state([])

    def start(run_id: str) -> None:
        row = view.runs.set_index("run_id").loc[run_id]
        try:
            task, notes = find_task(view.manifest, run_id)
            notes.append(check_against(task, row) if row["status"] == "ok" else "This run failed.")
            set_replay((run_id, task, build_model(task), notes, row.get("command", "")))
            set_problems([])
        except Exception as error:  # e.g. the experiment file moved: say why, keep the page
            set_problems(problem_lines(error))

    runs = view.runs if variant == "all" else view.runs[view.runs["variant"] == variant]
    pages = max(1, -(-len(runs) // PAGE_ROWS))
    page = min(page, pages - 1)
    shown = runs.iloc[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]
    metrics = [f"metric.{m}" for m in dict.fromkeys(r.metric for r in view.results)]
    metrics = [m for m in metrics if m in runs]
    if len(view.manifest.get("design", [])) > 1:
        metrics += [c for c in runs.columns if c.startswith("param.")][:3]
    solara.HTML("h3", "Runs")
    with solara.Row(style="align-items: center; flex-wrap: wrap"):
        items = [{"text": v, "value": v} for v in ["all", *view.variants]]
        with solara.Column(style="min-width: 200px"):
            ItemSelect("Variant", items, variant, lambda v: (set_variant(v), set_page(0)))
        solara.Button("◀", disabled=page == 0, on_click=lambda: set_page(page - 1), text=True)
        solara.Text(f"page {page + 1} of {pages} ({len(runs)} runs)")
        solara.Button(
            "▶", disabled=page >= pages - 1, on_click=lambda: set_page(page + 1), text=True
        )
    with solara.Column(classes=["fl-runs"], gap="0px"):
        header = ["run", "seed", "status", *(m.split(".", 1)[1] for m in metrics)]
        solara.HTML(
            "div", "".join(f"<span>{esc(h)}</span>" for h in header), classes=["fl-run-row"]
        )
        for record in shown.to_dict("records"):
            cells = [record["run_id"], record["seed"], record["status"]]
            cells += [_cell(record[m]) for m in metrics]
            with solara.Row(classes=["fl-run-row"], style="align-items: center"):
                solara.HTML("div", "".join(f"<span>{esc(c)}</span>" for c in cells))
                solara.Button(
                    "Replay", icon_name="mdi-map-marker-path", text=True, small=True,
                    on_click=lambda run_id=record["run_id"]: start(run_id),
                )  # fmt: skip
    if problems:
        ProblemList(problems, "Cannot replay this run")
    if replay is not None:
        run_id, task, model, notes, command = replay
        ScrollHere().key(f"scroll-{run_id}")  # a new replay is brought into view
        solara.HTML("h3", f"Replay of {esc(run_id)}")
        for note in notes:
            solara.HTML("div", f"<small>{esc(note)}</small>", classes=["fl-replay-note"])
        text = f"<small>The same run: <code>{esc(command)}</code></small>" if command else ""

        def again():
            set_replay((run_id, task, build_model(task), notes, command))

        Player(model, on_reset=again, note=text)


@solara.component_vue("scroll_here.vue")
def ScrollHere():
    """An empty mark that scrolls the page to itself when it appears."""


def _cell(value) -> str:
    return "–" if value is None or value != value else short(value)
