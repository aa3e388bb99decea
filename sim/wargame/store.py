"""Saving wargames in SQLite, and the join codes that open them.

Each game is stored as its setup and its turns (orders and injected events as JSON),
after every submission and every turn, so a game survives a server restart: loading it
replays the turns. Turns taken back by a rollback are kept in an archive table, so a
branched what-if never loses the original line of play. The private channels between
teams and their messages are stored with the game.

Join codes are short and unambiguous (ten characters without 0/O, 1/I/L, read in any
case, shown as two groups of five) and unguessable (`secrets`, about 50 bits). A team's
code opens only its own faction, the umpire's code the whole game. Only their SHA-256
digests are stored: the database does not give them away. The umpire can replace any
code (the old one stops working), and every code of a game expires with it: when the
umpire ends the game, or `GAME_LIFETIME` after it was created.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import secrets
import sqlite3
import threading
from pathlib import Path

from sim.wargame.channels import Channel, Message
from sim.wargame.game import Game, GameSetup, Turn

SCHEMA = """
CREATE TABLE IF NOT EXISTS games (
    id TEXT PRIMARY KEY, title TEXT, scenario TEXT, seed INTEGER, turn_days INTEGER,
    created TEXT, umpire_code TEXT UNIQUE, expires TEXT
);
CREATE TABLE IF NOT EXISTS teams (
    game_id TEXT, team TEXT, faction TEXT, code TEXT UNIQUE, PRIMARY KEY (game_id, team)
);
CREATE TABLE IF NOT EXISTS turns (
    game_id TEXT, number INTEGER, orders TEXT, injected TEXT, resolved INTEGER,
    PRIMARY KEY (game_id, number)
);
CREATE TABLE IF NOT EXISTS archive (game_id TEXT, taken_back TEXT, turns TEXT);
CREATE TABLE IF NOT EXISTS channels (
    game_id TEXT, number INTEGER, name TEXT, members TEXT, PRIMARY KEY (game_id, number)
);
CREATE TABLE IF NOT EXISTS messages (
    game_id TEXT, channel INTEGER, author TEXT, turn INTEGER, at TEXT, text TEXT
);
"""
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
CODE_LENGTH = 10
GAME_LIFETIME = dt.timedelta(days=30)


@dataclasses.dataclass(frozen=True)
class Access:
    """What a code opens: a game as its umpire, or as the team of one faction."""

    game_id: str
    role: str  # "umpire" or "team"
    faction: str | None = None
    team: str | None = None


def new_code() -> str:
    """An unguessable join code: ten characters of CODE_ALPHABET (about 50 bits), shown
    as two groups of five ("K7QMX-3RT9W")."""
    drawn = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{drawn[:5]}-{drawn[5:]}"


def normalized(code: str) -> str:
    """A code as typed, in the form it is hashed in: capitals, no spaces or dashes."""
    return "".join(c for c in (code or "").upper() if c.isalnum())


def digest(code: str) -> str:
    """What is stored of a code: the SHA-256 of its normalized form."""
    return hashlib.sha256(normalized(code).encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


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
            _upgrade(db)
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
        game_id = secrets.token_hex(8)
        codes = {"umpire": new_code()} | {team: new_code() for team in setup.teams}
        created = _now()
        with self._connect() as db:
            db.execute(
                "INSERT INTO games (id, title, scenario, seed, turn_days, created, umpire_code,"
                " expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (game_id, setup.title, setup.scenario, setup.seed, setup.turn_days,
                 _stamp(created), digest(codes["umpire"]), _stamp(created + GAME_LIFETIME)),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO teams VALUES (?, ?, ?, ?)",
                [(game_id, team, faction, digest(codes[team]))
                 for team, faction in setup.teams.items()],
            )  # fmt: skip
        with self._guard:
            self._games[game_id] = game
            self._locks[game_id] = threading.Lock()
        return game_id, codes

    def access(self, code: str) -> Access | None:
        """What a code opens (None: no such code, or its game has ended)."""
        if len(normalized(code)) != CODE_LENGTH:
            return None
        hashed, now = digest(code), _stamp(_now())
        with self._connect() as db:
            row = db.execute(
                "SELECT id FROM games WHERE umpire_code = ? AND expires > ?", (hashed, now)
            ).fetchone()
            if row:
                return Access(row[0], "umpire")
            row = db.execute(
                "SELECT t.game_id, t.team, t.faction FROM teams t JOIN games g "
                "ON g.id = t.game_id WHERE t.code = ? AND g.expires > ?",
                (hashed, now),
            ).fetchone()
        return Access(row[0], "team", faction=row[2], team=row[1]) if row else None

    def reissue(self, game_id: str, team: str | None) -> str:
        """A new code for a team of the game (None: its umpire); the old one stops working."""
        code = new_code()
        with self._connect() as db:
            if team is None:
                changed = db.execute(
                    "UPDATE games SET umpire_code = ? WHERE id = ?", (digest(code), game_id)
                )
            else:
                changed = db.execute(
                    "UPDATE teams SET code = ? WHERE game_id = ? AND team = ?",
                    (digest(code), game_id, team),
                )
            if changed.rowcount != 1:
                raise KeyError(f"no team {team!r} in game {game_id!r}")
        return code

    def end(self, game_id: str) -> None:
        """End the game: none of its codes opens it any more (it stays saved, to review)."""
        with self._connect() as db:
            db.execute("UPDATE games SET expires = ? WHERE id = ?", (_stamp(_now()), game_id))

    def games(self) -> list[dict]:
        """Every stored game: id, title, scenario, created, turns played, and whether its
        codes still open it."""
        now = _stamp(_now())
        with self._connect() as db:
            rows = db.execute(
                "SELECT g.id, g.title, g.scenario, g.created, "
                "(SELECT COUNT(*) FROM turns t WHERE t.game_id = g.id AND t.resolved), "
                "g.expires > ? FROM games g ORDER BY g.created",
                (now,),
            ).fetchall()
        keys = ("id", "title", "scenario", "created", "turns_played", "open")
        return [dict(zip(keys, row, strict=True)) | {"open": bool(row[5])} for row in rows]

    def open_channel(self, game_id: str, name: str, members: list[str]) -> Channel:
        """A new private channel between the teams of `members` (faction keys)."""
        with self._connect() as db:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM channels WHERE game_id = ?", (game_id,)
            ).fetchone()
            channel = Channel(count + 1, name.strip(), tuple(members))
            db.execute(
                "INSERT INTO channels VALUES (?, ?, ?, ?)",
                (game_id, channel.number, channel.name, json.dumps(list(channel.members))),
            )
        return channel

    def channels(self, game_id: str) -> list[Channel]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT number, name, members FROM channels WHERE game_id = ? ORDER BY number",
                (game_id,),
            ).fetchall()
        return [Channel(n, name, tuple(json.loads(members))) for n, name, members in rows]

    def post(self, game_id: str, channel: int, author: str, turn: int, text: str) -> Message:
        """Store a message (the caller has checked the author may post there)."""
        message = Message(channel, author, turn, _stamp(_now()), text)
        with self._connect() as db:
            db.execute(
                "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?)",
                (game_id, channel, author, turn, message.at, text),
            )
        return message

    def messages(self, game_id: str, channels: list[int]) -> list[Message]:
        """The messages of the given channels of a game, oldest first."""
        if not channels:
            return []
        marks = ",".join("?" * len(channels))
        with self._connect() as db:
            rows = db.execute(
                f"SELECT channel, author, turn, at, text FROM messages WHERE game_id = ? "
                f"AND channel IN ({marks}) ORDER BY rowid",
                (game_id, *channels),
            ).fetchall()
        return [Message(*row) for row in rows]

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
                (game_id, _stamp(_now()),
                 json.dumps([dataclasses.asdict(t) for t in turns])),
            )  # fmt: skip

    def forget(self) -> None:
        """Drop the games held in memory (as a server restart does)."""
        with self._guard:
            self._games.clear()
            self._locks.clear()


def _upgrade(db: sqlite3.Connection) -> None:
    """Bring a database of an earlier version up to date: codes stored in plain text are
    replaced by their digests, and games get their expiry."""
    columns = [row[1] for row in db.execute("PRAGMA table_info(games)")]
    if "expires" not in columns:
        db.execute("ALTER TABLE games ADD COLUMN expires TEXT")
        for game_id, created in db.execute("SELECT id, created FROM games").fetchall():
            start = dt.datetime.fromisoformat(created) if created else _now()
            db.execute(
                "UPDATE games SET expires = ? WHERE id = ?",
                (_stamp(start + GAME_LIFETIME), game_id),
            )
    for table, key in (("games", "umpire_code"), ("teams", "code")):
        for (code,) in db.execute(f"SELECT {key} FROM {table}").fetchall():
            if code and len(code) != 64:
                db.execute(f"UPDATE {table} SET {key} = ? WHERE {key} = ?", (digest(code), code))
