"""Saving wargames in SQLite, and the join codes that open them.

Each game is stored as its setup and its turns (orders and injected events as JSON),
after every submission and every turn, so a game survives a server restart: loading it
replays the turns. Codes are unguessable (`secrets`); a team's code opens only its own
faction, the umpire's code the whole game. Turns taken back by a rollback are kept in
an archive table, so a branched what-if never loses the original line of play.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import secrets
import sqlite3
import threading
from pathlib import Path

from sim.wargame.game import Game, GameSetup, Turn

SCHEMA = """
CREATE TABLE IF NOT EXISTS games (
    id TEXT PRIMARY KEY, title TEXT, scenario TEXT, seed INTEGER, turn_days INTEGER,
    created TEXT, umpire_code TEXT UNIQUE
);
CREATE TABLE IF NOT EXISTS teams (
    game_id TEXT, team TEXT, faction TEXT, code TEXT UNIQUE, PRIMARY KEY (game_id, team)
);
CREATE TABLE IF NOT EXISTS turns (
    game_id TEXT, number INTEGER, orders TEXT, injected TEXT, resolved INTEGER,
    PRIMARY KEY (game_id, number)
);
CREATE TABLE IF NOT EXISTS archive (game_id TEXT, taken_back TEXT, turns TEXT);
"""


@dataclasses.dataclass(frozen=True)
class Access:
    """What a code opens: a game as its umpire, or as the team of one faction."""

    game_id: str
    role: str  # "umpire" or "team"
    faction: str | None = None
    team: str | None = None


def new_code() -> str:
    """An unguessable join code (72 random bits, URL-safe)."""
    return secrets.token_urlsafe(9)


class GameStore:
    """The games of a server: stored in SQLite, loaded games kept in memory.

    Safe to use from several threads (Solara serves each browser session in its own):
    every game has a lock, held while it changes.
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db_lock = threading.Lock()
        with self._connect() as db:
            db.executescript(SCHEMA)
        self._games: dict[str, Game] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextlib.contextmanager
    def _connect(self):
        """The store's connection, for one transaction (committed at the end).

        One connection for the server's life, in write-ahead-log mode: a commit is
        durable when the server process stops or crashes, without waiting for the disk
        (about 20 ms a commit here, which 30 teams submitting at once would queue
        behind each other). Only a power cut can lose the last moments of play.
        """
        with self._db_lock, self._db:
            yield self._db

    def close(self) -> None:
        """Close the database (the store cannot be used afterwards)."""
        with self._db_lock:
            self._db.close()

    def create(self, setup: GameSetup) -> tuple[str, dict[str, str]]:
        """Store a new game; return its id and its codes (team name or "umpire" -> code)."""
        game = Game(setup)
        game_id = secrets.token_hex(4)
        codes = {"umpire": new_code()} | {team: new_code() for team in setup.teams}
        with self._connect() as db:
            db.execute(
                "INSERT INTO games VALUES (?, ?, ?, ?, ?, ?, ?)",
                (game_id, setup.title, setup.scenario, setup.seed, setup.turn_days,
                 dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), codes["umpire"]),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO teams VALUES (?, ?, ?, ?)",
                [(game_id, team, faction, codes[team]) for team, faction in setup.teams.items()],
            )
        with self._guard:
            self._games[game_id] = game
            self._locks[game_id] = threading.Lock()
        return game_id, codes

    def access(self, code: str) -> Access | None:
        """What a code opens (None: no such code)."""
        code = code.strip()
        with self._connect() as db:
            row = db.execute("SELECT id FROM games WHERE umpire_code = ?", (code,)).fetchone()
            if row:
                return Access(row[0], "umpire")
            row = db.execute(
                "SELECT game_id, team, faction FROM teams WHERE code = ?", (code,)
            ).fetchone()
        return Access(row[0], "team", faction=row[2], team=row[1]) if row else None

    def games(self) -> list[dict]:
        """Every stored game: id, title, scenario, turns played."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT g.id, g.title, g.scenario, g.created, "
                "(SELECT COUNT(*) FROM turns t WHERE t.game_id = g.id AND t.resolved) "
                "FROM games g ORDER BY g.created"
            ).fetchall()
        keys = ("id", "title", "scenario", "created", "turns_played")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def lock(self, game_id: str) -> threading.Lock:
        """The lock to hold while changing a game."""
        self.game(game_id)
        return self._locks[game_id]

    def game(self, game_id: str) -> Game:
        """A game, loaded (and replayed) from the database the first time it is asked for."""
        with self._guard:
            if game_id not in self._games:
                self._games[game_id] = self._load(game_id)
                self._locks[game_id] = threading.Lock()
            return self._games[game_id]

    def _load(self, game_id: str) -> Game:
        with self._connect() as db:
            row = db.execute(
                "SELECT title, scenario, seed, turn_days FROM games WHERE id = ?", (game_id,)
            ).fetchone()
            if row is None:
                raise KeyError(f"no game {game_id!r}")
            teams = dict(db.execute(
                "SELECT team, faction FROM teams WHERE game_id = ? ORDER BY rowid", (game_id,)
            ).fetchall())  # fmt: skip
            turns = [
                Turn(number, json.loads(orders), json.loads(injected), bool(resolved))
                for number, orders, injected, resolved in db.execute(
                    "SELECT number, orders, injected, resolved FROM turns "
                    "WHERE game_id = ? ORDER BY number",
                    (game_id,),
                )
            ]
        setup = GameSetup(scenario=row[1], seed=row[2], turn_days=row[3], teams=teams,
                          title=row[0])  # fmt: skip
        return Game(setup, turns)

    def save(self, game_id: str) -> None:
        """Write the game's turns (call after every submission and every turn)."""
        game = self._games[game_id]
        with self._connect() as db:
            db.execute("DELETE FROM turns WHERE game_id = ?", (game_id,))
            db.executemany(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?)",
                [(game_id, t.number, json.dumps(t.orders), json.dumps(t.injected), t.resolved)
                 for t in game.turns],
            )  # fmt: skip

    def archive(self, game_id: str, turns: list[Turn]) -> None:
        """Keep turns taken back by a rollback."""
        with self._connect() as db:
            db.execute(
                "INSERT INTO archive VALUES (?, ?, ?)",
                (game_id, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                 json.dumps([dataclasses.asdict(t) for t in turns])),
            )  # fmt: skip

    def forget(self) -> None:
        """Drop the games held in memory (as a server restart does)."""
        with self._guard:
            self._games.clear()
            self._locks.clear()
