"""What the browser tests' page drivers share: the console errors and API requests a page
sends, polling for a condition, and plain HTTP calls to the server.

The pages run under the server's Content-Security-Policy, which forbids string
evaluation, so Playwright's `wait_for_function` (it evals its predicate) cannot be
used; `PageDriver.wait_until` polls with `page.evaluate` instead.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

from playwright.sync_api import ConsoleMessage, Page, Request

T = TypeVar("T")


def http_json(url: str, method: str = "GET", body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def http_bytes(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


class PageDriver:
    """A page under test, with the API requests it sends and the console errors it logs."""

    #: seconds `wait_until` waits by default
    wait_timeout: float = 20.0

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        self.requests: list[tuple[str, str, Any]] = []
        page.set_default_timeout(30_000)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("request", self._on_request)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")

    def _on_request(self, request: Request) -> None:
        if "/api/" not in request.url:
            return
        body = request.post_data
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = body
        self.requests.append((request.method, request.url.removeprefix(self.base_url), parsed))

    def api_requests(self, method: str, pattern: str) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] == method and re.fullmatch(pattern, r[1])]

    def wait_until(self, condition: Callable[[], T], timeout: float | None = None,
                   message: str = "condition") -> T:
        """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
        timeout = self.wait_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:g} s waiting for {message}")
            self.page.wait_for_timeout(50)
