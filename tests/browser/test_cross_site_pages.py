"""In Chromium: another site's form creates no run, a rebound host name reads nothing, and the
playground works when reached by the server's own address or an --allowed-host name.

Chromium's `--host-resolver-rules` gives the names: `rebind.test` resolves to 127.0.0.1 as an
attacker's name does once rebound, `classroom.test` to the classroom server's address (a
second loopback address stands in for it).
"""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserType, Page

from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.playground_page import Playground
from tests.conftest import CLASSROOM_NAME, SECOND_LOOPBACK
from tests.sse import call

HOST_RULES = (f"--host-resolver-rules=MAP rebind.test 127.0.0.1, "
              f"MAP {CLASSROOM_NAME} {SECOND_LOOPBACK}")


@pytest.fixture(scope="module")
def named_browser(browser_type: BrowserType,
                  browser_type_launch_args: dict[str, Any]) -> Iterator[Browser]:
    browser = browser_type.launch(**{**browser_type_launch_args,
                                     "args": [*CHROMIUM_ARGS, HOST_RULES]})
    yield browser
    browser.close()


@pytest.fixture
def named_page(named_browser: Browser) -> Iterator[Page]:
    context = named_browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def _serve_page(html: str) -> tuple[http.server.HTTPServer, str]:
    """Another site: one page on another port of this machine."""

    class OnePage(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), OnePage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


def test_another_sites_form_creates_no_run(named_page: Page, live_server: str) -> None:
    # No JavaScript: a form whose text/plain body happens to read as JSON.
    html = (f'<form method="POST" action="{live_server}/api/runs" enctype="text/plain">'
            '<input type="hidden" name=\'{"dataset": "xor", "pad": "\' value=\'"}\'>'
            '<button id="go">go</button></form>')
    before = len(call(live_server, "GET", "/api/runs")["runs"])
    server, url = _serve_page(html)
    try:
        named_page.goto(url)
        with named_page.expect_response(re.compile(r".*/api/runs$")) as answer:
            named_page.click("#go")
        assert answer.value.status in (403, 415)
        assert answer.value.json()["field"] in ("Origin", "Sec-Fetch-Site", "Content-Type")
    finally:
        server.shutdown()
    assert len(call(live_server, "GET", "/api/runs")["runs"]) == before


def test_a_rebound_name_gets_421_and_no_runs(named_page: Page, live_server: str) -> None:
    run = call(live_server, "POST", "/api/runs?state=paused", {})
    port = live_server.rsplit(":", 1)[1]
    for path in ("/", "/api/runs", f"/api/runs/{run['id']}"):
        response = named_page.goto(f"http://rebind.test:{port}{path}")
        assert response is not None and response.status == 421
        assert run["id"] not in response.text()


@pytest.mark.parametrize("name", [SECOND_LOOPBACK, CLASSROOM_NAME])
def test_the_playground_works_by_address_and_by_allowed_name(
        named_page: Page, classroom_server: int, name: str) -> None:
    pg = Playground(named_page, f"http://{name}:{classroom_server}")
    pg.open()
    assert pg.run_state() == "paused" and pg.run_id

    def patch_to(state: str) -> Any:
        def answered(response: Any) -> bool:
            request = response.request
            return request.method == "PATCH" and f'"{state}"' in (request.post_data or "")
        return answered

    with named_page.expect_response(patch_to("running")) as started:
        named_page.click("#play-pause")
    assert started.value.status == 200
    pg.wait_until(lambda: pg.epoch() > 0, message="training to show")
    with named_page.expect_response(patch_to("paused")) as paused:
        named_page.click("#play-pause")
    assert paused.value.status == 200 and pg.run_state() == "paused"
    assert pg.errors == [], "the page logged errors:\n" + "\n".join(pg.errors)
