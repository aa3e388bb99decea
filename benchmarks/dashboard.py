"""Dashboard speed: simulated days per second in a real browser, and the server's cost per day.

    python benchmarks/dashboard.py [--seconds 10] [--scenario scenarios/syria/base_2015.toml]
                                   [--starts 3] [--json FILE]

Start: `frontline dashboard` launched `--starts` times (kernels warm): seconds until the
server answers its first page over HTTP, and until the page shows its map in Chromium;
the reference in the same run is `solara run` of a one-line Solara app (the floor any
Solara dashboard pays). Target: the first page answered within 5 s (median).

Browser: starts `frontline dashboard` on a free port, opens it in headless Chromium
(Playwright driving Debian's `chromium`), picks the scenario, sets Days to 5000 so that
the run cannot end, chooses the fastest speed and presses Play for `--seconds`; the rate is
the growth of the day counter the page shows, divided by the time, and the frame rate is
how often the map was redrawn in the page. Target: at least 20 simulated days per second
on the Syria map (exit status 1 if missed).

Server: the cost per simulated day in this process (median over 100 days): the model's
step, the map SVG, the four plots, and a whole re-render of the run view after a
"Step 1 day" click (`solara.render`, no browser).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.figures import save_figures  # noqa: E402

TARGET_DAYS_PER_SECOND = 20.0
TARGET_START_SECONDS = 5.0
HELLO = (
    "import solara\n\n\n@solara.component\ndef Page():\n    solara.Text('reference page drawn')\n"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_dashboard(
    port: int, env: dict | None = None, page: str = "/", wait: float = 60
) -> subprocess.Popen:
    """`frontline dashboard` in a subprocess, once `page` answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "dashboard", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=2):
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"the dashboard did not start within {wait:.0f} s")


def browser_rate(port: int, scenario: str, seconds: float) -> dict:
    """Play the scenario at the fastest speed for `seconds` in headless Chromium."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("svg.fl-map", timeout=60_000)
        page.locator(".fl-scenario").click()
        page.get_by_role("option", name=Path(scenario).stem, exact=True).click()
        page.wait_for_selector("svg.fl-map[data-day='0'] .fl-place", timeout=30_000)
        page.get_by_label("Days", exact=True).fill("5000")
        page.get_by_label("Days", exact=True).press("Enter")
        page.get_by_role("button", name="Reset").click()
        page.wait_for_function("document.querySelector('.fl-clock').textContent.includes('5000')")
        page.get_by_label("Speed (days/s)").click(force=True)
        page.get_by_role("option", name="200", exact=True).click()
        page.evaluate(
            """() => { window.flFrames = 0;
            new MutationObserver(() => window.flFrames++).observe(
                document.querySelector('.fl-map-box'), {childList: true}); }"""
        )
        page.get_by_role("button", name="Play").click()
        page.wait_for_function("Number(document.querySelector('.fl-day').textContent) > 0")
        state = "[Number(document.querySelector('.fl-day').textContent), window.flFrames]"
        (start_day, start_frames), started = page.evaluate(state), time.perf_counter()
        time.sleep(seconds)
        (end_day, end_frames), ended = page.evaluate(state), time.perf_counter()
        page.get_by_role("button", name="Pause").click()
        browser.close()
    elapsed = ended - started
    return {
        "days": end_day - start_day,
        "seconds": round(elapsed, 2),
        "days_per_second": round((end_day - start_day) / elapsed, 1),
        "frames_per_second": round((end_frames - start_frames) / elapsed, 1),
    }


def start_times(starts: int) -> dict:
    """Median seconds from launching the server to its first page (HTTP) and to the map
    drawn in Chromium, against a one-line Solara app started the same way."""
    import tempfile

    from playwright.sync_api import sync_playwright

    hello = Path(tempfile.mkdtemp(prefix="frontline-hello-")) / "hello.py"
    hello.write_text(HELLO)
    solara_run = [sys.executable, "-m", "solara", "run", "--production", "--no-check-version",
                  "--no-open", "--host", "127.0.0.1"]  # fmt: skip
    frontline = [sys.executable, "-m", "sim", "dashboard", "--port"]
    commands = {
        "frontline dashboard": lambda port: [*frontline, str(port)],
        "reference: solara run hello.py": lambda port: [
            *solara_run,
            str(hello),
            "--port",
            str(port),
        ],
    }
    found: dict[str, dict[str, list[float]]] = {k: {"http": [], "shown": []} for k in commands}
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for _ in range(starts):
            for name, command in commands.items():
                port = free_port()
                began = time.perf_counter()
                process = subprocess.Popen(command(port), cwd=ROOT, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)  # fmt: skip
                try:
                    _wait_http(port)
                    found[name]["http"].append(time.perf_counter() - began)
                    page = browser.new_page()
                    page.goto(f"http://127.0.0.1:{port}/")
                    shown = (
                        "svg.fl-map .fl-place"
                        if "frontline" in name
                        else "text=reference page drawn"
                    )
                    page.locator(shown).first.wait_for(timeout=120_000)
                    found[name]["shown"].append(time.perf_counter() - began)
                    page.close()
                finally:
                    process.terminate()  # the server we started, by its id
                    process.wait(timeout=30)
        browser.close()
    return {
        name: {what: round(statistics.median(t), 2) for what, t in times.items()}
        for name, times in found.items()
    }


def _wait_http(port: int, wait: float = 120) -> None:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                answer.read()
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"no answer within {wait:.0f} s")


def server_costs(scenario: str, days: int = 100) -> dict:
    """Milliseconds per simulated day spent in the model and in drawing, in this process."""
    import ipyvuetify as v
    import solara

    from dashboards.map_view import MapPainter
    from dashboards.player import Player, chart_svgs
    from sim.formats.scenario import load_scenario
    from sim.model.model import FrontlineModel

    model = FrontlineModel(load_scenario(ROOT / scenario), days=5000)
    model.step()
    painter = MapPainter(model)
    times = {"step": [], "map": [], "plots": [], "rerender": []}
    for _ in range(days):
        started = time.perf_counter()
        model.step()
        times["step"].append(time.perf_counter() - started)
        started = time.perf_counter()
        painter.svg(model)
        times["map"].append(time.perf_counter() - started)
        started = time.perf_counter()
        chart_svgs(model)
        times["plots"].append(time.perf_counter() - started)
    shown = FrontlineModel(load_scenario(ROOT / scenario), days=5000)
    _, rc = solara.render(Player(shown, on_reset=lambda: None), handle_error=False)
    button = rc.find(v.Btn, children=["Step 1 day"])
    for _ in range(days):
        started = time.perf_counter()
        button.widget.click()
        times["rerender"].append(time.perf_counter() - started)
    rc.close()
    return {name: round(statistics.median(t) * 1000, 3) for name, t in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--scenario", default="scenarios/syria/base_2015.toml")
    parser.add_argument("--starts", type=int, default=3, help="server starts to time")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()

    starts = start_times(args.starts)
    for name, times in starts.items():
        print(f"Start, {name}: first page answered {times['http']} s, shown {times['shown']} s")
    start_verdict = (
        "PASS" if starts["frontline dashboard"]["http"] <= TARGET_START_SECONDS else "FAIL"
    )
    print(f"  -> {start_verdict} (target: first page within {TARGET_START_SECONDS:g} s)")

    costs = server_costs(args.scenario)
    print(f"Server, ms per simulated day on {args.scenario} (median of 100):")
    for name, ms in costs.items():
        print(f"  {name:<9} {ms:7.3f} ms")
    port = free_port()
    process = start_dashboard(port)
    try:
        rate = browser_rate(port, args.scenario, args.seconds)
    finally:
        process.terminate()
        process.wait(timeout=30)
    fast = rate["days_per_second"] >= TARGET_DAYS_PER_SECOND
    verdict = "PASS" if fast and start_verdict == "PASS" else "FAIL"
    print(
        f"Browser (headless Chromium), fastest speed for {rate['seconds']} s: "
        f"{rate['days_per_second']} simulated days/s, {rate['frames_per_second']} map "
        f"redraws/s -> {verdict} (target >= {TARGET_DAYS_PER_SECOND:g} days/s)"
    )
    if args.json:
        figures = {
            "scenario": args.scenario,
            "server_ms_per_day": costs,
            "browser": rate,
            "start_s": starts,
            "target_days_per_second": TARGET_DAYS_PER_SECOND,
            "target_start_s": TARGET_START_SECONDS,
            "verdict": verdict,
        }
        save_figures(args.json, figures)
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
