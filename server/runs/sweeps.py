"""Sweeps: one base spec, one or two of its settings varied, one ordinary run per combination.

A sweep is only a named list of runs and the settings each one differs by; its runs
are made, trained, streamed, stored and exported like any other run, so nothing
here knows which problem they are. What this module checks is the sweep's own
shape (`vary` holds one or two fields, each a list of distinct values, and the
combinations stay within `MAX_SWEEP_RUNS`); whether a value suits its field is
the problem's own `parse_spec`'s word.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from server.values import SpecError

MAX_SWEEP_RUNS = 16  # a 4 × 4 grid; each run also counts against the server's --max-runs
MAX_VARIED = 2  # one field: a row of maps; two: rows × columns
MAX_SWEEPS = 1_000  # kept in memory and the store; the oldest goes first
MAX_VALUE_CHARS = 2_000  # one varied value's JSON (a layer list is long, a learning rate short)


def _json_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def combinations(vary: Any, *, max_runs: int = MAX_SWEEP_RUNS) -> list[dict[str, Any]]:
    """Every combination of the varied values, the first field's slowest (row by row).

    `SpecError` names `vary` or `vary.<field>` with why the sweep cannot be made.
    """
    if not isinstance(vary, dict) or not vary:
        raise SpecError("vary", "must be an object of one or two fields, each with a list "
                                'of values, e.g. {"learningRate": [0.01, 0.1, 1]}')
    if len(vary) > MAX_VARIED:
        raise SpecError("vary", f"at most {MAX_VARIED} fields can vary at once, got {len(vary)}")
    fields: list[str] = []
    value_lists: list[list[Any]] = []
    for name, values in vary.items():
        where = f"vary.{name}"
        if name == "problem":
            raise SpecError(where, "a sweep's runs are all of one problem; choose it in base")
        if not isinstance(values, list) or not values:
            raise SpecError(where, "must be a non-empty list of values")
        seen = set()
        for value in values:
            key = _json_key(value)
            if len(key) > MAX_VALUE_CHARS:
                raise SpecError(where, f"a value is over {MAX_VALUE_CHARS} characters")
            if key in seen:
                raise SpecError(where, f"{key} is listed twice")
            seen.add(key)
        if len(values) > max_runs:
            raise SpecError(where, f"at most {max_runs} runs in a sweep, got {len(values)} values")
        fields.append(str(name))
        value_lists.append(values)
    count = 1
    for values in value_lists:
        count *= len(values)
    if count > max_runs:
        sizes = " × ".join(str(len(values)) for values in value_lists)
        raise SpecError("vary", f"at most {max_runs} runs in a sweep, got {sizes} = {count}")
    return [dict(zip(fields, combo, strict=True)) for combo in itertools.product(*value_lists)]


@dataclass
class Sweep:
    """A sweep as the API shows it and the store keeps it."""

    id: str
    problem: str
    base: dict[str, Any]
    vary: dict[str, list[Any]]
    runs: list[dict[str, Any]]  # [{id, settings}] in `combinations` order
    created_at: float = field(default_factory=time.time)

    @staticmethod
    def new(problem: str, base: dict[str, Any], vary: dict[str, list[Any]],
            runs: list[dict[str, Any]]) -> Sweep:
        return Sweep(secrets.token_urlsafe(12), problem, base, vary, runs)

    @property
    def run_ids(self) -> list[str]:
        return [entry["id"] for entry in self.runs]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "problem": self.problem, "createdAt": self.created_at,
                "base": self.base, "vary": self.vary,
                "runs": [dict(entry) for entry in self.runs]}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Sweep:
        return Sweep(data["id"], data["problem"], data["base"], data["vary"], data["runs"],
                     data["createdAt"])


class SweepBook:
    """Every sweep: in memory (they are small), saved in the run store as they change.

    A store that cannot be read or written costs nothing but the sweep's survival of a
    restart; its runs are saved (or not) as every run is.
    """

    def __init__(self, store: Any | None = None) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._sweeps: dict[str, Sweep] = {}
        if store is not None:
            for data in store.sweeps():
                try:
                    sweep = Sweep.from_json(data)
                except (KeyError, TypeError):
                    continue
                self._sweeps[sweep.id] = sweep

    def add(self, sweep: Sweep) -> None:
        with self._lock:
            self._sweeps[sweep.id] = sweep
            while len(self._sweeps) > MAX_SWEEPS:  # the oldest sweep is forgotten, not its runs
                oldest = min(self._sweeps.values(), key=lambda s: s.created_at)
                del self._sweeps[oldest.id]
                if self._store is not None:
                    self._store.delete_sweep(oldest.id)
        if self._store is not None:
            self._store.save_sweep(sweep.id, sweep.created_at, sweep.to_json())

    def get(self, sweep_id: str) -> Sweep | None:
        with self._lock:
            return self._sweeps.get(sweep_id)

    def all(self) -> list[Sweep]:
        with self._lock:
            return sorted(self._sweeps.values(), key=lambda s: s.created_at)

    def remove(self, sweep_id: str) -> Sweep | None:
        with self._lock:
            sweep = self._sweeps.pop(sweep_id, None)
        if sweep is not None and self._store is not None:
            self._store.delete_sweep(sweep_id)
        return sweep
