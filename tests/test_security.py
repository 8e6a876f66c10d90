"""What the pages and the server promise about safety."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from server.cli import _parser
from tests.conftest import REPO_ROOT

INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<[^>]*\sstyle\s*=|<style", re.IGNORECASE)


def test_pages_have_no_inline_handlers_scripts_or_styles() -> None:
    pages = sorted((REPO_ROOT / "web").glob("*.html"))
    assert pages, "no pages found"
    for page in pages:
        html = page.read_text()
        assert not INLINE_HANDLER.search(html), page.name
        assert not INLINE_SCRIPT.search(html), page.name
        assert not INLINE_STYLE.search(html), page.name


def test_every_response_carries_the_policy_headers(client: FlaskClient) -> None:
    for path in ("/", "/api/catalog", "/api/runs/none", "/js/features.js"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self' 'wasm-unsafe-eval'" in policy
        assert "unsafe-inline" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_server_binds_to_this_machine_unless_told_otherwise() -> None:
    assert _parser().parse_args(["serve"]).host == "127.0.0.1"
