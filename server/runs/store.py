"""Where runs outlive the process: one SQLite file under the data directory.

A run is saved when it is created, when its state changes and at least every few
seconds while it trains (spec, state, epoch, metrics, metric history, latest
weights). SQLite's journal makes each save all-or-nothing, so a `kill -9` loses
at most the seconds since the last save and never leaves a half-written run.
A store that cannot write (unwritable or full disk) says why and the server
keeps serving: training never waits for, or fails because of, the disk.
"""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from server.runs.store_recovery import check_integrity, is_corruption, move_aside, recover_rows

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    created_at REAL NOT NULL,
    saved_at REAL NOT NULL,
    metrics TEXT NOT NULL,
    history TEXT NOT NULL,
    weights BLOB NOT NULL
)
"""
INSERT_ROW = "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
# Sweeps (server/runs/sweeps.py) are kept beside their runs: a small JSON document each.
SWEEP_SCHEMA = """
CREATE TABLE IF NOT EXISTS sweeps (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    data TEXT NOT NULL
)
"""


@dataclass
class RunRecord:
    """Everything needed to list, export and resume a run after a restart."""

    id: str
    kind: str
    spec: dict[str, Any]
    state: str
    epoch: int
    created_at: float
    saved_at: float
    metrics: dict[str, Any] = field(default_factory=dict)
    history: Any = None
    weights: list[np.ndarray] = field(default_factory=list)


def weights_to_bytes(weights: list[np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, *weights)
    return buffer.getvalue()


def weights_from_bytes(data: bytes) -> list[np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return [archive[f"arr_{i}"] for i in range(len(archive.files))]


def record_from_row(row: tuple) -> RunRecord:
    """A `runs` row as a record; ValueError (or OSError) if its JSON or weights are damaged."""
    return RunRecord(row[0], row[1], json.loads(row[2]), row[3], row[4], row[5], row[6],
                     json.loads(row[7]), json.loads(row[8]),
                     weights_from_bytes(row[9]) if row[9] is not None else [])


class RunStore:
    """A thread-safe SQLite store; every failure is logged and remembered, never raised.

    A store that SQLite finds corrupt when it opens is moved aside (renamed with a
    timestamp) and a new one started with every run that could still be read; `notice`
    says so until the server restarts.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "runs.sqlite3"
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self.error: str | None = None
        self.notice: str | None = None
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            self._connection = self._open()
        except (sqlite3.Error, OSError) as error:
            if is_corruption(error):
                self._replace_corrupt_store(error)
            else:
                self._fail("open", error)

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, check_same_thread=False,
                                     isolation_level=None, timeout=10)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL loses nothing when the process dies (kill -9): a commit
            # is in the log before it returns. Only a power cut can lose the last commits,
            # never corrupt the store. FULL's fsync per save made a room of learners
            # creating runs at once queue behind the disk.
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(SCHEMA)
            connection.execute(SWEEP_SCHEMA)
            check_integrity(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _replace_corrupt_store(self, damage: Exception) -> None:
        """Move the damaged file aside, start a new store, copy in what can be read."""
        try:
            moved = move_aside(self.path, datetime.now())
            self._connection = self._open()
        except (sqlite3.Error, OSError) as error:
            self._fail("open", error)
            return
        rows, total = recover_rows(moved, record_from_row)
        try:
            with self._lock:
                for row in rows:
                    self._connection.execute(INSERT_ROW, row)
        except sqlite3.Error as error:
            self._fail("write", error)
            return
        if total is not None and total == len(rows):
            recovered = f"all {total} runs were recovered"
        elif total is not None:
            recovered = f"{len(rows)} of its {total} runs were recovered"
        else:
            recovered = f"{len(rows)} runs were recovered; the rest could not be read"
        self.notice = (f"the run store {self.path.name} was corrupt ({damage}): it was moved "
                       f"aside to {moved} and a new one started; {recovered}.")
        log.error(self.notice)

    @property
    def healthy(self) -> bool:
        return self._connection is not None and self.error is None

    def _fail(self, action: str, error: Exception) -> None:
        if is_corruption(error):
            self.error = (f"the run store at {self.path} is corrupt ({error}). Runs keep "
                          "training but are not saved; restart the server: it moves the "
                          "damaged file aside and recovers the runs that can still be read.")
        else:
            self.error = (f"cannot {action} the run store at {self.path}: {error}. Runs keep "
                          "training but are not saved; free disk space or fix the data "
                          "directory's permissions (--data-dir).")
        log.error(self.error)

    def save(self, record: RunRecord) -> bool:
        if self._connection is None:
            return False
        row = (record.id, record.kind, json.dumps(record.spec), record.state, record.epoch,
               record.created_at, record.saved_at, json.dumps(record.metrics, allow_nan=False),
               json.dumps(record.history, allow_nan=False), weights_to_bytes(record.weights))
        try:
            with self._lock:
                self._connection.execute(INSERT_ROW, row)
            self.error = None
            return True
        except (sqlite3.Error, OSError, ValueError) as error:
            self._fail("write", error)
            return False

    def delete(self, run_id: str) -> None:
        if self._connection is None:
            return
        try:
            with self._lock:
                self._connection.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        except (sqlite3.Error, OSError) as error:
            self._fail("write", error)

    def save_sweep(self, sweep_id: str, created_at: float, data: dict[str, Any]) -> bool:
        """Keep a sweep's JSON (its runs are saved as runs)."""
        if self._connection is None:
            return False
        try:
            with self._lock:
                self._connection.execute("INSERT OR REPLACE INTO sweeps VALUES (?, ?, ?)",
                                         (sweep_id, created_at, json.dumps(data)))
            return True
        except (sqlite3.Error, OSError, ValueError) as error:
            self._fail("write", error)
            return False

    def delete_sweep(self, sweep_id: str) -> None:
        if self._connection is None:
            return
        try:
            with self._lock:
                self._connection.execute("DELETE FROM sweeps WHERE id = ?", (sweep_id,))
        except (sqlite3.Error, OSError) as error:
            self._fail("write", error)

    def sweeps(self) -> list[dict[str, Any]]:
        """Every readable sweep's JSON, oldest first."""
        if self._connection is None:
            return []
        try:
            with self._lock:
                rows = self._connection.execute(
                    "SELECT id, data FROM sweeps ORDER BY created_at").fetchall()
        except (sqlite3.Error, OSError) as error:
            self._fail("read", error)
            return []
        out = []
        for sweep_id, data in rows:
            try:
                out.append(json.loads(data))
            except ValueError as error:
                log.error("skipping unreadable sweep %s: %s", sweep_id, error)
        return out

    def load(self, run_id: str) -> RunRecord | None:
        """One run, whole; None when it is not stored (or cannot be read)."""
        records = self._select("SELECT * FROM runs WHERE id = ?", (run_id,))
        return records[0] if records else None

    def summaries(self) -> list[RunRecord]:
        """Every readable run without its weights and history (cheap: for listing)."""
        return self._select(
            "SELECT id, kind, spec, state, epoch, created_at, saved_at, metrics, 'null', NULL "
            "FROM runs ORDER BY created_at", ())

    def _select(self, query: str, parameters: tuple[Any, ...]) -> list[RunRecord]:
        if self._connection is None:
            return []
        try:
            with self._lock:
                rows = self._connection.execute(query, parameters).fetchall()
        except (sqlite3.Error, OSError) as error:
            self._fail("read", error)
            return []
        records = []
        for row in rows:
            try:
                records.append(record_from_row(row))
            except (ValueError, OSError) as error:
                log.error("skipping unreadable run %s: %s", row[0], error)
        return records

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
