"""README.txt's snippets run as written and give the outputs predictions.json holds: the
Python one against model.keras, the JavaScript one in Node against model.json (served by a
static server, as a page beside the files would load it). Also what metadata.json says."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from exporter.bundle import snippets
from tests.conftest import REPO_ROOT
from tests.export_site import SPECS, read_json, static_server, train_and_export

TOLERANCE = 1e-5
needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not (REPO_ROOT / "node_modules" / "@tensorflow").is_dir(),
    reason="needs node and the npm packages (npm ci) to run tfjs",
)
PROBLEMS = ["playground", "playground-classes", "playground-regression", "fitting",
            "fitting-raw", "mnist", "orientation"]
NEEDS_MNIST = ("mnist", "orientation")  # the orientation export's run trains on digits


@pytest.fixture(scope="module", params=PROBLEMS)
def export(request: pytest.FixtureRequest, live_server: str,
           tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One export per problem, shared by its tests (the run itself is deleted after the
    first: the files are what the tests read)."""
    if request.param in NEEDS_MNIST:
        request.getfixturevalue("mnist")  # skips, saying how to get the data, without it
    folder = tmp_path_factory.mktemp(request.param) / "export"
    train_and_export(live_server, SPECS[request.param], folder)
    return folder


def _last_json_line(stdout: str) -> np.ndarray:
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert lines, "the snippet printed nothing"
    return np.array(json.loads(lines[-1]), dtype=np.float64)


def _expected(folder: Path) -> np.ndarray:
    return np.array(read_json(folder / "predictions.json")["outputs"], dtype=np.float64)


def test_the_python_snippet_gives_the_predictions(export: Path) -> None:
    code = snippets((export / "README.txt").read_text("utf-8"))["snippet.py"]
    env = {"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3", "HOME": str(export)}
    result = subprocess.run([sys.executable, "-c", code], cwd=export, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    got, expected = _last_json_line(result.stdout), _expected(export)
    assert got.shape == expected.shape and len(expected) >= 10
    assert np.max(np.abs(got - expected)) <= TOLERANCE


@needs_node
def test_the_javascript_snippet_gives_the_predictions(export: Path, tmp_path: Path) -> None:
    code = snippets((export / "README.txt").read_text("utf-8"))["snippet.js"]
    script = tmp_path / "snippet.mjs"
    script.write_text(code, "utf-8")
    # Served from a sub-folder: a snippet that loaded "model.json" instead of "./model.json"
    # would fetch its weights from the server's root and fail here.
    with static_server(export.parent) as base:
        result = subprocess.run(
            ["node", str(REPO_ROOT / "tests/node/run_snippet.mjs"), str(script),
             f"{base}/{export.name}/"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    got, expected = _last_json_line(result.stdout), _expected(export)
    assert got.shape == expected.shape
    assert np.max(np.abs(got - expected)) <= TOLERANCE


def test_metadata_says_the_input_shape_dtype_and_epochs(export: Path) -> None:
    metadata = read_json(export / "metadata.json")
    predictions = read_json(export / "predictions.json")
    inputs = metadata["input"]
    assert inputs["dtype"] == "float32" and inputs["shape"][0] is None
    assert inputs["preparation"] and inputs["raw"] and metadata["output"]
    model = read_json(export / "model.json")["modelTopology"]["config"]["layers"][0]
    assert inputs["shape"] == model["config"]["batch_input_shape"]
    assert len(predictions["inputs"]) == len(predictions["outputs"]) >= 10
    if metadata["problem"] == "mnist":
        # Epochs, not batches: 500 images in batches of 50 are 10 batches an epoch.
        assert metadata["epoch"] == metadata["batches"] / 10
        assert metadata["batches"] == 10 and np.array(predictions["inputs"]).shape[1:] == (28, 28)
    elif metadata["problem"] == "orientation":
        # 100 digits in their four turns, in batches of 50: 8 batches an epoch.
        assert metadata["epoch"] == metadata["batches"] / 8 == 1
        assert inputs["shape"] == [None, 28, 28, 1] and metadata["page"]["channels"] == 1
        assert np.array(predictions["inputs"]).shape[1:] == (28, 28)
        assert np.array(predictions["outputs"]).shape[1:] == (4,)
        assert metadata["classes"] == metadata["page"]["classes"] == [
            "up", "right", "down", "left"]
        assert "up, right, down or left, in that order" in metadata["output"]
    else:
        assert isinstance(metadata["epoch"], int) and metadata["epoch"] >= 30
        assert "batches" not in metadata
