"""The exports kept under the data directory (`exports/<run id>.zip`), and their upkeep.

An export is written to a temporary file and renamed, so a reader never sees half a zip;
a `kill -9` mid-write leaves that temporary file behind (hundreds of MB for an MNIST
model), and a deleted run used to leave its zip. So a zip goes with its run, and at start
the server removes temporary files and the zips of runs it no longer has.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# What `write_bytes_atomic` names its temporary files: `.<id>.zip.<random>.tmp`.
TEMPORARY_PATTERN = ".*.tmp"


@dataclass(frozen=True)
class Sweep:
    """What the start-up sweep removed."""

    temporary_files: int = 0
    orphan_zips: int = 0
    bytes_freed: int = 0


class ExportFolder:
    """`exports/` under the data directory. File names are server-made run ids only."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "exports"

    def zip_path(self, run_id: str) -> Path:
        return self.folder / f"{run_id}.zip"

    def remove(self, run_id: str) -> None:
        """Delete a run's kept export (the run is being deleted)."""
        try:
            self.zip_path(run_id).unlink(missing_ok=True)
        except OSError as error:
            log.error("cannot delete the export of %s: %s", run_id, error)

    def sweep(self, known_run_ids: Collection[str] | None) -> Sweep:
        """Remove temporary files left by writes that never finished, and, when the run ids
        are known for sure (`known_run_ids` not None), zips of runs that no longer exist.

        Only the server holding the data directory's lock may call this: another server's
        temporary file would be a write in progress.
        """
        if not self.folder.is_dir():
            return Sweep()
        temporary = list(self.folder.glob(TEMPORARY_PATTERN))
        orphans = [] if known_run_ids is None else [
            path for path in self.folder.glob("*.zip") if path.stem not in known_run_ids]
        freed = 0
        removed: set[Path] = set()
        for path in [*temporary, *orphans]:
            try:
                size = path.stat().st_size
                path.unlink()
            except OSError as error:
                log.error("cannot remove %s: %s", path, error)
                continue
            freed += size
            removed.add(path)
        sweep = Sweep(temporary_files=len(removed.intersection(temporary)),
                      orphan_zips=len(removed.intersection(orphans)), bytes_freed=freed)
        if removed:
            log.info("removed %d unfinished export file(s) and %d export(s) of deleted runs "
                     "(%s bytes) from %s", sweep.temporary_files, sweep.orphan_zips,
                     f"{freed:,}", self.folder)
        return sweep
