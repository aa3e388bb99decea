"""Read an input file (TOML, or the text of a CSV), turning every way it can be
unreadable into one `Problem`.

Scenario, experiment and history files come from anywhere (a class, an e-mail, a download): a
file may be missing, a folder, a device that never ends, binary, UTF-16, nested
thousands deep or cut off in the middle of a string. Each of these is reported with
the file and, where there is one, the line; nothing here raises but a bug.
"""

from __future__ import annotations

import codecs
import functools
import stat
import tomllib
from pathlib import Path

from sim.formats.problems import Problem
from sim.formats.typed_tables import KeyPath, format_path

MAX_BYTES = 20_000_000  # an input file larger than this is not a scenario (the Syria map: 50 kB)
MAX_DEPTH = 32  # tables and arrays nested deeper than this are no scenario (the schema: 6)
_OPENING_LINE_TRIES = 400  # lines tried when looking for where an unclosed string opened
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_AT_END = "(at end of document)"
KEPT_PARSES = 16  # parsed files kept per process (a calibration reads one scenario per set)
KEPT_BYTES = 1_000_000  # ... each of at most this many characters
_PLAIN_WORDS = {
    "Unterminated string": "a string in quotes is not closed",
    'Expected \'"""\'': "a string in quotes is not closed",
    "Expected \"'''\"": "a string in quotes is not closed",
    "Unclosed array": "an array `[` is not closed",
    "Illegal character '\\n'": "a string in quotes is not closed on its line",
}


def read_toml(path: Path) -> tuple[dict | None, list[Problem]]:
    """The table in the TOML file at `path`, or None and the one problem that stops it."""
    text, problem = read_text(path)
    if problem is not None:
        return None, [problem]
    table, problem = parse_toml(text, path, keep=True)
    return table, [] if problem is None else [problem]


def read_text(path: Path) -> tuple[str, Problem | None]:
    """The text of a regular file in UTF-8 (a UTF-8 byte order mark is allowed)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            return "", Problem(path, "file", f"cannot be read: it is {kind}")
        if info.st_size > MAX_BYTES:
            size = f"{info.st_size / 1e6:.0f} MB"
            return "", Problem(path, "file", f"is {size}: too large for an input file")
        data = path.read_bytes()
    except OSError as error:
        return "", Problem(path, "file", f"cannot be read ({error.strerror or error})")
    if data.startswith(_UTF16_BOMS):
        return "", Problem(path, "file", "is encoded as UTF-16: save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        message = "is not a text file in UTF-8 (a binary file, or another encoding)"
        return "", Problem(path, f"line {line}", message)
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        return "", Problem(path, f"line {line}", "is not a text file (it holds NUL bytes)")
    return text, None


def parse_toml(
    text: str, source: Path | str, keep: bool = False
) -> tuple[dict | None, Problem | None]:
    """Parse TOML text; a syntax error is reported with its line (and column). `keep`: keep
    the parse for the next time the same text comes (a file's; see `_parsed`)."""
    kept = keep and len(text) <= KEPT_BYTES
    try:
        table, deep = _parsed(text) if kept else _parse(text)
    except tomllib.TOMLDecodeError as error:
        return None, Problem(source, _error_place(error, text), _error_message(error))
    except RecursionError:
        return None, Problem(source, "file", f"{_TOO_DEEP} (thousands of levels)")
    if deep is not None:
        return None, Problem(source, format_path(deep), _TOO_DEEP)
    return (_copy_of(table) if kept else table), None


def _parse(text: str) -> tuple[dict, KeyPath | None]:
    """The table of `text`, and the key path of a value nested too deep in it, if any."""
    table = tomllib.loads(text)
    return table, _too_deep(table)


@functools.lru_cache(maxsize=KEPT_PARSES)
def _parsed(text: str) -> tuple[dict, KeyPath | None]:
    """`_parse(text)`, kept: a calibration reads the same scenario files again for every
    parameter set, and parsing the Syria chain costs 60 ms of its 100 ms load. Keyed by the
    text itself, so an edited file is parsed again; callers get a copy (`_copy_of`)."""
    return _parse(text)


def _copy_of(value):
    """A copy of a parsed table that shares nothing mutable with it (TOML's scalars,
    dates included, are immutable: only tables and arrays are copied)."""
    if isinstance(value, dict):
        return {k: _copy_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_of(v) for v in value]
    return value


_TOO_DEEP = f"arrays or tables nested more than {MAX_DEPTH} levels deep"


def _too_deep(table: dict) -> KeyPath | None:
    """The key path of a value nested deeper than MAX_DEPTH, if any (without recursion)."""
    stack: list[tuple[KeyPath, object]] = [((), table)]
    while stack:
        path, value = stack.pop()
        if len(path) > MAX_DEPTH:
            return path[:MAX_DEPTH]
        if isinstance(value, dict):
            stack.extend(((*path, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in enumerate(value))
    return None


def _error_message(error: tomllib.TOMLDecodeError) -> str:
    text = str(error).split(" (at ")[0]
    for start, plain in _PLAIN_WORDS.items():
        if text.startswith(start):
            return f"TOML syntax error: {plain}"
    return f"TOML syntax error: {text}"


def _error_place(error: tomllib.TOMLDecodeError, text: str) -> str:
    """Where the error is: `line L, column C`; for an error found only at the end of the
    text (a string or an array never closed), the line where the construct opened."""
    lineno = getattr(error, "lineno", None)
    if lineno is not None:  # Python 3.14 and later
        return f"line {lineno}, column {error.colno}"
    message = str(error)
    if message.endswith(_AT_END):
        opening = _opening_line(text)
        return f"line {opening}" if opening else "end of file"
    if "(at line " in message:
        return "line " + message.rsplit("(at line ", 1)[1].split(",")[0]
    return "file"


def _opening_line(text: str) -> int | None:
    """The line where a construct left open at the end of `text` began: one past the
    longest run of whole lines that parses (the text before it is valid TOML)."""
    lines = text.splitlines(keepends=True)
    tries = 0
    for kept in range(len(lines) - 1, -1, -1):
        if not any(mark in lines[kept] for mark in "\"'[{"):
            continue  # nothing opens on this line
        tries += 1
        if tries > _OPENING_LINE_TRIES:
            return None
        try:
            tomllib.loads("".join(lines[:kept]))
        except (tomllib.TOMLDecodeError, RecursionError):
            continue
        return kept + 1
    return None
