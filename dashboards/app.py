"""The Frontline dashboard: `solara run dashboards/app.py` (or `frontline dashboard`).

Three tabs: **Explore** (pick a scenario, set parameters, step a run and watch the map and
the plots), **Compare** (open a sweep's results: verdicts, distributions, fan charts,
the capture map, and any run replayed on the map) and **Wargame** (the classroom
wargame: set up a game, join it with a code, play it turn by turn, review it). The
wargame alone is also served at `/wargame`, the address to give the teams. In classroom
mode (`frontline dashboard --classroom`) only the wargame is served, at `/` too: Explore
and Compare would show the war without the fog (see `serving`).

Why not Mesa's SolaraViz: its page expects model parameters as keyword arguments of the
model class and draws spaces and plots with matplotlib or altair, redrawn in full every
step (slow at tens of days per second: mesa #2701). Here a scenario *file* plus overrides
makes a run, the map is a network of named places with fronts and air strikes, and both
the map and the plots are light SVG strings (svg.py), so the app uses its own small
components and calls the model (`sim.model.model`) and its outcome functions only.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path

import pandas  # noqa: F401  (before any page is drawn: see below)
import solara
import solara.lab

from dashboards import serving

# Reacton's `use_state` looks `pandas.DataFrame` up in `sys.modules` at every call. Drawn
# while the warm-up thread (below) is importing pandas, a page would find the module half
# initialised and fail ("partially initialized module 'pandas'": seen in the classroom
# tests about one run in two). So pandas is imported here, whole, before that thread starts.

# The pages import the model (numba, mesa, pandas: seconds): they are imported when a page
# is first drawn, and meanwhile in the background from the server's start, so that the
# server answers at once and the first page finds them loaded (benchmarks/dashboard.py
# measures the start).
PAGES = ("dashboards.wargame",) if serving.classroom() else ("dashboards.explore",)


_importing = threading.Lock()  # one thread imports pages at a time: two importing
# overlapping module graphs in different orders could deadlock on Python's module locks


_loaded: dict[str, object] = {}


def page_module(name: str):
    """The module of a page, imported (by one thread at a time; at once if it is loaded)."""
    if name not in _loaded:
        with _importing:
            _loaded[name] = importlib.import_module(name)
    return _loaded[name]


def _warm_up() -> None:
    """Import the pages and check the project's scenario files (the pickers' lists, kept
    until a file changes)."""
    for name in PAGES:
        page_module(name)
    from dashboards.catalogue import find_scenarios, project_root

    find_scenarios(project_root())
    if not serving.classroom():
        for name in ("dashboards.wargame", "dashboards.compare"):  # the other tabs, later
            page_module(name)


threading.Thread(target=_warm_up, name="frontline-warm-up", daemon=True).start()


def project() -> Path:
    """The project served: its scenarios/ and results/ (see catalogue.project_root)."""
    from dashboards.catalogue import project_root

    return project_root()


DEFAULT_SCENARIO = "scenarios/teaching/valley.toml"

CSS = """
.fl-sidebar { max-width: 380px; }
.fl-map-box svg, .fl-chart-box svg { display: block; max-width: 100%; height: auto; }
.fl-map-box { position: relative; touch-action: none; }
.fl-map-tools { position: absolute; top: 4px; left: 4px; display: flex; gap: 2px; z-index: 2; }
.fl-map-tools button { width: 26px; height: 26px; border: 1px solid #999; background: #fff;
                       border-radius: 3px; font-size: 16px; line-height: 1; cursor: pointer; }
.fl-map-holder { overflow: hidden; }
.fl-pending { background: #fff4d6; padding: 2px 8px; border-radius: 4px; font-size: 13px; }
.fl-about p { margin: 0 0 6px 0; font-size: 14px; }
.fl-qr svg { display: block; }
.fl-join-url { font-family: monospace; font-size: 13px; word-break: break-all; }
.fl-channel { border: 1px solid #dde; border-radius: 4px; padding: 4px 8px; margin: 4px 0; }
.fl-message { font-size: 13px; margin: 2px 0; white-space: pre-wrap; word-break: break-word; }
.fl-message b { margin-right: 4px; }
.fl-objective-result { font-size: 13px; }
.fl-confirm { background: #fff4d6; border-left: 4px solid #ef6c00; padding: 6px 10px;
              margin: 4px 0; font-size: 13px; }
.fl-map-col { min-width: 0; }
.fl-side-col { flex: 1 1 300px; min-width: 0; }
/* solara's "runs on Solara" note sits over the bottom of the page, where it caught clicks
   meant for the last controls (a phone's Send button): it follows the page instead */
div:has(> b > a[href="https://solara.dev"]) { position: static !important; text-align: right; }
.fl-chart-box { border: 1px solid #eee; }
.fl-legend { display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 13px; margin: 4px 0; }
.fl-swatch { display: inline-block; width: 11px; height: 11px; border: 1px solid #555;
             margin-right: 4px; vertical-align: middle; }
.fl-table { border-collapse: collapse; font-size: 13px; }
.fl-table td, .fl-table th { border-bottom: 1px solid #e4e4e4; padding: 2px 6px;
                             text-align: left; vertical-align: top; }
.fl-log { max-height: 260px; overflow-y: auto; margin-top: 8px; }
.fl-problems { background: #fdecea; border-left: 4px solid #c62828; padding: 6px 10px;
               margin: 6px 0; font-size: 13px; white-space: pre-wrap; }
.fl-problems ul { margin: 2px 0 0 0; }
.fl-help { color: #555; margin: -14px 0 8px 0; line-height: 1.2; }
.fl-label { font-size: 14px; margin-top: 4px; }
.fl-clock { font-size: 15px; margin-left: 8px; }
.fl-note, .fl-replay-note { color: #444; margin: 2px 0; word-break: break-all; }
.fl-run-row span { display: inline-block; min-width: 90px; padding-right: 10px; font-size: 13px; }
.fl-run-row span:first-child { min-width: 150px; }
.fl-game-bar { background: #f3f5f8; padding: 4px 10px; border-radius: 4px; margin: 4px 0; }
.fl-state { font-size: 14px; padding: 1px 8px; border-radius: 10px; }
.fl-done { background: #e3f4e1; } .fl-todo { background: #fff4d6; }
.fl-submitted { background: #e3f4e1; border-left: 4px solid #2e7d32; padding: 6px 10px;
                margin: 6px 0; font-size: 13px; }
.fl-refused { margin-top: 4px; }
.fl-odds, .fl-cost-line, .fl-means { font-size: 13px; }
.fl-win { color: #2e7d32; } .fl-lose { color: #c62828; }
.fl-report ul { margin: 0 0 8px 0; font-size: 13px; }
.fl-code { font-family: monospace; font-size: 16px; border: 1px solid #bbb; padding: 2px 6px;
           background: #fafafa; }
.fl-codes-note { background: #fff4d6; padding: 6px 10px; margin: 6px 0; }
.fl-standing-line { margin-top: 6px; }
"""


@solara.component
def Page():
    """The app: a title, then the Explore, Compare and Wargame tabs (in classroom mode,
    the wargame alone)."""
    if serving.classroom():
        WargamePage()
        return
    explore = page_module("dashboards.explore")
    root = project()

    solara.Style(CSS)
    solara.Title("Frontline")
    with solara.Column(style="padding: 8px 16px"):
        solara.HTML("h2", "Frontline: front-line dynamics")
        with solara.lab.Tabs(lazy=True):  # a tab is drawn (and imported) when first opened
            with solara.lab.Tab("Explore"):
                explore.Explore(root, initial=DEFAULT_SCENARIO)
            with solara.lab.Tab("Compare"):
                ComparePage(root)
            with solara.lab.Tab("Wargame"):
                WargameTab(root)


@solara.component
def ComparePage(root: Path):
    """The Compare tab (its statistics are imported when it is first opened)."""
    page_module("dashboards.compare").Compare(root)


@solara.component
def WargameTab(root: Path):
    """The Wargame tab of the full dashboard."""
    page_module("dashboards.wargame").Wargame(root)


@solara.component
def WargamePage():
    """The wargame alone (`/wargame`): what the teams open in a classroom."""
    wargame = page_module("dashboards.wargame")
    solara.Style(CSS)
    solara.Title("Frontline wargame")
    with solara.Column(style="padding: 8px 10px", classes=["fl-wargame-page"]):
        solara.HTML("h2", "Frontline: classroom wargame")
        if serving.classroom():
            solara.HTML(
                "div",
                "<small>Classroom mode: this server serves the wargame only.</small>",
                classes=["fl-classroom-note"],
            )
        wargame.Wargame(project())


@solara.component
def Plain(children=[]):  # noqa: B006 (solara's layout signature)
    """The pages as they are, without solara's default app bar."""
    solara.Column(children=children, style="padding: 0", gap="0px")


serving.instructor_token()  # drawn (and printed, when it is needed) as the server starts

# `solara run` serves these routes: the dashboard at `/`, the wargame alone at `/wargame`
routes = [
    solara.Route(path="/", component=Page, label="Frontline", layout=Plain),
    solara.Route(path="wargame", component=WargamePage, label="Wargame"),
]
