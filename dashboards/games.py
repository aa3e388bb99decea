"""The wargames of this server: the store, the notices that keep every page current, and
each change (create, submit, inject, advance, roll back) made under the game's lock and
saved at once, so the server can stop at any moment and nothing is lost.

One `GameStore` serves every browser session of the server process (its SQLite file
comes from FRONTLINE_GAMES_DB, default `wargames/frontline.sqlite` under the working
directory). The pages never change a game themselves: they call the functions here with
the `Access` their join code opened, which says what they may do. A page shows a game
as of its `version`: every change bumps it, and the pages of that game, waiting on the
`Board`, redraw at once (or within `POLL_SECONDS` at the latest).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import os
import threading
import time
from pathlib import Path

from dashboards import serving
from sim.wargame.channels import Channel, Message, channel_problems, message_problems
from sim.wargame.game import Game, GameSetup, TurnReport
from sim.wargame.orders import Orders
from sim.wargame.store import Access, GameStore

DB_VARIABLE = "FRONTLINE_GAMES_DB"
DEFAULT_DB = Path("wargames") / "frontline.sqlite"  # not games/: tools take it for games.py
POLL_SECONDS = 1.0  # a page checks for changes at least this often


def database_path() -> Path:
    """The games database: $FRONTLINE_GAMES_DB, else wargames/frontline.sqlite here."""
    return Path(os.environ.get(DB_VARIABLE) or DEFAULT_DB)


_store: GameStore | None = None
_store_guard = threading.Lock()


def store() -> GameStore:
    """The server's store (opened on first use, on `database_path()`)."""
    global _store
    with _store_guard:
        if _store is None:
            _store = GameStore(database_path())
        return _store


def open_store(path: Path | str) -> GameStore:
    """Serve the games of another database from now on (tests, tools)."""
    global _store
    with _store_guard:
        if _store is not None:
            _store.close()
        _store = GameStore(path)
        return _store


class Board:
    """Change notices: per game, a version (any change) and a war number (a change of
    the war itself: a turn played or taken back), and the countdown set by its umpire.

    Pages redraw what depends on the war (the map, the means, the reports) only when the
    war number changes, and the rest (who has submitted) at every version."""

    def __init__(self):
        self._changed = threading.Condition()
        self._versions: dict[str, int] = {}
        self._wars: dict[str, int] = {}
        self._deadlines: dict[str, float] = {}

    def version(self, game_id: str) -> int:
        with self._changed:
            return self._versions.get(game_id, 0)

    def war(self, game_id: str) -> int:
        with self._changed:
            return self._wars.get(game_id, 0)

    def bump(self, game_id: str, war: bool = False) -> None:
        with self._changed:
            self._versions[game_id] = self._versions.get(game_id, 0) + 1
            if war:
                self._wars[game_id] = self._wars.get(game_id, 0) + 1
            self._changed.notify_all()

    def wait(self, game_id: str, seen: int, timeout: float) -> int:
        """The game's version once it differs from `seen`, or after `timeout` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: self._versions.get(game_id, 0) != seen, timeout)
            return self._versions.get(game_id, 0)

    def deadline(self, game_id: str) -> float | None:
        """When the umpire's countdown runs out (epoch seconds), if one is set."""
        with self._changed:
            return self._deadlines.get(game_id)

    def set_deadline(self, game_id: str, when: float | None) -> None:
        with self._changed:
            if when is None:
                self._deadlines.pop(game_id, None)
            else:
                self._deadlines[game_id] = when
        self.bump(game_id)


board = Board()


class RefusedError(Exception):
    """An action the access does not allow, or the game's state does not permit."""


def join(code: str) -> Access | None:
    """What a join code opens (None: nothing)."""
    code = (code or "").strip()
    return store().access(code) if code else None


@dataclasses.dataclass(frozen=True)
class Instructor:
    """A page's proof that its user may create and list games: the instructor token was
    entered (or is not needed: a dashboard served to this machine only)."""

    token: str = ""

    def valid(self) -> bool:
        return not serving.instructor_needed() or serving.token_matches(self.token)


def _instructor(who: Instructor) -> None:
    if not who.valid():
        raise RefusedError("only the instructor (with the instructor token) can do this")


def create(who: Instructor, setup: GameSetup) -> tuple[str, dict[str, str]]:
    """Store a new game; its id and codes (each team's and the umpire's)."""
    _instructor(who)
    return store().create(setup)


def saved_games(who: Instructor) -> list[dict]:
    """The stored games (the instructor only)."""
    _instructor(who)
    return store().games()


def umpire_of(who: Instructor, game_id: str) -> Access:
    """The umpire's access to a saved game, for the instructor."""
    _instructor(who)
    if game_id not in {g["id"] for g in store().games()}:
        raise RefusedError("no such game")
    return Access(game_id, "umpire")


def _umpire(access: Access) -> None:
    if access.role != "umpire":
        raise RefusedError("only the umpire can do this")


def reissue(access: Access, team: str | None) -> str:
    """A new code for `team` (None: the umpire's); the old one stops working at once."""
    _umpire(access)
    code = store().reissue(access.game_id, team)
    board.bump(access.game_id)
    return code


def end_game(access: Access) -> None:
    """End the game: its codes stop opening it; it stays saved for the review."""
    _umpire(access)
    store().end(access.game_id)
    board.bump(access.game_id)


def open_channel(access: Access, name: str, members: list[str]) -> Channel:
    """The umpire opens a private channel between the teams of `members` (factions)."""
    _umpire(access)
    with reading(access.game_id) as game:
        problems = channel_problems(name, members, game.factions)
    if problems:
        raise RefusedError("; ".join(problems))
    channel = store().open_channel(access.game_id, name, members)
    board.bump(access.game_id)
    return channel


def channels_of(access: Access) -> list[Channel]:
    """The channels `access` may read: all for the umpire, a team's own for a team."""
    return [
        c for c in store().channels(access.game_id) if c.readable_by(access.role, access.faction)
    ]


def messages_of(access: Access) -> list[Message]:
    """The messages of the channels `access` may read, oldest first."""
    return store().messages(access.game_id, [c.number for c in channels_of(access)])


def post(access: Access, channel: int, text: str) -> Message:
    """Post `text` in `channel`: a team in its own channels, the umpire in any."""
    if channel not in {c.number for c in channels_of(access)}:
        raise RefusedError("you are not in this channel")
    problems = message_problems(text)
    if problems:
        raise RefusedError("; ".join(problems))
    with reading(access.game_id) as game:
        turn = game.pending().number
    author = access.faction if access.role == "team" else "umpire"
    message = store().post(access.game_id, channel, author, turn, text.strip())
    board.bump(access.game_id)
    return message


@contextlib.contextmanager
def reading(game_id: str):
    """The game, held still (its lock) while a page reads what it shows."""
    games = store()
    with games.lock(game_id):
        yield games.game(game_id)


@contextlib.contextmanager
def _changing(access: Access, war: bool = False):
    """The game to change as its umpire; saved, and its pages told, afterwards."""
    if access.role != "umpire":
        raise RefusedError("only the umpire can do this")
    games = store()
    with games.lock(access.game_id):
        yield games, games.game(access.game_id)
        games.save(access.game_id)
    board.bump(access.game_id, war=war)


def submit(access: Access, orders: Orders) -> list[str]:
    """A team's orders for the current turn; the problems (none: stored and saved)."""
    if access.role != "team":
        raise RefusedError("only a team gives orders")
    games = store()
    with games.lock(access.game_id):
        problems = games.game(access.game_id).submit(access.faction, orders)
        if not problems:
            games.save(access.game_id)
    if not problems:
        board.bump(access.game_id)
    return problems


def inject(access: Access, event: str) -> None:
    """The umpire has one of the scenario's events happen at the start of this turn."""
    with _changing(access) as (_, game):
        game.inject(event)


def advance(access: Access, anyway: bool = False) -> dict[str, TurnReport]:
    """Play the current turn: when every team has submitted, or `anyway` once the
    countdown has run out (teams without orders hold their ground)."""
    deadline = board.deadline(access.game_id)
    with _changing(access, war=True) as (_, game):
        missing = set(game.factions) - game.submitted()
        ran_out = deadline is not None and time.time() >= deadline
        if missing and not (anyway and ran_out):
            raise RefusedError(
                f"waiting for {len(missing)} team(s); advance anyway once the countdown has run out"
            )
        reports = game.advance()
    board.set_deadline(access.game_id, None)
    return reports


def rollback(access: Access, to_turn: int) -> list[int]:
    """Go back to the start of turn `to_turn`; the turns taken back are archived."""
    with _changing(access, war=True) as (games, game):
        dropped = game.rollback(to_turn)
        games.archive(access.game_id, dropped)
    board.set_deadline(access.game_id, None)
    return [turn.number for turn in dropped]


def start_countdown(access: Access, minutes: float) -> None:
    if access.role != "umpire":
        raise RefusedError("only the umpire can do this")
    board.set_deadline(access.game_id, time.time() + max(float(minutes), 0.0) * 60)


def stop_countdown(access: Access) -> None:
    if access.role != "umpire":
        raise RefusedError("only the umpire can do this")
    board.set_deadline(access.game_id, None)


@dataclasses.dataclass(frozen=True)
class Status:
    """Where a game stands: the turn being prepared and who has submitted for it."""

    title: str
    scenario: str
    turn: int
    day: int
    date: str | None
    turn_days: int
    teams: dict[str, str]  # team -> faction
    labels: dict[str, str]  # faction key -> label
    submitted: frozenset[str]
    injected: tuple[str, ...]
    resolved: int

    def days_of_turn(self) -> str:
        return f"days {self.day + 1}-{self.day + self.turn_days}"


def status(game: Game) -> Status:
    """The game's status (call while reading it)."""
    model = game.model
    pending = game.pending()
    date = model.date_of(model.day)
    return Status(
        title=game.setup.title or game.scenario.spec.name,
        scenario=game.scenario.spec.name,
        turn=pending.number,
        day=model.day,
        date=date.isoformat() if date else None,
        turn_days=game.setup.turn_days,
        teams=dict(game.setup.teams),
        labels={f.key: f.label for f in model.factions},
        submitted=frozenset(game.submitted()),
        injected=tuple(pending.injected),
        resolved=len(game.resolved_turns()),
    )


def replica(game: Game) -> Game:
    """A copy of the game at the end of its last resolved turn, to review without the lock."""
    return Game(copy.deepcopy(game.setup), copy.deepcopy(game.resolved_turns()))
