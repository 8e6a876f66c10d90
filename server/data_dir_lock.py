"""One server per data directory: two on the same `runs.sqlite3` overwrite each other's runs
(each saves its own copy of a run every few seconds, and deletes what the other made).

The lock is `flock` on `<data dir>/server.lock`, so the kernel releases it when the process
ends, even by `kill -9`: no stale lock to clean up. The file holds the owner's pid for the
message the second server prints.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: no flock; the server runs unlocked there
    fcntl = None  # type: ignore[assignment]

LOCKING_SUPPORTED = fcntl is not None

LOCK_FILE_NAME = "server.lock"


class DataDirInUseError(RuntimeError):
    """Another server holds the data directory."""


class DataDirLock:
    """An exclusive, non-blocking lock on a data directory, held until `release`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_FILE_NAME
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> None:
        """Take the lock; `DataDirInUseError` if another process has it, `OSError` if the
        directory cannot hold a lock file (the run store reports that case)."""
        if fcntl is None or self._file is not None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # stays open while the lock is held
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            handle.close()
            raise DataDirInUseError(
                f"another tf-playground server (pid {owner}) is using the data directory "
                f"{self.data_dir}; stop it, or give this one its own --data-dir") from None
        except OSError:
            handle.close()
            raise
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is None:
            return
        try:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        finally:
            self._file.close()
            self._file = None


def check_data_dir_free(data_dir: Path) -> None:
    """Raise `DataDirInUseError` now if another server holds `data_dir`: the CLI asks before
    it loads TensorFlow, so a second server gives up in a moment rather than seconds."""
    probe = DataDirLock(data_dir)
    try:
        probe.acquire()
    except OSError:
        return  # not a usable directory: the run store reports why
    probe.release()
