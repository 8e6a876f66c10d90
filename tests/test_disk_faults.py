"""Leaks and faults on disk and at start-up: temporary files, exports of deleted runs, a corrupt
store, two servers on one data directory, a port in use."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.app import create_app, shutdown
from server.config import Config
from server.data_dir_lock import DataDirInUseError
from tests.conftest import REPO_ROOT


def _serve_and_fail(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `tf-playground serve ARGS` expecting it to give up; its exit code and output."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", *args], cwd=REPO_ROOT, text=True,
        capture_output=True, timeout=timeout, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = _serve_and_fail("--port", str(port), "--data-dir", str(tmp_path), timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{port}" in lines[0] and "in use" in lines[0] and "--port" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def _wait(condition: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return value


@pytest.fixture
def saved_runs(tmp_path: Path) -> list[str]:
    """Eight paused runs saved in `tmp_path` by a server that then shut down, each exported."""
    app = create_app(Config(data_dir=tmp_path, warm_up=False))
    client = app.test_client()
    try:
        ids = [client.post("/api/runs?state=paused", json={"seed": f"0.{i}"}).get_json()["id"]
               for i in range(8)]
        for run_id in ids:
            assert client.get(f"/api/runs/{run_id}/export.zip").status_code == 200
    finally:
        shutdown(app)
    return ids


# -- temporary files and exports --------------------------------------------------------------

def test_unfinished_exports_and_zips_of_deleted_runs_are_removed_at_start(
        tmp_path: Path, saved_runs: list[str]) -> None:
    exports = tmp_path / "exports"
    unfinished = exports / f".{saved_runs[0]}.zip.k3j2l1.tmp"  # a kill -9 mid-write left it
    unfinished.write_bytes(b"\0" * 1_000_000)
    deleted_runs_zip = exports / "AAAAAAAAAAAAAAAAAAAAAA.zip"
    deleted_runs_zip.write_bytes(b"PK")
    app = create_app(Config(data_dir=tmp_path, warm_up=False))
    try:
        assert not unfinished.exists() and not deleted_runs_zip.exists()
        assert sorted(p.name for p in exports.iterdir()) == sorted(f"{i}.zip" for i in saved_runs)
    finally:
        shutdown(app)


def test_deleting_a_run_deletes_its_kept_export(client: FlaskClient, app: Flask) -> None:
    run = client.post("/api/runs?state=paused", json={}).get_json()
    kept = app.extensions["exports"].zip_path(run["id"])
    assert client.get(f"/api/runs/{run['id']}/export.zip").status_code == 200 and kept.exists()
    assert client.delete(f"/api/runs/{run['id']}").status_code == 204
    assert not kept.exists()


# -- a corrupt store ---------------------------------------------------------------------------

def _table_leaf_pages(path: Path) -> list[int]:
    """Offsets of the file's b-tree table leaf pages (type 0x0D) that hold cells."""
    data = path.read_bytes()
    page_size = int.from_bytes(data[16:18], "big")
    offsets = []
    for start in range(page_size, len(data), page_size):  # page 1 is the schema
        if data[start] == 0x0D and int.from_bytes(data[start + 3:start + 5], "big") > 0:
            offsets.append(start)
    return offsets


def _health(app: Flask) -> dict[str, Any]:
    return app.test_client().get("/api/health").get_json()


def test_a_store_that_is_not_a_database_is_moved_aside_and_a_new_one_started(
        tmp_path: Path) -> None:
    (tmp_path / "runs.sqlite3").write_bytes(b"this is not what SQLite wrote " * 1000)
    app = create_app(Config(data_dir=tmp_path, warm_up=False))
    try:
        health = _health(app)
        notice = health["store"]["notice"]
        assert health["store"]["ok"] and health["store"]["error"] is None
        assert "corrupt" in notice and "not a database" in notice
        assert "disk space" not in notice and "permissions" not in notice
        (moved,) = tmp_path.glob("runs.sqlite3.corrupt-*")
        assert re.fullmatch(r"runs\.sqlite3\.corrupt-\d{8}-\d{6}", moved.name)
        assert str(moved) in notice
        assert moved.read_bytes().startswith(b"this is not what SQLite wrote")
        client = app.test_client()
        run = client.post("/api/runs?state=paused", json={}).get_json()
    finally:
        shutdown(app)
    again = create_app(Config(data_dir=tmp_path, warm_up=False))
    try:
        assert [s["id"] for s in again.extensions["runs"].summaries()] == [run["id"]]
        assert _health(again)["store"]["notice"] is None
    finally:
        shutdown(again)


def test_a_damaged_page_loses_only_its_runs_the_rest_are_recovered(
        tmp_path: Path, saved_runs: list[str], caplog: pytest.LogCaptureFixture) -> None:
    store = tmp_path / "runs.sqlite3"
    leaves = _table_leaf_pages(store)
    assert len(leaves) >= 3, "the runs should span several pages"
    with store.open("r+b") as file:  # a stray write over one page in the middle
        file.seek(leaves[len(leaves) // 2])
        file.write(b"\xff" * 4096)
    with contextlib.closing(sqlite3.connect(store)) as db:
        try:  # SQLite reports the damage, or refuses to read past it
            check = db.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError as error:
            check = (str(error),)
        assert check != ("ok",)
    app = create_app(Config(data_dir=tmp_path, warm_up=False))
    try:
        restored = {s["id"] for s in app.extensions["runs"].summaries()}
        assert 0 < len(restored) < len(saved_runs) and restored <= set(saved_runs)
        notice = _health(app)["store"]["notice"]
        assert f"{len(restored)} of its {len(saved_runs)} runs were recovered" in notice
        assert "malformed" in notice and any(notice in r.getMessage() for r in caplog.records)
        client = app.test_client()
        some = next(iter(restored))
        assert client.get(f"/api/runs/{some}/export.zip").status_code == 200
        # What could not be read is kept aside, not deleted; nor are its exports.
        assert len(list(tmp_path.glob("runs.sqlite3.corrupt-*"))) == 1
        assert len(list((tmp_path / "exports").glob("*.zip"))) == len(saved_runs)
    finally:
        shutdown(app)
    with contextlib.closing(sqlite3.connect(store)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


# -- one server per data directory -------------------------------------------------------------

def test_a_second_server_on_the_same_data_directory_exits_with_one_line(tmp_path: Path) -> None:
    first = create_app(Config(data_dir=tmp_path, warm_up=False))
    try:
        with pytest.raises(DataDirInUseError, match="another tf-playground server"):
            create_app(Config(data_dir=tmp_path, warm_up=False))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        result = _serve_and_fail("--port", str(port), "--data-dir", str(tmp_path), timeout=60)
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert str(tmp_path) in lines[0] and f"pid {os.getpid()}" in lines[0]
        assert "--data-dir" in lines[0]
    finally:
        shutdown(first)
    second = create_app(Config(data_dir=tmp_path, warm_up=False))  # free once the first ends
    shutdown(second)
