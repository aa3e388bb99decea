"""Wargame under a classroom's load: how long until a page shows an action.

    python benchmarks/wargame_load.py [--games 15] [--teams 2] [--turns 3] [--spread 5]
                                      [--scenario scenarios/teaching/valley.toml] [--json FILE]

Creates `--games` games of `--teams` teams each (default 15 x 2 = 30 team sessions) in a
fresh games database, starts one `frontline dashboard` on 127.0.0.1 on it, and opens every
team's page and every umpire's page in headless Chromium (Playwright driving Debian's
`chromium`), each in a browser context of its own, joined with its code. Then, for
`--turns` turns: every team presses "Submit orders", at random moments within `--spread`
seconds (all 30 in 5 s by default: a busy classroom; 0: all at once), and once every page
shows its orders in, every umpire presses "Advance turn", again within `--spread` seconds.

Measured in the pages themselves (one clock: the browser's): from the click on "Submit
orders" to the team's page saying its orders are in, and from the umpire's click on
"Advance turn" to each of that game's team pages showing the new turn, and showing the
turn's report (the teams' pages are not reloaded: they follow the game by themselves).
Reported: median and 90th percentile of each. Target: median under 1 s (exit status 1 if missed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.dashboard import CHROMIUM_ARGS, free_port, start_dashboard  # noqa: E402
from benchmarks.figures import save_figures  # noqa: E402
from sim.wargame.game import GameSetup  # noqa: E402
from sim.wargame.store import GameStore  # noqa: E402

TARGET_SECONDS = 1.0
# every page behaves as a student's page in the foreground: no throttling of background tabs
FOREGROUND = [
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
TIMEOUT = 60_000  # ms

# In every page: when each turn number and "orders in" first show, and when the page's
# own "Submit orders" / "Advance turn" buttons are clicked (Date.now(), the browser clock).
WATCH = """() => {
  window.flSeen = {}; window.flClicked = {}; window.flAwaited = {};
  const turn = () => (document.querySelector('.fl-turn') || {}).textContent;
  const check = () => {
    const t = turn();
    if (t === undefined) return;
    if (!(('turn' + t) in window.flSeen)) window.flSeen['turn' + t] = Date.now();
    const state = (document.querySelector('.fl-state') || {}).textContent || '';
    // "orders in" counts once this turn's page has said the orders are awaited (a page
    // redraws piece by piece: the new turn number may show before the new state)
    if (state.includes('awaited')) window.flAwaited[t] = true;
    const reports = (document.querySelector('.fl-reports') || {}).textContent || '';
    const played = 'Turn ' + (Number(t) - 1) + ' (days';
    if (reports.includes(played) && !(('report' + t) in window.flSeen))
      window.flSeen['report' + t] = Date.now();
    if (state.includes('orders in') && window.flAwaited[t] && !(('in' + t) in window.flSeen))
      window.flSeen['in' + t] = Date.now();
  };
  new MutationObserver(check).observe(document.body,
    {subtree: true, childList: true, characterData: true});
  document.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (!button) return;
    const text = button.textContent;
    if (text.includes('Submit orders')) window.flClicked['submit' + turn()] = Date.now();
    if (text.includes('Advance turn')) window.flClicked['advance' + turn()] = Date.now();
  }, true);
  check();
}"""


def start_server(port: int, database: Path) -> subprocess.Popen:
    env = {**os.environ, "FRONTLINE_GAMES_DB": str(database)}
    return start_dashboard(port, env=env, page="/wargame", wait=90)


def create_games(database: Path, scenario: str, games: int, teams: int) -> list[dict]:
    """The games, each with its codes: [{"umpire": code, "teams": [code, ...]}]."""
    from sim.formats.scenario import load_scenario

    factions = list(load_scenario(scenario).spec.factions)[:teams]
    if len(factions) < teams:
        raise SystemExit(f"{scenario} has only {len(factions)} factions")
    store = GameStore(database)
    made = []
    for number in range(games):
        setup = GameSetup(
            scenario=str(Path(scenario).resolve()),
            seed=number + 1,
            turn_days=7,
            teams={f"T{i + 1}": faction for i, faction in enumerate(factions)},
            title=f"load {number + 1}",
        )
        _, codes = store.create(setup)
        made.append({"umpire": codes["umpire"], "teams": [codes[t] for t in setup.teams]})
    return made


def open_page(context, url: str):
    """A page (its own Solara kernel: its own session state), loading (not waited for)."""
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url, wait_until="commit")
    return page


def join(page, code: str) -> None:
    field = page.get_by_label("Join code")
    field.fill(code)
    field.press("Enter")


def press(page, label: str) -> None:
    """Click the page's button that says `label` (a DOM click: background tabs included)."""
    page.evaluate(
        """(label) => [...document.querySelectorAll('button')]
            .find(b => b.textContent.includes(label)).click()""",
        label,
    )


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {
        "n": len(values),
        "median_s": round(statistics.median(ordered), 3),
        "p90_s": round(p90, 3),
        "max_s": round(ordered[-1], 3),
    }


def at_random_moments(actions: list, spread: float, rng) -> None:
    """Do each action (a callable) once, at a random moment within `spread` seconds."""
    moments = sorted(zip(rng.uniform(0, spread, len(actions)), range(len(actions)), strict=True))
    began = time.perf_counter()
    for moment, index in moments:
        time.sleep(max(0.0, moment - (time.perf_counter() - began)))
        actions[index]()


def play(port: int, made: list[dict], turns: int, spread: float) -> dict:
    from playwright.sync_api import sync_playwright

    url = f"http://127.0.0.1:{port}/wargame"
    chromium = (
        os.environ.get("FRONTLINE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    )
    import numpy as np

    rng = np.random.default_rng(7)
    submits, advances, reports = [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS + FOREGROUND
        )
        started = time.perf_counter()
        # one browser context, so that the pages share the HTTP cache of the app's
        # scripts; every page is a session of its own on the server (its own kernel)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        games = [
            {
                "umpire": open_page(context, url),
                "teams": [open_page(context, url) for _ in g["teams"]],
            }
            for g in made
        ]
        pages = [p for g in games for p in (g["umpire"], *g["teams"])]
        codes = [code for g in made for code in (g["umpire"], *g["teams"])]
        for page, code in zip(pages, codes, strict=True):  # the pages load meanwhile
            join(page, code)
        for page in pages:
            page.locator(".fl-turn").wait_for()
            page.evaluate(WATCH)
        opened = time.perf_counter() - started
        print(f"{len(pages)} pages open and joined in {opened:.1f} s", flush=True)
        teams = [p for g in games for p in g["teams"]]
        for turn in range(1, turns + 1):
            at_random_moments([lambda p=p: press(p, "Submit orders") for p in teams], spread, rng)
            for page in teams:
                page.wait_for_function(f"'in{turn}' in window.flSeen", timeout=TIMEOUT, polling=50)
                seen, clicked = page.evaluate("[window.flSeen, window.flClicked]")
                submits.append((seen[f"in{turn}"] - clicked[f"submit{turn}"]) / 1000)
            for game in games:
                game["umpire"].get_by_role("button", name=f"Advance turn {turn}").wait_for()
            umpires = [g["umpire"] for g in games]
            at_random_moments(
                [lambda p=p, t=turn: press(p, f"Advance turn {t}") for p in umpires], spread, rng
            )
            for game in games:
                clicked = game["umpire"].evaluate("window.flClicked")[f"advance{turn}"]
                for page in game["teams"]:
                    page.wait_for_function(
                        f"'report{turn + 1}' in window.flSeen", timeout=TIMEOUT, polling=50
                    )
                    seen = page.evaluate("window.flSeen")
                    advances.append((seen[f"turn{turn + 1}"] - clicked) / 1000)
                    reports.append((seen[f"report{turn + 1}"] - clicked) / 1000)
            print(f"turn {turn}: done ({time.perf_counter() - started:.0f} s)", flush=True)
        browser.close()
    return {
        "pages": len(pages),
        "team_sessions": len(teams),
        "open_and_join_s": round(opened, 1),
        "submit_to_shown": summary(submits),
        "advance_to_shown": summary(advances),
        "advance_to_report": summary(reports),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=15)
    parser.add_argument("--teams", type=int, default=2, help="teams per game")
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument(
        "--spread",
        type=float,
        default=5.0,
        help="seconds over which the teams submit (and the umpires advance)",
    )
    parser.add_argument("--scenario", default="scenarios/teaching/valley.toml")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="frontline-load-"))
    database = folder / "games.sqlite"
    made = create_games(database, str(ROOT / args.scenario), args.games, args.teams)
    port = free_port()
    began = time.perf_counter()
    process = start_server(port, database)
    try:
        figures = play(port, made, args.turns, args.spread)
    finally:
        process.terminate()  # the server we started, by its id
        process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    figures["total_s"] = round(time.perf_counter() - began, 1)
    measured = ("submit_to_shown", "advance_to_shown", "advance_to_report")
    worst = max(figures[name]["median_s"] for name in measured)
    verdict = "PASS" if worst < TARGET_SECONDS else "FAIL"
    for name in measured:
        f = figures[name]
        print(
            f"{name:>17}: median {f['median_s']:.3f} s, 90th percentile {f['p90_s']:.3f} s, "
            f"max {f['max_s']:.3f} s (n = {f['n']})"
        )
    print(
        f"{figures['team_sessions']} team sessions, {figures['pages']} pages, "
        f"{args.turns} turns, actions spread over {args.spread:g} s, {figures['total_s']} s "
        f"-> {verdict} "
        f"(target: median < {TARGET_SECONDS:g} s)"
    )
    if args.json:
        figures |= {
            "scenario": args.scenario,
            "games": args.games,
            "teams_per_game": args.teams,
            "turns": args.turns,
            "spread_s": args.spread,
            "target_median_s": TARGET_SECONDS,
            "verdict": verdict,
        }
        save_figures(args.json, figures)
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
