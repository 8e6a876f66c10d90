"""What a new user sees on `make run`: the console script's first line is the URL to open,
with no TensorFlow start-up chatter before or after it; beyond loopback, the addresses
learners should use."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from server.terminal import is_chatter, start_lines
from tests.conftest import REPO_ROOT

FIRST_LINE_S = 120.0
CHATTER_SAMPLES = [
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
    b"I0000 00:00:1796298894.519770    4923 port.cc:153] oneDNN custom operations are on. "
    b"You may see slightly different numerical results\n",
    b"2026-01-30 22:44:42.456316: I tensorflow/core/util/port.cc:153] oneDNN custom "
    b"operations are on.\n",
    b"2024-01-11 05:40:05.061907: I tensorflow/core/platform/cpu_feature_guard.cc:182] "
    b"This TensorFlow binary is optimized to use available CPU instructions\n",
    b"To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
    b"TensorFlow with the appropriate compiler flags.\n",
]
KEPT_SAMPLES = [
    b"E0000 00:00:1796298894.519770    4923 cuda.cc:1] failed to initialise\n",
    b"Traceback (most recent call last):\n",
    b"2026-12-03 11:55:07,878 server.runs.store cannot save run abc: disk full\n",
    b"tf-playground: cannot listen on 127.0.0.1:5000: the port is in use\n",
]


def test_chatter_is_told_from_what_matters() -> None:
    assert all(is_chatter(line) for line in CHATTER_SAMPLES)
    assert not any(is_chatter(line) for line in KEPT_SAMPLES)


def test_the_filter_drops_native_chatter_written_to_fd_2_and_keeps_the_rest() -> None:
    """In a process of its own: the filter takes over fd 2, as `serve` does."""
    lines = [*CHATTER_SAMPLES, *KEPT_SAMPLES]
    script = textwrap.dedent(f"""
        import os, sys
        from server.terminal import NativeChatterFilter
        NativeChatterFilter().start()
        for line in {lines!r}:
            os.write(2, line)
        print("from python", file=sys.stderr)
        raise SystemExit("the end")  # written at exit, after main: must still get out
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True,
                            timeout=60, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert result.stderr.decode().splitlines() == [
        *(line.decode().rstrip("\n") for line in KEPT_SAMPLES), "from python", "the end"]


def test_start_lines_say_where_to_open_it() -> None:
    assert start_lines("127.0.0.1", 5000) == [
        "tf-playground: open http://127.0.0.1:5000/ (Ctrl+C stops it)"]
    assert start_lines("::1", 5000)[0] == "tf-playground: open http://[::1]:5000/ (Ctrl+C stops it)"
    assert start_lines("localhost", 80) == [
        "tf-playground: open http://localhost:80/ (Ctrl+C stops it)"]
    # Bound to every address: open it here on loopback; learners use the machine's addresses
    # and the names it was told to answer to.
    assert start_lines("0.0.0.0", 5000, ["classroom.test"],
                       addresses=["192.168.1.20", "10.0.0.5"]) == [
        "tf-playground: open http://127.0.0.1:5000/ (Ctrl+C stops it)",
        "tf-playground: learners open http://192.168.1.20:5000/ or http://10.0.0.5:5000/ "
        "or http://classroom.test:5000/",
    ]
    assert start_lines("192.168.1.20", 8000) == [
        "tf-playground: open http://192.168.1.20:8000/ (Ctrl+C stops it)",
        "tf-playground: learners open http://192.168.1.20:8000/",
    ]
    assert "no network address" in start_lines("::", 5000, addresses=[])[1]


def _console_script() -> str:
    found = shutil.which("tf-playground", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the tf-playground console script is not installed (pip install -e .)")
    return found


def test_the_console_script_prints_one_line_with_the_url_and_no_chatter(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}  # this checkout's code
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a new user's shell has it
    process = subprocess.Popen(
        [_console_script(), "serve", "--port", "0", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        assert process.stdout is not None
        # TensorFlow loads before the line: ~5-20 s, longer on a busy machine.
        # (If it never comes, terminating the process below ends the read.)
        reader = ThreadPoolExecutor(1)
        first = reader.submit(process.stdout.readline).result(timeout=FIRST_LINE_S).decode()
        reader.shutdown(wait=False)
        match = re.fullmatch(r"tf-playground: open (http://127\.0\.0\.1:(\d+)/) "
                             r"\(Ctrl\+C stops it\)\n", first)
        assert match, f"the first line is {first!r}"
        with urllib.request.urlopen(f"{match[1]}api/health", timeout=10) as response:
            assert response.status == 200
        time.sleep(1.0)  # anything printed once it serves (first requests, compilations)
    finally:
        process.terminate()
        rest = process.communicate(timeout=30)[0].decode()
    assert not [line for line in rest.splitlines() if "oneDNN" in line or "absl" in line
                or is_chatter(line.encode())], rest
