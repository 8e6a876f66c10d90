"""The MNIST lab's server side: loading, the presets' shapes, training, events, exports."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
from flask.testing import FlaskClient
from keras import layers

from exporter.tfjs import write_tfjs
from server.problems.mnist.data import ENV_VAR, MnistUnavailableError, load_mnist
from server.problems.mnist.models import PRESETS, DecayToFloor, build_model, build_optimizer
from server.problems.mnist.spec import parse_mnist_spec
from server.problems.mnist.trainer import MnistTrainer
from tests.conftest import REPO_ROOT, Mnist


def _wait(client: FlaskClient, run_id: str, state: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        summary = client.get(f"/api/runs/{run_id}").get_json()
        if summary["state"] == state:
            return summary
        time.sleep(0.1)
    raise AssertionError(f"the run did not become {state}")


# -- data ---------------------------------------------------------------------------------


def test_loader_reads_a_path_and_splits_as_the_workshop(mnist_npz: Path) -> None:
    data = load_mnist(mnist_npz)
    assert data.x_train.shape == (55_000, 28, 28) and data.x_validation.shape == (5_000, 28, 28)
    assert data.x_test.shape == (10_000, 28, 28) and data.x_train.dtype == np.uint8
    assert np.bincount(data.y_test).tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_loader_takes_the_environment_variable(monkeypatch: pytest.MonkeyPatch,
                                              mnist_npz: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(mnist_npz))
    assert load_mnist().source == str(mnist_npz)


def test_missing_data_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nothing.npz"))
    with pytest.raises(MnistUnavailableError, match="--mnist PATH"):
        load_mnist()


def test_the_api_answers_400_with_the_message_when_data_is_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.app import create_app, shutdown
    from server.config import Config

    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing.npz"))
    app = create_app(Config(data_dir=tmp_path, warm_up=False))
    try:
        response = app.test_client().post("/api/runs", json={"problem": "mnist"})
        assert response.status_code == 400
        body = response.get_json()
        assert body["field"] == "problem" and "TF_PLAYGROUND_MNIST" in body["error"]
    finally:
        shutdown(app)


# -- models -------------------------------------------------------------------------------


def _conv_shapes(model: keras.Model) -> list[tuple[int, int, int, int]]:
    return [(layer.kernel_size[0], layer.filters, layer.strides[0], layer.output.shape[1])
            for layer in model.layers if isinstance(layer, layers.Conv2D)]


def _dense_units(model: keras.Model) -> list[int]:
    return [layer.units for layer in model.layers if isinstance(layer, layers.Dense)]


def test_every_preset_builds_with_the_shapes_the_talk_gives() -> None:
    models = {name: build_model(parse_mnist_spec({"preset": name})).model for name in PRESETS}
    assert _dense_units(models["softmax"]) == [10]
    assert models["softmax"].count_params() == 7850
    for name in ("dense-sigmoid", "dense-relu", "dense-relu-decay", "dense-relu-decay-dropout"):
        assert _dense_units(models[name]) == [200, 100, 60, 30, 10], name
    assert {layer.activation.__name__ for layer in models["dense-sigmoid"].layers[1:-1]
            if isinstance(layer, layers.Dense)} == {"sigmoid"}
    dropouts = [layer.rate for layer in models["dense-relu-decay-dropout"].layers
                if isinstance(layer, layers.Dropout)]
    assert dropouts == [0.25] * 4  # keep probability 0.75
    # (kernel, filters, stride, output size) with same padding: 28 → 28 → 14 → 7
    assert _conv_shapes(models["conv"]) == [(5, 4, 1, 28), (4, 8, 2, 14), (4, 12, 2, 7)]
    assert _dense_units(models["conv"]) == [200, 10]
    big = [(6, 6, 1, 28), (5, 12, 2, 14), (4, 24, 2, 7)]
    assert _conv_shapes(models["conv-big-dropout"]) == big
    assert [layer.rate for layer in models["conv-big-dropout"].layers
            if isinstance(layer, layers.Dropout)] == [0.25]
    assert _conv_shapes(models["conv-big-batchnorm"]) == big
    norms = [layer for layer in models["conv-big-batchnorm"].layers
             if isinstance(layer, layers.BatchNormalization)]
    assert len(norms) == 4
    assert not any(norm.scale for norm in norms) and all(norm.center for norm in norms)
    bn = PRESETS["conv-big-batchnorm"]
    assert bn["learningRate"] == 0.02 and bn["learningRateDecay"] == {"to": 0.0001,
                                                                    "steps": 1600}


def test_batch_normalisation_keeps_its_scale_before_a_saturating_activation() -> None:
    spec = parse_mnist_spec({"layers": [{"type": "dense", "units": 30, "activation": "sigmoid"},
                                        {"type": "batchnorm"}]})
    model = build_model(spec).model
    norm = next(la for la in model.layers if isinstance(la, layers.BatchNormalization))
    assert norm.scale  # sigmoid(γx + β) is not a rescaled sigmoid(x + β): γ matters


def test_a_seed_names_the_initial_weights() -> None:
    def weights(seed: int) -> list[np.ndarray]:
        return build_model(parse_mnist_spec({"preset": "conv", "seed": seed})).model.get_weights()

    same, other = weights(3), weights(4)
    assert all(np.array_equal(a, b) for a, b in zip(weights(3), same, strict=True))
    kernels = [(a, b) for a, b in zip(same, other, strict=True) if a.ndim > 1]
    assert all(not np.array_equal(a, b) for a, b in kernels)
    # Each layer draws its own numbers (a shared seed would repeat the first values).
    assert same[0].ravel()[0] != same[2].ravel()[0]


def test_the_code_shown_builds_the_same_model() -> None:
    for name in PRESETS:
        built = build_model(parse_mnist_spec({"preset": name}))
        namespace: dict[str, Any] = {"keras": keras, "layers": layers,
                                     "DecayToFloor": DecayToFloor}
        model_code = built.code.split("\noptimizer =")[0]
        exec(model_code, namespace)
        shown = namespace["model"]
        assert [type(layer).__name__ for layer in shown.layers] == [
            type(layer).__name__ for layer in built.model.layers], name
        assert shown.count_params() == built.model.count_params(), name


def test_the_convolutional_presets_shift_their_training_digits_and_the_rest_do_not() -> None:
    shifts = {name: parse_mnist_spec({"preset": name}).shift for name in PRESETS}
    assert shifts == {name: 2 if name.startswith("conv") else 0 for name in PRESETS}
    assert parse_mnist_spec({"preset": "conv", "shift": 0}).shift == 0  # the talk's recipe
    plain = build_model(parse_mnist_spec({"preset": "conv", "shift": 0}))
    assert "RandomTranslation" not in plain.code
    assert not any(isinstance(la, layers.RandomTranslation) for la in plain.model.layers)


def test_the_catalogue_publishes_the_shift_limit_and_each_presets_shift(
        client: FlaskClient) -> None:
    mnist = client.get("/api/catalog").get_json()["mnist"]
    assert mnist["limits"]["shift"] == {"min": 0, "max": 4}
    assert {p["key"]: p["spec"]["shift"] for p in mnist["presets"]} == {
        name: parse_mnist_spec({"preset": name}).shift for name in PRESETS}


def _whole_pixel_offset(before: np.ndarray, after: np.ndarray) -> tuple[int, int] | None:
    """The (dy, dx) of at most 2 px that moves `before` onto `after`, if any."""
    padded = np.pad(before, 2)
    return next(((dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if np.array_equal(padded[2 - dy:30 - dy, 2 - dx:30 - dx], after)), None)


def test_a_shifted_digit_is_moved_whole_pixels_with_black_filling_in(mnist: Mnist) -> None:
    """Nearest-pixel shifts keep strokes crisp: each training image is the digit moved by
    at most 2 px each way, never blurred or wrapped around."""
    model = build_model(parse_mnist_spec({"preset": "conv", "seed": 5})).model
    shift = model.layers[0]
    assert isinstance(shift, layers.RandomTranslation)
    digits = mnist.x_test[:32].astype(np.float32)[..., None] / 255
    moved = shift(digits, training=True).numpy()
    assert np.array_equal(shift(digits, training=False).numpy(), digits)
    offsets = [_whole_pixel_offset(before, after)
               for before, after in zip(digits[..., 0], moved[..., 0], strict=True)]
    assert None not in offsets, "not a whole-pixel shift of at most 2 px"
    assert len(set(offsets)) > 5  # each image its own shift


@pytest.mark.parametrize("shift", [0, 2])
def test_the_training_panel_gets_the_batch_as_the_model_saw_it(shift: int, mnist: Mnist) -> None:
    """With shifts, the last batch comes back shifted (its predictions are about those
    digits); without, it is the training images themselves."""
    spec = parse_mnist_spec({"preset": "conv", "shift": shift, "trainImages": 1000, "seed": 1})
    x, y = mnist.x_train[:1000], mnist.y_train[:1000]
    trainer = MnistTrainer(build_model(spec).model, build_optimizer(spec), x, y, 100)
    result = trainer.train(np.arange(1000), 0, 3)
    assert result.batch_indices.tolist() == list(range(200, 300))
    assert result.batch_images.shape == (100, 28, 28) and result.batch_images.dtype == np.uint8
    originals = x[result.batch_indices]
    if shift == 0:
        assert np.array_equal(result.batch_images, originals)
    else:
        offsets = [_whole_pixel_offset(a, b) for a, b in
                   zip(originals, result.batch_images, strict=True)]
        assert None not in offsets and len(set(offsets)) > 5


def test_the_exported_model_leaves_the_shift_out_and_predicts_the_same(mnist: Mnist) -> None:
    spec = parse_mnist_spec({"preset": "conv-big-dropout", "seed": 2})
    trained, exported = build_model(spec).model, build_model(spec, for_export=True).model
    assert [type(la).__name__ for la in trained.layers][1:] == [
        type(la).__name__ for la in exported.layers]
    exported.set_weights(trained.get_weights())
    digits = mnist.x_test[:8].astype(np.float32)[..., None] / 255
    assert np.array_equal(trained(digits, training=False).numpy(), exported(digits).numpy())
    # While training the shift is live: the same digits give other outputs.
    assert not np.allclose(trained(digits, training=True).numpy(), exported(digits).numpy())


def test_the_decay_goes_from_start_to_floor() -> None:
    schedule = DecayToFloor(0.003, 0.0001, 2000)
    assert float(schedule(0)) == pytest.approx(0.003)
    assert float(schedule(2000)) == pytest.approx(0.0001 + 0.0029 / np.e, rel=1e-5)
    assert float(schedule(100_000)) == pytest.approx(0.0001, rel=1e-4)
    for step in (0, 1, 777, 2000, 9350):  # the reported rate is the one the optimizer uses
        assert schedule.value_at(step) == pytest.approx(float(schedule(step)), rel=1e-6)


@pytest.mark.parametrize(("raw", "field"), [
    ({"preset": "lenet"}, "preset"),
    ({"layers": [{"type": "lstm"}]}, "layers[0]"),
    ({"layers": [{"type": "dense", "units": 0}]}, "layers[0].units"),
    ({"layers": [{"type": "conv", "filters": 4, "kernel": 12, "stride": 1}]},
     "layers[0].kernel"),
    ({"layers": [{"type": "dense", "units": 5}, {"type": "maxpool", "size": 2}]}, "layers[1]"),
    ({"layers": [{"type": "batchnorm"}]}, "layers[0]"),
    ({"layers": [{"type": "dropout", "rate": 1}]}, "layers[0].rate"),
    ({"layers": [{"type": "maxpool", "size": 4}] * 3}, "layers[2]"),
    ({"optimizer": "lbfgs"}, "optimizer"),
    ({"learningRateDecay": {"to": 1, "steps": 10}}, "learningRateDecay.to"),
    ({"batchSize": 0}, "batchSize"),
    ({"epochs": 1000}, "epochs"),
    ({"trainImages": 50}, "trainImages"),
    ({"shift": 5}, "shift"),
    ({"shift": 1.5}, "shift"),
    ({"colour": "red"}, "colour"),
])
def test_bad_mnist_specs_are_400_naming_the_field(client: FlaskClient, raw: dict,
                                                  field: str) -> None:
    response = client.post("/api/runs", json={"problem": "mnist", **raw})
    assert response.status_code == 400
    assert response.get_json()["field"] == field


# -- training and events --------------------------------------------------------------------


@pytest.mark.usefixtures("mnist")
def test_softmax_on_2000_digits_passes_80_percent_and_every_panel_has_data(
        client: FlaskClient, app: Any) -> None:
    run = client.post("/api/runs", json={
        "problem": "mnist", "preset": "softmax", "trainImages": 2000, "epochs": 5}).get_json()
    assert "layers.Dense(10" in run["setup"]["code"] and run["setup"]["totalSteps"] == 100
    final = _wait(client, run["id"], "finished")
    assert final["metrics"]["testAccuracy"] > 0.80 and final["metrics"]["batch"] == 100
    assert final["metrics"]["evaluatedImages"] == 10_000  # the closing evaluation is a full one
    assert final["metrics"]["evaluationShare"] > 0
    events = {e.kind: e for e in app.extensions["runs"].get(run["id"]).events.since(0)}
    assert {"status", "metrics", "panels", "evaluation"} <= set(events)
    metrics = events["metrics"].data
    assert set(metrics) >= {"epoch", "batch", "trainAccuracy", "trainLoss", "testAccuracy",
                            "testLoss", "evaluatedImages", "evaluationShare"}
    panels = events["panels"].data
    batch = panels["batch"]
    assert len(base64.b64decode(batch["pixels"])) == 784 * len(batch["labels"])
    wrong = [a != b for a, b in zip(batch["labels"], batch["predicted"], strict=True)]
    assert wrong == sorted(wrong, reverse=True)  # mistakes first
    history = panels["history"]
    assert len(history["iteration"]) >= 5 and len(history["testAccuracy"]) >= 2
    assert {b["kind"] for b in panels["bands"]} == {"weights", "bias"}
    assert all(len(p) == 7 and p == sorted(p) for b in panels["bands"] for p in b["percentiles"])
    maps = panels["weightMaps"]
    assert len(base64.b64decode(maps["values"])) == 7840 and maps["scale"] > 0
    evaluation = events["evaluation"].data
    confusion = np.array(evaluation["confusion"])
    assert confusion.sum() == 10_000
    assert np.trace(confusion) / 10_000 == pytest.approx(evaluation["testAccuracy"])
    assert evaluation["digits"]["mistakes"] == 10_000 - np.trace(confusion)


@pytest.mark.usefixtures("mnist")
def test_pause_step_trains_one_batch(client: FlaskClient) -> None:
    run = client.post("/api/runs", json={
        "problem": "mnist", "trainImages": 1000, "epochs": 50}).get_json()
    paused = client.patch(f"/api/runs/{run['id']}", json={"state": "paused"}).get_json()
    assert paused["state"] == "paused"
    before = client.get(f"/api/runs/{run['id']}").get_json()["metrics"]["batch"]
    after = client.post(f"/api/runs/{run['id']}/step").get_json()["metrics"]["batch"]
    assert after == before + 1
    bad = client.patch(f"/api/runs/{run['id']}", json={"learningRate": 0.1})
    assert bad.status_code == 400 and bad.get_json()["field"] == "learningRate"


@pytest.mark.usefixtures("mnist")
def test_the_test_set_size_and_the_evaluated_images_are_separate_fields(
        client: FlaskClient) -> None:
    """A run's `testImages` (its test set) and the metric `evaluatedImages` (what the latest
    figures come from) used to share a name, so a PATCH answered after the start-up sample
    said the run had 1,000 test images and the lab page called its full evaluations samples."""
    run = client.post("/api/runs?state=paused", json={
        "problem": "mnist", "trainImages": 500, "epochs": 1}).get_json()
    assert run["setup"]["testImages"] == 10_000
    deadline = time.monotonic() + 60
    while "evaluatedImages" not in (
            summary := client.get(f"/api/runs/{run['id']}").get_json())["metrics"]:
        assert time.monotonic() < deadline, "the start-up evaluation did not happen"
        time.sleep(0.05)
    assert summary["metrics"]["evaluatedImages"] == 1_000
    assert summary["setup"]["testImages"] == 10_000
    patched = client.patch(f"/api/runs/{run['id']}", json={"state": "running"}).get_json()
    # A summary carries the metric under metrics, never a test-set size (details' setup does).
    assert "evaluatedImages" in patched["metrics"] and "testImages" not in patched["metrics"]
    assert "evaluatedImages" not in patched and "testImages" not in patched
    final = _wait(client, run["id"], "finished")
    assert final["metrics"]["evaluatedImages"] == final["setup"]["testImages"] == 10_000


@pytest.mark.parametrize("spec", [
    {"problem": "mnist", "trainImages": 500, "epochs": 1},
    {"problem": "classification", "dataset": "xor"},
    {"problem": "curve", "dataset": "mystery"},
])
def test_no_job_metric_shadows_a_field_of_its_run(client: FlaskClient, app: Any, spec: dict,
                                                  request: pytest.FixtureRequest) -> None:
    """A run's summary merges its job's metrics, and its details the job's description:
    a metric with a description's name overwrites it in one answer and not the other."""
    if spec["problem"] == "mnist":
        request.getfixturevalue("mnist")  # skipped, saying how to get them, without the data
    run = client.post("/api/runs", json=spec).get_json()
    job = app.extensions["runs"].get(run["id"]).job
    deadline = time.monotonic() + 60
    while not (metrics := job.metrics()) or all(v is None for v in metrics.values()):
        assert time.monotonic() < deadline, "the job published no metrics"
        time.sleep(0.05)
    assert set(metrics) & set(job.describe()) == set()
    client.delete(f"/api/runs/{run['id']}")


def _predict_in_node(directory: Path, images: np.ndarray) -> np.ndarray:
    (directory / "inputs.json").write_text(json.dumps(images.tolist()))
    subprocess.run(["node", str(REPO_ROOT / "tests/node/predict_layers_model.mjs"),
                    str(directory), str(directory / "inputs.json"), str(directory / "out.json")],
                   check=True, capture_output=True, cwd=REPO_ROOT)
    return np.array(json.loads((directory / "out.json").read_text())["outputs"][0])


@pytest.mark.parametrize("preset", ["conv", "conv-big-dropout", "conv-big-batchnorm"])
def test_exported_convolutional_presets_match_keras_in_node(preset: str, tmp_path: Path,
                                                            mnist: Mnist) -> None:
    model = build_model(parse_mnist_spec({"preset": preset}), for_export=True).model
    rng = np.random.default_rng(3)
    # Non-trivial weights everywhere, batch-norm statistics included.
    model.set_weights([rng.normal(0, 0.2, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.moving_variance.assign(rng.uniform(0.5, 2, layer.moving_variance.shape))
    write_tfjs(model, tmp_path)
    images = mnist.x_test[:16, :, :, None].astype(np.float32) / 255
    expected = model(images, training=False).numpy()
    assert np.max(np.abs(_predict_in_node(tmp_path, images) - expected)) <= 1e-5


@pytest.mark.usefixtures("mnist")
def test_the_export_zip_states_the_preprocessing(client: FlaskClient) -> None:
    run = client.post("/api/runs", json={
        "problem": "mnist", "trainImages": 500, "epochs": 1}).get_json()
    _wait(client, run["id"], "finished")
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/runs/{run['id']}/export.zip").data))
    metadata = json.loads(archive.read("metadata.json"))
    preparation = " ".join(metadata["input"]["preparation"])
    assert "by 255" in preparation and "centre of mass" in preparation
    assert metadata["input"]["shape"] == [None, 28, 28, 1]
    assert metadata["input"]["dtype"] == "float32"
    assert "softmax" in metadata["output"] and "layers.Dense(10" in metadata["code"]
    model = json.loads(archive.read("model.json"))
    assert model["modelTopology"]["config"]["layers"][0]["config"]["batch_input_shape"] == [
        None, 28, 28, 1]


@pytest.mark.usefixtures("mnist")
def test_a_shifted_run_exports_its_model_without_the_shift_and_says_so(
        client: FlaskClient) -> None:
    run = client.post("/api/runs", json={
        "problem": "mnist", "preset": "conv", "trainImages": 500, "epochs": 1}).get_json()
    assert run["spec"]["shift"] == 2 and "layers.RandomTranslation(2 / 28" in run["setup"]["code"]
    _wait(client, run["id"], "finished")
    served = client.get(f"/api/runs/{run['id']}/model.json").get_json()
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/runs/{run['id']}/export.zip").data))
    for topology in (served["modelTopology"],
                     json.loads(archive.read("model.json"))["modelTopology"]):
        kinds = [layer["class_name"] for layer in topology["config"]["layers"]]
        assert kinds[:2] == ["InputLayer", "Conv2D"] and "RandomTranslation" not in kinds
    metadata = json.loads(archive.read("metadata.json"))
    assert "±2 px" in metadata["training"] and "leaves it out" in metadata["training"]


@pytest.mark.usefixtures("mnist")
def test_model_json_before_the_first_weights_is_409_with_retry_after(client: FlaskClient,
                                                                     app: Any) -> None:
    run = client.post("/api/runs?state=paused", json={
        "problem": "mnist", "preset": "conv-big-batchnorm", "trainImages": 500}).get_json()
    live = app.extensions["runs"].get(run["id"])
    original = live.job.latest_weights
    live.job.latest_weights = lambda: (0, [])  # a job with no weights yet
    response = client.get(run["modelUrl"])
    assert response.status_code == 409 and response.headers["Retry-After"] == "1"
    assert "retry" in response.get_json()["error"]
    live.job.latest_weights = original
    deadline = time.monotonic() + 60
    while client.get(run["modelUrl"]).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)
