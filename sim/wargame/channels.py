"""Private message channels between teams of a wargame (negotiation, coalition talks).

The umpire opens a channel between chosen teams; only those teams post in it and read
it, and the umpire reads every channel (and may post in it, as the umpire). Channels and
their messages are saved with the game and shown in the after-action review.
"""

from __future__ import annotations

import dataclasses

MAX_MESSAGE = 1000  # characters of one message
UMPIRE = "umpire"


@dataclasses.dataclass(frozen=True)
class Channel:
    """A channel: its number in the game, a name, and the factions whose teams are in it."""

    number: int
    name: str
    members: tuple[str, ...]  # faction keys

    def readable_by(self, role: str, faction: str | None) -> bool:
        """The umpire reads every channel; a team only those it is a member of."""
        return role == UMPIRE or (faction is not None and faction in self.members)


@dataclasses.dataclass(frozen=True)
class Message:
    """One message: in which channel, from whom (a faction key or "umpire"), when
    (turn and wall-clock time), and its text (shown as text, never as markup)."""

    channel: int
    author: str
    turn: int
    at: str
    text: str


def message_problems(text: str) -> list[str]:
    """What is wrong with a message before it is posted (empty: nothing)."""
    if not text.strip():
        return ["the message is empty"]
    if len(text) > MAX_MESSAGE:
        return [f"a message has at most {MAX_MESSAGE} characters, this one {len(text)}"]
    return []


def channel_problems(name: str, members: list[str], factions: list[str]) -> list[str]:
    """What is wrong with a channel the umpire is opening (empty: nothing)."""
    problems = []
    if not name.strip():
        problems.append("a channel needs a name")
    if len(set(members)) < 2:
        problems.append("a channel joins at least two teams")
    problems += [f"no team commands {m!r}" for m in members if m not in factions]
    return problems
