"""The results store of a sweep: a directory of Parquet parts that are complete or absent.

    DIR/manifest.json          the experiment, its hash, the code version, the plan
    DIR/runs/part-000001.parquet        one row per run: ids, seed, parameters, metrics
    DIR/timeseries/part-000001.parquet  one row per (run, day, faction)
    DIR/captures/part-000001.parquet    one row per (run, capture)

Each batch of finished runs becomes one part in each folder, each written to a temporary
file and renamed into place; the runs part is written last and is the batch's commit
mark: parts of the other folders without a runs part (a crash in between) are removed
when the store is opened again. So a sweep killed at any moment loses at most the batch
in hand, and `--resume` redoes exactly the runs with no row in `runs/`.

A write that fails (a full or read-only disk) removes what it had begun of its batch
and raises `StorageError`, one problem naming the folder: the parts stored before are
intact, and `--resume` goes on once there is room.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import sim
from sim.formats.paths import check_writable_folder, io_error_text
from sim.formats.problems import InputError, Problem

MANIFEST = "manifest.json"
TABLES = ("timeseries", "captures", "runs")  # written in this order; `runs` commits a batch
_PART = re.compile(r"part-(\d+)\.parquet")


class StorageError(InputError):
    """The results folder cannot be written (a full or read-only disk); reported like a
    problem of the `--out` folder."""

    def __init__(self, directory: Path, error: OSError, action: str):
        reason = io_error_text(error)
        message = (
            f"cannot {action} ({reason}); nothing half-written is left and the runs stored "
            "before are intact: make room (or make it writable) and continue with --resume"
        )
        super().__init__([Problem(directory, "--out", message)])


def code_version() -> str:
    """The package version, and the git commit when run from a checkout ("-dirty" when
    the checkout has uncommitted changes: its results cannot be traced to a commit)."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=7"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return sim.__version__
    return f"{sim.__version__}+{commit}"


class ResultStore:
    """Read and append the parts of one sweep's results directory."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    @staticmethod
    def check_folder(directory: Path, resume: bool) -> None:
        """Refuse, before anything runs, a results folder that cannot be one: a file, a
        folder that cannot be written, or (without `resume`) one that holds anything."""
        directory = Path(directory)
        if directory.exists() and not directory.is_dir():
            raise InputError([Problem(directory, "--out", "is a file: give a folder")])
        refused = check_writable_folder(directory)
        if refused:
            raise InputError([Problem(directory, "--out", refused)])
        if not resume and directory.exists() and any(directory.iterdir()):
            raise InputError(
                [Problem(directory, "--out", "is not empty: use --resume to continue that "
                         "sweep, or choose a new directory (nothing was overwritten)")]
            )  # fmt: skip

    @classmethod
    def create(cls, directory: Path, manifest: dict) -> ResultStore:
        """A new store; refuses a directory that already holds anything."""
        directory = Path(directory)
        cls.check_folder(directory, resume=False)
        existed = directory.exists()
        try:
            for table in TABLES:
                (directory / table).mkdir(parents=True, exist_ok=True)
            store = cls(directory)
            store._write_manifest(manifest)
        except OSError as error:
            for folder in [*(directory / t for t in TABLES), *([] if existed else [directory])]:
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise StorageError(directory, error, "create the results folder") from None
        return store

    @staticmethod
    def holds_sweep(directory: Path) -> bool:
        """Whether `directory` holds (part of) a sweep's results."""
        return (Path(directory) / MANIFEST).is_file()

    @classmethod
    def reopen(cls, directory: Path, manifest: dict, grow: bool = False) -> ResultStore:
        """The store of an interrupted sweep of the same experiment, tidied for resuming.
        With `grow`, the sweep may go on with more replicates (its runs are the first
        replicates of the larger plan: run ids and seeds do not depend on the count)."""
        store = cls(directory)
        old = store.manifest()
        growing = grow and manifest["replicates"] >= old.get("replicates", 0)
        fields = ["digest"] if growing else ["digest", "replicates", "runs_planned"]
        for field in fields:
            if old.get(field) != manifest[field]:
                raise InputError(
                    [Problem(Path(directory) / MANIFEST, field, "the experiment (or one of "
                             "its scenario files, or --replicates) changed since this sweep "
                             "began; start a new sweep in a new directory")]
                )  # fmt: skip
        if growing:
            store.update_manifest(replicates=manifest["replicates"],
                                  runs_planned=manifest["runs_planned"])  # fmt: skip
        try:
            store._remove_uncommitted_parts()
        except OSError as error:
            raise StorageError(store.directory, error, "tidy the results folder") from None
        return store

    def check_code_version(self, version: str) -> None:
        """Refuse to add runs made by other code than the sweep's first runs (a finished
        sweep may still be reported by any version)."""
        began = self.manifest().get("code_version")
        if began != version:
            raise InputError(
                [Problem(self.directory / MANIFEST, "code_version", f"this sweep began with "
                         f"frontline {began} and this is {version}: rows of two versions "
                         "would be mixed; resume with the version it began with, or start "
                         "a new sweep in a new directory")]
            )  # fmt: skip

    def manifest(self) -> dict:
        path = self.directory / MANIFEST
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise InputError(
                [Problem(path, "file", f"not a sweep results directory ({error})")]
            ) from None

    def update_manifest(self, **fields) -> None:
        """Replace some fields of the manifest (written whole, atomically)."""
        self._write_manifest(self.manifest() | fields)

    def _write_manifest(self, manifest: dict) -> None:
        path = self.directory / MANIFEST
        temporary = path.with_suffix(".tmp")
        try:
            temporary.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)

    def _parts(self, table: str) -> dict[int, Path]:
        folder = self.directory / table
        if not folder.is_dir():
            return {}
        return {
            int(match.group(1)): path
            for path in folder.iterdir()
            if (match := _PART.fullmatch(path.name))
        }

    def _remove_uncommitted_parts(self) -> None:
        committed = set(self._parts("runs"))
        for table in TABLES:
            for path in (self.directory / table).glob("*.tmp"):
                path.unlink()
            for number, path in self._parts(table).items():
                if number not in committed:
                    path.unlink()

    def completed(self) -> set[str]:
        """Ids of the runs already stored."""
        done: set[str] = set()
        for path in self._parts("runs").values():
            done |= set(pq.read_table(path, columns=["run_id"]).column("run_id").to_pylist())
        return done

    def append(
        self,
        runs: pa.Table | pd.DataFrame,
        timeseries: pa.Table | pd.DataFrame,
        captures: pa.Table | pd.DataFrame,
    ) -> None:
        """Store one batch of runs as a part of every table, the runs part last (it
        commits the batch). On a failed write, what was begun of the batch is removed
        and `StorageError` raised."""
        number = max(self._parts("runs"), default=0) + 1
        written: list[Path] = []
        try:
            for table, rows in (("timeseries", timeseries), ("captures", captures), ("runs", runs)):
                path = self.directory / table / f"part-{number:06d}.parquet"
                written.append(path)
                _write_part(rows, path)
        except OSError as error:
            for path in written:
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)
            raise StorageError(self.directory, error, "write the runs that finished") from None

    def read(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """One table, all parts concatenated (empty if none)."""
        parts = [self._parts(table)[n] for n in sorted(self._parts(table))]
        if not parts:
            return pd.DataFrame(columns=columns)
        return pd.concat(
            [pd.read_parquet(path, columns=columns) for path in parts], ignore_index=True
        )


def _write_part(rows: pa.Table | pd.DataFrame, path: Path) -> None:
    """Write one part through a temporary file renamed into place, so that the part is
    complete or absent; the temporary file never outlives a failure."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        if isinstance(rows, pd.DataFrame):
            rows = pa.Table.from_pandas(rows, preserve_index=False)
        pq.write_table(rows, temporary, compression="zstd")
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
