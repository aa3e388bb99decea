"""The classroom and the shared server in headless Chromium, each served in a subprocess
as people start it.

`frontline dashboard --classroom`: a visitor without the instructor token gets neither
Explore at `/` nor the saved games; the instructor creates a game (join codes, join
addresses and QR codes on the page); teams join from the address a QR code holds, one on
a phone (390 x 844) where the orders form is reachable, and order an objective by
clicking the map; a private channel is read by its two teams and the umpire and not by
the third team; after the turn, the team's report names its objective's result and
reason.

`solara run dashboards.app --host 0.0.0.0` (not through `frontline`): the server is
shared by its bind address alone; a forged picker value outside the project is refused
with the same words whether the path exists or not; a description with markup shows the
markup as text; a visitor without the instructor token can neither create nor list
games.
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests.browser.helpers import ROOT, Server, enter_code, in_viewport, open_page

TOKEN = "instructor-token-for-tests"
FIRST_PAGE = 120_000  # ms: a server's first page imports the model (slow on a busy machine)
PUBLIC = "http://classroom.example:8765"  # the address printed in the join links


@pytest.fixture
def classroom(tmp_path):
    served = Server(
        tmp_path / "games.sqlite",
        command=["-m", "sim", "dashboard", "--classroom"],
        env={"FRONTLINE_INSTRUCTOR_TOKEN": TOKEN, "FRONTLINE_PUBLIC_URL": PUBLIC},
    )
    served.start()
    yield served
    served.stop()


def unlock(page) -> None:
    page.get_by_text("New game and saved games (instructor)").click()
    field = page.get_by_label("Instructor token")
    field.fill(TOKEN)
    field.press("Enter")
    page.get_by_text("Saved games", exact=True).wait_for()


def create_crossroads(page) -> dict[str, str]:
    """Create a crossroads game of three teams; their codes (and the umpire's)."""
    page.locator(".fl-game-scenario").click()
    page.get_by_role("option", name="crossroads", exact=True).click()
    for side in ("Blue government (ground and air)", "Red rebels (ground)",
                 "Green insurgents (ground)"):  # fmt: skip
        page.get_by_text(side).click()
    page.get_by_role("button", name="Create the game").click()
    page.locator("input.fl-code").nth(3).wait_for()
    codes = [page.locator("input.fl-code").nth(i).input_value() for i in range(4)]
    return dict(zip(("blue", "red", "green", "umpire"), codes, strict=True))


def place_number(page, name: str) -> int:
    return int(
        page.evaluate(
            """(name) => [...document.querySelectorAll('svg.fl-map g.fl-place')]
                .find(g => g.querySelector('title').textContent.split('\\n')[0] === name)
                .dataset.place""",
            name,
        )
    )


def test_a_classroom_game(browser, classroom, artifacts, keep_for_docs):
    # --- a visitor without the token: no Explore, no saved games -------------------------
    visitor = open_page(browser, classroom.base + "/", 390, 844)
    visitor.get_by_label("Join code").wait_for(timeout=FIRST_PAGE)
    assert visitor.get_by_role("tab", name="Explore").count() == 0
    assert visitor.locator("svg.fl-map").count() == 0
    visitor.get_by_text("New game and saved games (instructor)").click()
    visitor.get_by_label("Instructor token").wait_for()
    assert visitor.get_by_role("button", name="Create the game").count() == 0
    assert visitor.get_by_role("button", name="Open as umpire").count() == 0
    field = visitor.get_by_label("Instructor token")
    field.fill("a guess")
    field.press("Enter")
    visitor.locator(".fl-problems", has_text="not the instructor token").wait_for()
    assert visitor.get_by_text("Saved games", exact=True).count() == 0

    # --- the instructor creates a game: codes, join addresses, QR codes ----------------
    umpire = open_page(browser, classroom.url, 1024, 768)
    unlock(umpire)
    codes = create_crossroads(umpire)
    assert all(re.fullmatch(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}", c) for c in codes.values())
    for shown in range(3):
        umpire.get_by_role("button", name="Show QR code").first.click()
        umpire.locator(".fl-qr svg").nth(shown).wait_for()
    links = umpire.locator(".fl-join-url").all_inner_texts()
    teams = [codes[k] for k in ("blue", "red", "green")]
    assert [link.split("code=")[-1] for link in links] == teams
    assert all(link.startswith(f"Join address: {PUBLIC}/wargame?code=") for link in links)
    umpire.get_by_role("button", name=re.compile("I have the codes")).click()
    umpire.locator(".fl-teams").wait_for()

    # --- the teams join from their QR codes' address; one on a phone -------------------
    blue = open_page(browser, f"{classroom.url}?code={codes['blue']}", 390, 844)
    red = open_page(browser, f"{classroom.url}?code={codes['red']}", 1024, 768)
    green = open_page(browser, f"{classroom.url}?code={codes['green']}", 1024, 768)
    for page in (blue, red, green):
        page.locator(".fl-orders").wait_for()
    orders = blue.locator(".fl-orders")
    orders.scroll_into_view_if_needed()
    box = orders.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1  # no sideways scrolling
    assert in_viewport(blue, orders)
    assert blue.evaluate("document.documentElement.scrollWidth") <= 392

    # --- an objective ordered by clicking the map --------------------------------------
    ford = place_number(blue, "Ford")
    blue.locator(f"svg.fl-map g.fl-place[data-place='{ford}'] circle.fl-hit").click()
    blue.get_by_role("button", name="Make it an objective").click()
    blue.locator(f"svg.fl-map .fl-objective[data-objective='{ford}']").wait_for()
    assert "Ford:" in blue.locator(f".fl-objective[data-objective='{ford}']").text_content()
    blue.locator(".fl-odds", has_text="Ford").wait_for()
    blue.get_by_role("button", name="Submit orders").click()
    blue.locator(".fl-submitted").wait_for()

    # --- a private channel between blue and red ----------------------------------------
    umpire.get_by_label("Channel name").fill("Truce talks")
    members = umpire.locator(".fl-channel-members")
    members.scroll_into_view_if_needed()
    members.locator(".v-select__slot").click()
    umpire.get_by_role("option", name="Blue government", exact=True).click()
    umpire.get_by_role("option", name="Red rebels", exact=True).click()
    umpire.keyboard.press("Escape")
    umpire.get_by_role("button", name="Open the channel").click()
    blue.locator(".fl-channel-name", has_text="Truce talks").wait_for()
    message = blue.locator(".fl-channel").get_by_label("Message")
    message.fill("Hold fire at the Mill?")
    blue.locator(".fl-channel").get_by_role("button", name="Send").click()
    for reader in (blue, red, umpire):
        reader.locator(".fl-message", has_text="Hold fire at the Mill?").wait_for()
    assert green.locator(".fl-channel-name").count() == 0
    assert "Hold fire" not in green.content()

    # --- the turn is played: the report names the objective's result and reason -------
    for page in (red, green):
        page.get_by_role("button", name="Submit orders").click()
        page.locator(".fl-submitted").wait_for()
    umpire.get_by_role("button", name="Advance turn 1").click()
    umpire.locator(".fl-turn", has_text=re.compile("^2$")).wait_for()
    report = blue.locator(".fl-objective-result", has_text="Objective Ford")
    report.wait_for()
    assert re.search(
        r"Objective Ford: (taken on day \d+|attack repulsed|still contested at the end of the "
        r"turn|attack not launched) \(attackers [\d,]+ -> [\d,]+, defenders [\d,]+ -> [\d,]+\): "
        r"(force ratio [\d.]+:1|undefended) when your attackers arrived|no fighters",
        report.inner_text(),
    ), report.inner_text()
    report.scroll_into_view_if_needed()
    shot = artifacts / "wargame-report.png"
    bottom = blue.evaluate(
        "() => document.querySelector('.fl-reports').getBoundingClientRect().bottom + scrollY"
    )
    blue.screenshot(path=shot, full_page=True, clip={"x": 0, "y": 0, "width": 390,
                                                    "height": bottom + 8})  # fmt: skip
    keep_for_docs(shot, "wargame-report.png")
    for shown in range(3):  # the umpire's page shows the codes it knows, with QR codes
        umpire.get_by_role("button", name="Show QR code").first.click()
        umpire.locator(".fl-qr svg").nth(shown).wait_for()
    umpire.locator(".fl-qr svg").first.scroll_into_view_if_needed()
    shot = artifacts / "wargame-umpire.png"
    umpire.screenshot(path=shot, full_page=True)
    keep_for_docs(shot, "wargame-umpire.png")


SOLARA_RUN = ["-m", "solara", "run", "dashboards.app", "--host", "0.0.0.0", "--production",
              "--no-check-version", "--no-open"]  # fmt: skip
MARKUP = '<img src="x" onerror="window.flHacked = 1"><b>bold</b>'


@pytest.fixture
def shared(tmp_path):
    """`solara run` on every interface (the loopback reached), serving a project of its own
    with a scenario whose description carries markup."""
    project = tmp_path / "project"
    (project / "scenarios" / "teaching").mkdir(parents=True)
    valley = (ROOT / "scenarios" / "teaching" / "valley.toml").read_text()
    (project / "scenarios" / "teaching" / "valley.toml").write_text(valley)
    marked = valley.replace('name = "valley"', 'name = "markup"', 1)
    marked = re.sub(r'description = """.*?"""', f"description = '{MARKUP}'", marked, count=1,
                    flags=re.S)  # fmt: skip
    (project / "scenarios" / "teaching" / "markup.toml").write_text(marked)
    served = Server(
        tmp_path / "games.sqlite",
        command=SOLARA_RUN,
        env={
            "FRONTLINE_PROJECT": str(project),
            "FRONTLINE_INSTRUCTOR_TOKEN": TOKEN,
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        },
    )
    served.start()
    yield served
    served.stop()
    shutil.rmtree(project, ignore_errors=True)


def forge(page, value: str) -> str:
    """Send `value` as the Scenario picker's choice (what page JavaScript can do); the
    message shown, with the value itself replaced by PATH."""
    page.evaluate(
        """(value) => { let vm = document.querySelector('.fl-scenario').__vue__;
             while (vm && !('lazyValue' in vm)) vm = vm.$parent;
             vm.$emit('change', value); vm.$emit('input', value); }""",
        value,
    )
    message = page.locator(".fl-problems", has_text=f"{value}: ")  # not "/etc/passwd" for "/etc"
    message.wait_for()
    return message.inner_text().replace(value, "PATH")


def typed(page, value: str) -> str:
    field = page.get_by_label("or open a scenario file")
    field.fill(value)
    field.press("Enter")
    message = page.locator(".fl-problems", has_text=f"{value}: ")  # not "/etc/passwd" for "/etc"
    message.wait_for()
    return message.inner_text().replace(value, "PATH")


def test_a_shared_server_holds(browser, shared, tmp_path):
    page = open_page(browser, shared.base + "/")
    page.locator("svg.fl-map .fl-place").first.wait_for(timeout=FIRST_PAGE)
    outside_file = tmp_path / "elsewhere.toml"
    outside_file.write_text((ROOT / "scenarios" / "teaching" / "valley.toml").read_text())
    words = {
        forge(page, value)
        for value in ("/etc/passwd", "/etc", "/nonexistent/nothing.toml", str(outside_file))
    }
    assert len(words) == 1, words  # the same refusal whether it exists, is a folder or not
    assert "not a scenario this page lists" in words.pop()
    tries = ("/etc/passwd", "/nonexistent.toml", str(outside_file), "../../../../etc/shadow")
    words = {typed(page, value) for value in tries}
    assert len(words) == 1, words
    assert "only files inside the project are served" in words.pop()
    assert page.locator(".fl-scenario").inner_text().strip().endswith("valley")  # nothing opened

    page.locator(".fl-scenario").click()
    page.get_by_role("option", name="markup", exact=True).click()
    about = page.locator(".fl-about").first
    about.wait_for()
    page.get_by_text("About markup").wait_for()
    assert MARKUP in about.inner_text()  # the markup, shown as text
    assert about.locator("img, b").count() == 0
    assert page.evaluate("window.flHacked") is None

    page.get_by_role("tab", name="Wargame").click()
    page.get_by_text("New game and saved games (instructor)").click()
    page.get_by_label("Instructor token").wait_for()
    assert page.get_by_role("button", name="Create the game").count() == 0
    assert page.get_by_text("Saved games", exact=True).count() == 0
    enter_code(page, "AAAAA-AAAAA")
    page.locator(".fl-problems", has_text="No game opens with this code").wait_for()
