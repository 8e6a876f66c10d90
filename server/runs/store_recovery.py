"""A corrupt run store: recognise it, move it aside, read back what can still be read.

A damaged `runs.sqlite3` (a disk fault, a stray write) used to make the server forget every
run and blame disk space or permissions. SQLite says when a file is corrupt; then the
file is renamed with a timestamp (kept for whoever wants to dig further), a new store
starts, and every row that can still be read is copied into it. SQLite's `.recover` lives
in its command-line shell, not in Python's module, so rows are read by walking the table's
rowids: a damaged page fails the reads that land on it, and the walk skips past it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

CORRUPTION_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
# Reads the walk may make (each is one b-tree seek): enough for thousands of damaged pages.
MAX_READS = 100_000
LARGEST_ROWID = 2**63 - 1


class CorruptStoreError(sqlite3.DatabaseError):
    """`PRAGMA quick_check` found damage that no statement has tripped over yet."""

    sqlite_errorcode = sqlite3.SQLITE_CORRUPT


def is_corruption(error: BaseException) -> bool:
    """Does this SQLite error say the file is damaged (rather than locked, full, read-only)?"""
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(error, sqlite3.DatabaseError) and code is not None and (
        code & 0xFF in CORRUPTION_CODES)


def check_integrity(connection: sqlite3.Connection) -> None:
    """Raise `CorruptStoreError` if a quick check of every page finds damage."""
    problems = [row[0] for row in connection.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise CorruptStoreError(f"database disk image is malformed ({problems[0]})")


def move_aside(path: Path, when: datetime) -> Path:
    """Rename the store (and its write-ahead log) to `<name>.corrupt-<timestamp>`."""
    stamp = when.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    serial = 1
    while target.exists():
        serial += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{serial}")
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.replace(companion, target.with_name(target.name + suffix))
    return target


def _first_row_after(connection: sqlite3.Connection, rowid: int) -> tuple | None:
    return connection.execute("SELECT rowid, * FROM runs WHERE rowid > ? ORDER BY rowid LIMIT 1",
                              (rowid,)).fetchone()


class _Walk:
    """The rows of `runs` in rowid order, skipping whatever cannot be read."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.reads = 0

    def read(self, after: int) -> tuple[bool, tuple | None]:
        """(whether the read worked, the first row after `after` or None at the end)."""
        self.reads += 1
        try:
            return True, _first_row_after(self.connection, after)
        except sqlite3.DatabaseError:
            return False, None

    def rows(self) -> list[tuple]:
        found: list[tuple] = []
        after = 0
        while self.reads < MAX_READS:
            worked, row = self.read(after)
            if not worked:
                after = self._past_damage(after)
                if after >= LARGEST_ROWID:
                    break
                continue
            if row is None:
                break
            found.append(row[1:])
            after = row[0]
        return found

    def _past_damage(self, failed: int) -> int:
        """The smallest rowid after `failed` from which reads work again: leap ahead by
        doubling steps, then bisect back so no readable row past the damage is skipped."""
        step = 1
        low = failed  # reads from here fail
        while self.reads < MAX_READS:
            high = min(failed + step, LARGEST_ROWID)
            if self.read(high)[0]:
                break
            low = high
            if high == LARGEST_ROWID:
                return LARGEST_ROWID
            step *= 2
        else:
            return LARGEST_ROWID
        while high - low > 1 and self.reads < MAX_READS:
            middle = (low + high) // 2
            if self.read(middle)[0]:
                high = middle
            else:
                low = middle
        return high


def _count_runs(connection: sqlite3.Connection) -> int | None:
    """How many runs the file held, from the id index (a separate b-tree); None if damaged."""
    try:
        return connection.execute(
            "SELECT count(*) FROM runs INDEXED BY sqlite_autoindex_runs_1").fetchone()[0]
    except sqlite3.DatabaseError:
        return None


def recover_rows(path: Path, usable: Callable[[tuple], Any]) -> tuple[list[tuple], int | None]:
    """Rows of the damaged store at `path` that can be read and pass `usable` (which raises
    for a row it cannot use), and the number of runs the file held if that can be told."""
    companions = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    created = [companion for companion in companions if not companion.exists()]
    try:
        # Read-only: the damaged file is evidence, and no checkpoint may write into it.
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return [], None
    try:
        rows = _Walk(connection).rows()
        total = _count_runs(connection)
    except sqlite3.DatabaseError:  # not a database at all: nothing to read
        return [], None
    finally:
        connection.close()
        for companion in created:  # SQLite's read-only WAL bookkeeping, not the evidence
            companion.unlink(missing_ok=True)
    kept = []
    for row in rows:
        try:
            usable(row)
        except (ValueError, TypeError, OSError, IndexError):
            continue
        kept.append(row)
    return kept, total
