"""Waiting for a condition in tests: poll it until it holds (and return what it gave)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, every: float = 0.02) -> Any:
    """Poll `condition` until it returns something true; AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(every)
    raise AssertionError("condition not met in time")
