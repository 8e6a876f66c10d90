"""Leaks and faults on disk and at start-up: temporary files, exports of deleted runs, a corrupt
store, two servers on one data directory, a port in use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

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
