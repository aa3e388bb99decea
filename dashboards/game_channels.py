"""The private channels of a wargame on a page: a team reads and writes in the channels it
is a member of; the umpire reads all, writes in any, and opens new ones between chosen
teams. Messages are shown as text, newest last, and follow the game live."""

from __future__ import annotations

import solara

from dashboards import game_live, games
from dashboards.svg import esc
from dashboards.widgets import ProblemList
from sim.wargame.store import Access


def messages_html(access: Access, labels: dict, teams: dict) -> dict[int, str]:
    """Each readable channel's messages as HTML, by channel number."""
    by_channel: dict[int, list[str]] = {c.number: [] for c in games.channels_of(access)}
    for message in games.messages_of(access):
        who = "Umpire" if message.author == "umpire" else teams.get(message.author, "?")
        by_channel[message.channel].append(
            f"<div class='fl-message'><b>{esc(who)}</b><small>turn {message.turn}</small> "
            f"{esc(message.text)}</div>"
        )
    return {n: "".join(rows) or "<small>No messages yet.</small>" for n, rows in by_channel.items()}


@solara.component
def Channels(access: Access, labels: dict, teams: dict):
    """The channels `access` may read, each with its messages and a field to write in.
    `labels`: faction -> label; `teams`: faction -> team name."""
    version = game_live.use_game_version(access.game_id)
    channels = solara.use_memo(lambda: games.channels_of(access), [access, version])
    shown = solara.use_memo(lambda: messages_html(access, labels, teams), [access, version])
    with solara.Column(classes=["fl-channels"], style="gap: 2px"):
        solara.HTML("h4", "Private channels")
        if not channels:
            solara.HTML(
                "div",
                "<small>No channel yet"
                + ("" if access.role == "umpire" else " for your team (the umpire opens them)")
                + ".</small>",
            )
        for channel in channels:
            members = ", ".join(teams.get(m, m) for m in channel.members)
            with solara.Column(classes=["fl-channel"], style="gap: 2px"):
                solara.HTML(
                    "div",
                    f"<b>{esc(channel.name)}</b> <small>({esc(members)}; the umpire reads it)"
                    "</small>",
                    classes=["fl-channel-name"],
                )
                solara.HTML("div", shown.get(channel.number, ""), classes=["fl-messages"])
                Write(access, channel.number)


@solara.component
def Write(access: Access, channel: int):
    """A message field and its Send button."""
    text = solara.use_reactive("")
    problems, set_problems = solara.use_state([])

    def send(*_):
        try:
            games.post(access, channel, text.value)
        except games.RefusedError as error:
            set_problems([str(error)])
            return
        set_problems([])
        text.set("")

    with solara.Row(style="align-items: center; gap: 6px; flex-wrap: wrap"):
        with solara.Column(style="flex: 1; min-width: 180px"):
            solara.InputText("Message", value=text, classes=["fl-message-text"])
        solara.Button("Send", on_click=send, icon_name="mdi-send", text=True)
    if problems:
        ProblemList(problems, "Not sent")


@solara.component
def OpenChannel(access: Access, teams: dict):
    """The umpire opens a channel between chosen teams (`teams`: faction -> team)."""
    name = solara.use_reactive("")
    members = solara.use_reactive([])
    problems, set_problems = solara.use_state([])
    names = {team: faction for faction, team in teams.items()}

    def create(*_):
        try:
            games.open_channel(access, name.value, [names[t] for t in members.value])
        except games.RefusedError as error:
            set_problems([str(error)])
            return
        set_problems([])
        name.set("")
        members.set([])

    with solara.Column(style="gap: 2px", classes=["fl-open-channel"]):
        solara.HTML("h4", "Open a private channel")
        solara.InputText("Channel name", value=name, classes=["fl-channel-title"])
        solara.SelectMultiple(
            "Between the teams", values=members.value, all_values=list(names),
            on_value=members.set, classes=["fl-channel-members"],
        )  # fmt: skip
        solara.Button("Open the channel", on_click=create, icon_name="mdi-forum", text=True)
        if problems:
            ProblemList(problems, "Not opened")
