"""Every run's scalars and settings as TensorBoard event files: `tensorboard --logdir DIR`.

One thread writes for every run: a few times a second it reads each run in memory
whose epoch moved (`Run.epoch`, `Job.metrics()`, both read by requests already) and
appends its numbers to `<data-dir>/tensorboard/<run id>/events.out.tfevents.*`.
Training never waits for it or for the disk, and what it writes does not depend on
the problem: every number a run's metrics hold becomes a scalar (`trainLoss` →
`loss/train`, `testAccuracy` → `accuracy/test`, `learningRate` as it is), and the
run's spec becomes its HParams, so TensorBoard's HParams dashboard compares a sweep.

The events are TensorBoard's own protocol buffers written with its record writer
(`tensorboard.summary.writer.record_writer`); nothing here imports TensorFlow.
"""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.hparams.summary_v2 import hparams_pb
from tensorboard.summary.writer.record_writer import RecordWriter

log = logging.getLogger(__name__)

WRITE_PERIOD_S = 0.5  # each run's scalars at most twice a second
CLOSE_AFTER_S = 30.0  # a run whose epoch has not moved for this long gives its file back
_TRAIN_OR_TEST = re.compile(r"^(train|test)([A-Z]\w*)$")
ENDED_STATES = {"diverged": api_pb2.STATUS_FAILURE, "finished": api_pb2.STATUS_SUCCESS,
                "stopped": api_pb2.STATUS_SUCCESS}


class LoggedRun(Protocol):
    """What the log reads of a run (a `server.runs.run.Run`)."""

    id: str
    kind: str
    created_at: float

    @property
    def epoch(self) -> int: ...

    @property
    def state(self) -> str: ...

    def public_spec(self) -> dict[str, Any]: ...

    @property
    def job(self) -> Any: ...


def scalar_tag(metric: str) -> str:
    """`trainLoss` → `loss/train`: TensorBoard draws a section per prefix, train beside test."""
    match = _TRAIN_OR_TEST.match(metric)
    if match is None:
        return metric
    split, name = match.groups()
    return f"{name[0].lower()}{name[1:]}/{split}"


def scalars(metrics: dict[str, Any]) -> dict[str, float]:
    """The finite numbers among a run's metrics, under their TensorBoard tags."""
    out = {}
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if math.isfinite(value):
            out[scalar_tag(key)] = float(value)
    return out


def hparams_of(kind: str, spec: dict[str, Any]) -> dict[str, bool | float | str]:
    """A spec as HParams: numbers, booleans and strings as they are, anything else as JSON;
    `plugin` is the run's problem (a spec's own `problem` can mean something else)."""
    out: dict[str, bool | float | str] = {"plugin": kind}
    for key, value in spec.items():
        if value is None:
            continue
        if isinstance(value, bool | str):
            out[key] = value
        elif isinstance(value, int | float):
            out[key] = float(value)
        else:
            out[key] = json.dumps(value, separators=(",", ":"))
    return out


def _session_end(status: int) -> summary_pb2.Summary:
    """HParams' "session end" (TensorBoard's own helper for it needs TensorFlow)."""
    data = plugin_data_pb2.HParamsPluginData(session_end_info=plugin_data_pb2.SessionEndInfo(
        status=status, end_time_secs=time.time()))
    summary = summary_pb2.Summary()
    summary.value.add(tag=hparams_metadata.SESSION_END_INFO_TAG,
                      metadata=hparams_metadata.create_summary_metadata(data),
                      tensor=hparams_metadata.NULL_TENSOR)
    return summary


@dataclass
class _OpenLog:
    file: BinaryIO
    writer: RecordWriter
    moved_at: float = 0.0  # when it last had something new


@dataclass
class _Written:
    """What has been written of a run (kept while it is in memory, its file open or not)."""

    epoch: int = -1
    ended: bool = False  # its session end is written


class TensorBoardLog:
    """The writer thread and one open event file per run that trains."""

    def __init__(self, folder: Path, runs: Callable[[], list[LoggedRun]], *,
                 period_s: float = WRITE_PERIOD_S) -> None:
        self.folder = folder
        self._runs = runs
        self._period_s = period_s
        self._open: dict[str, _OpenLog] = {}
        self._written: dict[str, _Written] = {}
        self._lock = threading.Lock()  # a round, or a forget, at a time
        self._failed: set[str] = set()  # runs whose folder cannot be written: not retried
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tensorboard-log", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def run_folder(self, run_id: str) -> Path:
        """Where a run's event files are (its id is made by the server, never a request)."""
        return self.folder / run_id

    def _loop(self) -> None:
        from server.runs.run import lower_priority  # the training threads' priority

        lower_priority()
        while not self._stop.wait(self._period_s):
            try:
                self.write_round()
            except Exception:  # a bug here must not end the log for every later run
                log.exception("writing TensorBoard events failed")

    def write_round(self) -> None:
        """Write what moved since the last round; close files that have been quiet."""
        now = time.monotonic()
        with self._lock:
            runs = self._runs()
            for run in runs:
                if run.id not in self._failed:
                    self._write(run, now)
            if len(self._written) > len(runs):  # runs gone from memory: forget their marks
                present = {run.id for run in runs}
                for run_id in [i for i in self._written if i not in present]:
                    del self._written[run_id]
            for run_id, entry in list(self._open.items()):
                if now - entry.moved_at > CLOSE_AFTER_S:
                    self._close(run_id)
                else:
                    entry.file.flush()

    def _write(self, run: LoggedRun, now: float) -> None:
        epoch, state = run.epoch, run.state
        written = self._written.setdefault(run.id, _Written())
        if written.epoch == -1 and epoch == 0 and state not in ENDED_STATES:
            return  # nothing trained yet: no file for a run that may never train
        new_epoch = epoch != written.epoch
        ending = state in ENDED_STATES and not written.ended
        if not (new_epoch or ending):
            return
        try:
            entry = self._open.get(run.id)
            if entry is None:
                entry = self._open[run.id] = self._open_log(run)
            if new_epoch:
                self._add(entry, summary=self._scalar_summary(run.job.metrics()), step=epoch)
                written.epoch = epoch
            if ending:
                self._add(entry, summary=_session_end(ENDED_STATES[state]), step=epoch)
                written.ended = True
            entry.moved_at = now
        except OSError as error:
            log.error("cannot write TensorBoard events for run %s: %s", run.id, error)
            self._failed.add(run.id)
            self._close(run.id)

    def _open_log(self, run: LoggedRun) -> _OpenLog:
        """The run's event file, appended to; a new one starts with the run's HParams."""
        folder = self.run_folder(run.id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"events.out.tfevents.{int(run.created_at):010d}.tf-playground"
        new = not path.exists() or path.stat().st_size == 0
        file = path.open("ab")
        entry = _OpenLog(file, RecordWriter(file))
        if new:
            self._add(entry, file_version="brain.Event:2", step=0)
            self._add(entry, summary=hparams_pb(hparams_of(run.kind, run.public_spec()),
                                                trial_id=run.id,
                                                start_time_secs=run.created_at), step=0)
        return entry

    @staticmethod
    def _scalar_summary(metrics: dict[str, Any]) -> summary_pb2.Summary:
        summary = summary_pb2.Summary()
        for tag, value in scalars(metrics).items():
            summary.value.add(tag=tag, simple_value=value)
        return summary

    @staticmethod
    def _add(entry: _OpenLog, *, step: int, **fields: Any) -> None:
        event = event_pb2.Event(wall_time=time.time(), step=step, **fields)
        entry.writer.write(event.SerializeToString())

    def _close(self, run_id: str) -> None:
        entry = self._open.pop(run_id, None)
        if entry is not None:
            try:
                entry.file.close()
            except OSError as error:
                log.error("cannot close TensorBoard events for run %s: %s", run_id, error)

    def flush(self) -> None:
        """Write a round now (tests and shutdown: what the runs hold is on disk)."""
        self.write_round()

    def forget(self, run_id: str) -> None:
        """A deleted run: its file closed and its folder removed."""
        with self._lock:
            self._close(run_id)
            self._failed.discard(run_id)
            self._written.pop(run_id, None)
            shutil.rmtree(self.run_folder(run_id), ignore_errors=True)

    def close(self) -> None:
        """Stop the thread, write what is left and close every file."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        try:
            self.write_round()
        except Exception:
            log.exception("writing TensorBoard events failed")
        with self._lock:
            for run_id in list(self._open):
                self._close(run_id)
