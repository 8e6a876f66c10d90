"""A run's model, as the API serves it, computes in TensorFlow.js what the run's weights compute."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient

from tests.conftest import REPO_ROOT

ACTIVATIONS = {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0),
               "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "linear": lambda v: v}


def _features_in_node(points: np.ndarray, keys: list[str]) -> np.ndarray:
    """The page's feature twin (web/js/features.js) computes the model's inputs."""
    script = (
        "import {featureMatrix} from './web/js/features.js';"
        "const [pts, keys] = JSON.parse(process.argv[1]);"
        "process.stdout.write(JSON.stringify(Array.from(featureMatrix(pts, keys))));"
    )
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps([points.tolist(), keys])],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )
    return np.array(json.loads(out.stdout), np.float32).reshape(len(points), len(keys))


def _forward(weights: list[Any], inputs: np.ndarray, hidden: str, output: str) -> np.ndarray:
    h = inputs.astype(np.float64)
    for i, (kernel, bias) in enumerate(weights):
        act = ACTIVATIONS[output if i == len(weights) - 1 else hidden]
        h = act(h @ np.array(kernel) + np.array(bias))
    return h


def test_the_served_model_predicts_like_the_snapshot_weights(client: FlaskClient,
                                                             tmp_path: Path) -> None:
    spec = {"networkShape": [5, 3], "activation": "relu", "xSquared": True, "sinY": True,
            "problem": "regression", "regDataset": "reg-gauss", "learningRate": 0.01}
    run = client.post("/api/runs", json=spec).get_json()
    deadline = time.monotonic() + 30
    while client.get(f"/api/runs/{run['id']}").get_json()["epoch"] < 50:
        assert time.monotonic() < deadline, "the run did not train"
        time.sleep(0.05)
    client.patch(f"/api/runs/{run['id']}", json={"state": "paused"})
    (tmp_path / "model.json").write_bytes(client.get(run["modelUrl"]).data)
    (tmp_path / "group1-shard1of1.bin").write_bytes(
        client.get(f"/api/runs/{run['id']}/group1-shard1of1.bin").data)

    grid = np.random.default_rng(0).uniform(-6, 6, (200, 2))
    inputs = _features_in_node(grid, run["setup"]["features"])
    (tmp_path / "inputs.json").write_text(json.dumps(inputs.tolist()))
    subprocess.run(
        ["node", str(REPO_ROOT / "tests/node/predict_layers_model.mjs"), str(tmp_path),
         str(tmp_path / "inputs.json"), str(tmp_path / "out.json")],
        cwd=REPO_ROOT, check=True, capture_output=True,
    )
    in_browser = np.array(json.loads((tmp_path / "out.json").read_text())["outputs"][0])

    live = client.application.extensions["runs"].get(run["id"])
    _, weights = live.job.latest_weights()
    pairs = [(weights[i], weights[i + 1]) for i in range(0, len(weights), 2)]
    expected = _forward(pairs, inputs, "relu", "linear")
    assert np.max(np.abs(in_browser - expected)) <= 1e-5
    assert run["setup"]["features"] == ["x", "y", "xSquared", "sinY"]


# Every activation and every optimizer (issue 16): each pair trains, and the served model —
# with its LeakyReLU or Dropout layers and a softmax output for many classes — computes in
# TensorFlow.js what the same weights compute in Keras.
TRAINED_KINDS = [
    ("relu", "sgd", {}),
    ("tanh", "momentum", {}),
    ("sigmoid", "adam", {}),
    ("linear", "rmsprop", {}),
    ("leakyRelu", "adam", {}),
    ("elu", "momentum", {"dataset": "blobs3"}),
    ("swish", "rmsprop", {"dropout": 0.3}),
    ("softplus", "sgd", {"dataset": "spiral3", "dropout": 0.1}),
]


def _predict_in_node(tmp_path: Path, inputs: np.ndarray) -> np.ndarray:
    (tmp_path / "inputs.json").write_text(json.dumps(inputs.tolist()))
    subprocess.run(
        ["node", str(REPO_ROOT / "tests/node/predict_layers_model.mjs"), str(tmp_path),
         str(tmp_path / "inputs.json"), str(tmp_path / "out.json")],
        cwd=REPO_ROOT, check=True, capture_output=True,
    )
    return np.array(json.loads((tmp_path / "out.json").read_text())["outputs"][0])


@pytest.mark.parametrize(("activation", "optimizer", "extra"), TRAINED_KINDS)
def test_each_activation_and_optimizer_runs_in_tfjs_like_keras(
        client: FlaskClient, tmp_path: Path, activation: str, optimizer: str,
        extra: dict[str, Any]) -> None:
    spec = {"networkShape": [5, 3], "activation": activation, "optimizer": optimizer,
            "learningRate": 0.01, "pace": "max", "seed": "0.2", "sinX": True, **extra}
    run = client.post("/api/runs", json=spec).get_json()
    deadline = time.monotonic() + 60
    while client.get(f"/api/runs/{run['id']}").get_json()["epoch"] < 20:
        assert time.monotonic() < deadline, "the run did not train"
        time.sleep(0.05)
    client.patch(f"/api/runs/{run['id']}", json={"state": "paused"})
    (tmp_path / "model.json").write_bytes(client.get(run["modelUrl"]).data)
    (tmp_path / "group1-shard1of1.bin").write_bytes(
        client.get(f"/api/runs/{run['id']}/group1-shard1of1.bin").data)
    grid = np.random.default_rng(1).uniform(-6, 6, (200, 2))
    inputs = _features_in_node(grid, run["setup"]["features"])
    in_tfjs = _predict_in_node(tmp_path, inputs)

    live = client.application.extensions["runs"].get(run["id"])
    _, weights = live.job.latest_weights()
    model = live.job.build_export_model()
    model.set_weights(weights)
    in_keras = model.predict(inputs, verbose=0)
    assert in_tfjs.shape == in_keras.shape == (200, live.job.architecture.outputs)
    assert np.all(np.isfinite(in_keras))
    assert np.max(np.abs(in_tfjs - in_keras)) <= 1e-5
    # The trained weights moved from the start (the optimizer trained the network).
    assert live.job.metrics()["trainLoss"] is not None
