"""The exporter's output, checked against TensorFlow.js itself.

Each parity test exports a Keras model, loads it with tfjs-layers 4.22 in Node (through
tests/node/predict_layers_model.mjs, strict weight matching), and compares tfjs's predictions
with Keras's on the same random inputs. A wrong config field, weight name, weight layout or
weight order shows up there as a load error or as different numbers.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
from keras import layers

from exporter import (
    DEFAULT_WEIGHTS_PATH,
    export_zip,
    to_tfjs,
    write_export_zip,
    write_tfjs,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
NODE_SCRIPT = REPO_ROOT / "tests" / "node" / "predict_layers_model.mjs"
TOLERANCE = 1e-5

needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not (REPO_ROOT / "node_modules" / "@tensorflow").is_dir(),
    reason="needs node and the npm packages (npm ci) to run tfjs",
)


# --------------------------------------------------------------------------------------------
# Models


def randomize_batchnorm(layer: layers.BatchNormalization, rng: np.random.Generator) -> None:
    """Give gamma/beta/mean/variance distinct, non-default values so a mix-up changes outputs."""
    size = layer.gamma.shape[0]
    layer.set_weights(
        [
            rng.uniform(0.5, 2.0, size),  # gamma
            rng.uniform(-1.0, 1.0, size),  # beta
            rng.uniform(-1.0, 1.0, size),  # moving_mean
            rng.uniform(0.5, 3.0, size),  # moving_variance
        ]
    )


def playground_dense() -> keras.Model:
    """The playground's default network: 2 -> 4 -> 2 -> 1, tanh everywhere."""
    keras.utils.set_random_seed(1)

    def dense(units: int, name: str) -> layers.Dense:
        return layers.Dense(
            units,
            activation="tanh",
            name=name,
            kernel_initializer=keras.initializers.RandomUniform(-0.5, 0.5),
            bias_initializer=keras.initializers.Constant(0.1),
        )

    return keras.Sequential(
        [keras.Input((2,)), dense(4, "hidden1"), dense(2, "hidden2"), dense(1, "output")],
        name="playground",
    )


def mnist_sequential() -> keras.Model:
    keras.utils.set_random_seed(2)
    model = keras.Sequential(
        [
            keras.Input((784,)),
            layers.Reshape((28, 28, 1)),
            layers.Conv2D(4, 5, strides=1, padding="same", activation="relu"),
            layers.Conv2D(8, 4, strides=2, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(200, activation="relu"),
            layers.Dropout(0.25),
            layers.BatchNormalization(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    randomize_batchnorm(model.layers[-2], np.random.default_rng(2))
    return model


def functional_conv() -> keras.Model:
    keras.utils.set_random_seed(3)
    inputs = keras.Input((9, 9, 1), name="image")
    x = layers.Conv2D(3, 3, padding="same", name="conv")(inputs)
    bn = layers.BatchNormalization(name="bn")
    x = bn(x)
    x = layers.Activation("relu", name="relu")(x)
    x = layers.MaxPooling2D(pool_size=3, strides=2, padding="same", name="pool")(x)
    x = layers.Dropout(0.5, name="drop")(x)
    x = layers.Flatten(name="flat")(x)
    outputs = layers.Dense(5, activation="softmax", name="probs")(x)
    model = keras.Model(inputs, outputs, name="functional_conv")
    randomize_batchnorm(bn, np.random.default_rng(3))
    return model


def batchnorm_only() -> keras.Model:
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((6,)), layers.BatchNormalization(name="bn")])
    randomize_batchnorm(model.get_layer("bn"), np.random.default_rng(4))
    return model


def shared_layer_two_outputs() -> keras.Model:
    """A layer called twice (node index 1) and two outputs: exercises the functional wiring."""
    keras.utils.set_random_seed(5)
    inputs = keras.Input((4,), name="x")
    shared = layers.Dense(4, activation="tanh", name="shared")
    first = shared(inputs)
    second = shared(layers.Activation("sigmoid", name="squash")(first))
    head = layers.Dense(3, activation="softmax", name="head")(first)
    return keras.Model(inputs, [second, head], name="shared_two_outputs")


ACTIVATIONS = [
    "relu",
    "tanh",
    "sigmoid",
    "linear",
    "softmax",
    "elu",
    "selu",
    "softplus",
    "softsign",
    "relu6",
    "log_softmax",
    "gelu",
    "mish",
    "silu",
]


def activation_chain() -> keras.Model:
    """Every activation the exporter claims to support, plus the initializers it renames."""
    keras.utils.set_random_seed(6)
    initializers = [
        "lecun_normal",
        "lecun_uniform",
        "he_normal",
        "glorot_normal",
        "orthogonal",
        keras.initializers.VarianceScaling(distribution="untruncated_normal"),
    ]
    model_layers: list[layers.Layer] = [keras.Input((6,))]
    for index, activation in enumerate(ACTIVATIONS):
        model_layers.append(
            layers.Dense(
                6,
                activation=activation,
                name=f"dense_{activation}",
                kernel_initializer=initializers[index % len(initializers)],
                bias_initializer=keras.initializers.RandomNormal(stddev=0.3),
            )
        )
    return keras.Sequential(model_layers, name="activations")


def random_inputs(model: keras.Model, batch: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.random((batch, *tensor.shape[1:]), dtype=np.float32) for tensor in model.inputs]


# --------------------------------------------------------------------------------------------
# Running tfjs


def tfjs_predict(model_dir: Path, inputs: list[np.ndarray], scratch: Path) -> list[np.ndarray]:
    inputs_file = scratch / "inputs.json"
    outputs_file = scratch / "outputs.json"
    inputs_file.write_text(json.dumps({"inputs": [x.tolist() for x in inputs]}))
    run = subprocess.run(
        ["node", str(NODE_SCRIPT), str(model_dir), str(inputs_file), str(outputs_file)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        check=False,
    )
    assert run.returncode == 0, f"tfjs failed to load/predict:\n{run.stderr}"
    result = json.loads(outputs_file.read_text())
    return [np.asarray(values, dtype=np.float32) for values in result["outputs"]]


def keras_predict(model: keras.Model, inputs: list[np.ndarray]) -> list[np.ndarray]:
    outputs = model(inputs[0] if len(inputs) == 1 else inputs, training=False)
    if not isinstance(outputs, list | tuple):
        outputs = [outputs]
    return [keras.ops.convert_to_numpy(y) for y in outputs]


def assert_same_predictions(expected: list[np.ndarray], actual: list[np.ndarray]) -> None:
    assert len(actual) == len(expected)
    for want, got in zip(expected, actual, strict=True):
        assert got.shape == want.shape
        assert np.max(np.abs(got - want)) <= TOLERANCE


# --------------------------------------------------------------------------------------------
# Parity with tfjs


@needs_node
@pytest.mark.parametrize(
    ("build", "batch"),
    [
        (playground_dense, 16),
        (mnist_sequential, 3),
        (functional_conv, 4),
        (batchnorm_only, 8),
        (shared_layer_two_outputs, 5),
        (activation_chain, 7),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_tfjs_predictions_match_keras(
    build: Callable[[], keras.Model], batch: int, tmp_path: Path
) -> None:
    model = build()
    inputs = random_inputs(model, batch, seed=batch)
    # Inputs straddling zero exercise the negative side of relu/elu/selu etc.
    inputs = [x * 4.0 - 2.0 for x in inputs] if build is activation_chain else inputs
    write_tfjs(model, tmp_path / "tfjs")

    actual = tfjs_predict(tmp_path / "tfjs", inputs, tmp_path)

    assert_same_predictions(keras_predict(model, inputs), actual)


@needs_node
def test_batchnorm_parity_is_sensitive_to_weight_mapping(tmp_path: Path) -> None:
    """Guard the guard: swapping gamma and moving_variance must break parity."""
    model = batchnorm_only()
    inputs = random_inputs(model, 8, seed=8)
    model_json, weight_data = to_tfjs(model)
    specs = model_json["weightsManifest"][0]["weights"]
    names = [spec["name"] for spec in specs]
    gamma, variance = names.index("bn/gamma"), names.index("bn/moving_variance")
    specs[gamma]["name"], specs[variance]["name"] = specs[variance]["name"], specs[gamma]["name"]
    (tmp_path / "tfjs").mkdir()
    (tmp_path / "tfjs" / "model.json").write_text(json.dumps(model_json))
    (tmp_path / "tfjs" / DEFAULT_WEIGHTS_PATH).write_bytes(weight_data)

    actual = tfjs_predict(tmp_path / "tfjs", inputs, tmp_path)

    assert np.max(np.abs(actual[0] - keras_predict(model, inputs)[0])) > 1e-2


# --------------------------------------------------------------------------------------------
# The model.json itself


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def test_weight_names_are_layer_scoped_without_model_prefix() -> None:
    model_json, _ = to_tfjs(playground_dense())

    names = [spec["name"] for spec in model_json["weightsManifest"][0]["weights"]]

    assert names == [
        "hidden1/kernel",
        "hidden1/bias",
        "hidden2/kernel",
        "hidden2/bias",
        "output/kernel",
        "output/bias",
    ]


def test_batchnorm_weight_names() -> None:
    model_json, _ = to_tfjs(batchnorm_only())

    specs = model_json["weightsManifest"][0]["weights"]

    assert [spec["name"] for spec in specs] == [
        "bn/gamma",
        "bn/beta",
        "bn/moving_mean",
        "bn/moving_variance",
    ]
    assert all(spec["shape"] == [6] and spec["dtype"] == "float32" for spec in specs)


@pytest.mark.parametrize("build", [playground_dense, mnist_sequential, functional_conv])
def test_manifest_describes_the_weight_bytes_exactly(build: Callable[[], keras.Model]) -> None:
    model = build()
    model_json, weight_data = to_tfjs(model)
    specs = model_json["weightsManifest"][0]["weights"]

    assert sum(4 * int(np.prod(spec["shape"])) for spec in specs) == len(weight_data)
    # The bytes are each layer's weights in manifest order, little-endian float32.
    offset = 0
    for spec in specs:
        layer_name, weight_name = spec["name"].split("/")
        variable = next(w for w in model.get_layer(layer_name).weights if w.name == weight_name)
        count = int(np.prod(spec["shape"]))
        stored = np.frombuffer(weight_data, dtype="<f4", count=count, offset=offset)
        np.testing.assert_array_equal(stored.reshape(spec["shape"]), variable.numpy())
        offset += 4 * count


def test_model_json_uses_the_keras2_form_tfjs_reads() -> None:
    model_json, _ = to_tfjs(mnist_sequential(), weights_path="weights/custom.bin")

    assert model_json["format"] == "layers-model"
    assert model_json["generatedBy"] and model_json["convertedBy"]
    topology = model_json["modelTopology"]
    assert topology["class_name"] == "Sequential"
    assert topology["keras_version"] == "2.15.0"
    assert topology["backend"] == "tensorflow"
    assert model_json["weightsManifest"][0]["paths"] == ["weights/custom.bin"]
    first = topology["config"]["layers"][0]
    assert first["class_name"] == "InputLayer"
    assert first["config"]["batch_input_shape"] == [None, 784]
    keys = {key for key, _ in walk(topology)}
    assert not keys & {
        "module",
        "registered_name",
        "batch_shape",
        "build_config",
        "kernel_regularizer",
        "bias_regularizer",
    }
    assert {value for key, value in walk(topology) if key == "dtype"} == {"float32"}
    json.dumps(model_json, allow_nan=False)  # strict JSON, as browsers parse it


def test_functional_wiring_is_keras2_style() -> None:
    topology = to_tfjs(shared_layer_two_outputs())[0]["modelTopology"]
    config = topology["config"]
    by_name = {entry["name"]: entry for entry in config["layers"]}

    assert topology["class_name"] == "Model"
    assert config["input_layers"] == [["x", 0, 0]]
    assert config["output_layers"] == [["shared", 1, 0], ["head", 0, 0]]
    assert by_name["x"]["inbound_nodes"] == []
    assert by_name["shared"]["inbound_nodes"] == [[["x", 0, 0, {}]], [["squash", 0, 0, {}]]]
    assert by_name["head"]["inbound_nodes"] == [[["shared", 0, 0, {}]]]


def test_fixed_batch_size_is_freed_for_the_browser() -> None:
    model = keras.Sequential([keras.Input((3,), batch_size=2), layers.Dense(1)])

    first = to_tfjs(model)[0]["modelTopology"]["config"]["layers"][0]

    assert first["config"]["batch_input_shape"] == [None, 3]


def test_initializers_are_mapped_to_tfjs_class_names() -> None:
    chain = to_tfjs(activation_chain())[0]["modelTopology"]["config"]["layers"]
    playground = to_tfjs(playground_dense())[0]["modelTopology"]["config"]["layers"]

    # Keras 3 "LecunNormal" is tfjs's "LeCunNormal"; Keras-only fields are dropped.
    assert chain[1]["config"]["kernel_initializer"] == {
        "class_name": "LeCunNormal",
        "config": {"seed": None},
    }
    assert chain[6]["config"]["kernel_initializer"] == {
        "class_name": "VarianceScaling",
        "config": {"scale": 1.0, "mode": "fan_in", "distribution": "normal", "seed": None},
    }
    assert playground[1]["config"]["kernel_initializer"] == {
        "class_name": "RandomUniform",
        "config": {"minval": -0.5, "maxval": 0.5, "seed": None},
    }
    assert playground[1]["config"]["bias_initializer"] == {
        "class_name": "Constant",
        "config": {"value": 0.1},
    }


class ScaledDense(layers.Dense):
    def call(self, inputs: Any) -> Any:
        return super().call(inputs) * 2.0


@pytest.mark.parametrize(
    ("make_layer", "layer_name"),
    [
        (lambda: layers.LayerNormalization(name="norm_layer"), "norm_layer"),
        (lambda: layers.Dense(2, activation="leaky_relu", name="leaky"), "leaky"),
        (lambda: layers.Dense(2, activation="hard_sigmoid", name="hard"), "hard"),
        (lambda: ScaledDense(2, name="scaled"), "scaled"),
        (lambda: layers.Conv1D(2, 2, name="conv1d_layer"), "conv1d_layer"),
    ],
    ids=["unsupported-type", "leaky-relu", "hard-sigmoid", "dense-subclass", "conv1d"],
)
def test_unsupported_layers_raise_naming_the_layer(
    make_layer: Callable[[], layers.Layer], layer_name: str
) -> None:
    model = keras.Sequential([keras.Input((4, 3)), make_layer()])

    with pytest.raises(ValueError, match=layer_name):
        to_tfjs(model)


def test_unsupported_layer_in_functional_model_raises() -> None:
    inputs = keras.Input((4,))
    outputs = layers.Add(name="adder")([layers.Dense(4)(inputs), inputs])

    with pytest.raises(ValueError, match="adder"):
        to_tfjs(keras.Model(inputs, outputs))


class Subclassed(keras.Model):
    def __init__(self) -> None:
        super().__init__()
        self.dense = layers.Dense(2)

    def call(self, inputs: Any) -> Any:
        return self.dense(inputs)


def test_subclassed_model_raises() -> None:
    model = Subclassed()
    model(np.zeros((1, 3), dtype=np.float32))

    with pytest.raises(ValueError, match="Subclassed"):
        to_tfjs(model)


def test_sequential_without_input_shape_raises() -> None:
    with pytest.raises(ValueError, match="input"):
        to_tfjs(keras.Sequential([layers.Dense(2)]))


def test_write_tfjs_writes_both_files_and_leaves_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "run42"
    (target).mkdir()
    (target / "model.json").write_text("stale")

    written = write_tfjs(playground_dense(), target)

    assert written == [target / "model.json", target / DEFAULT_WEIGHTS_PATH]
    assert sorted(p.name for p in target.iterdir()) == sorted(p.name for p in written)
    model_json = json.loads((target / "model.json").read_text())
    assert model_json["weightsManifest"][0]["paths"] == [DEFAULT_WEIGHTS_PATH]
    assert (target / DEFAULT_WEIGHTS_PATH).stat().st_size == 4 * (2 * 4 + 4 + 4 * 2 + 2 + 2 + 1)


def test_write_tfjs_rejects_weights_path_outside_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="file name"):
        write_tfjs(playground_dense(), tmp_path, weights_path="../escape.bin")


# --------------------------------------------------------------------------------------------
# The download zip


METADATA = {
    "dataset": "mnist",
    "epochs": 3,
    "learning_rate": 0.01,
    "layers": [{"type": "conv2d", "filters": 4}],
    "note": "héllo",
}


@pytest.fixture(scope="module")
def mnist_model() -> keras.Model:
    return mnist_sequential()


@pytest.fixture(scope="module")
def mnist_zip(mnist_model: keras.Model) -> bytes:
    return export_zip(mnist_model, METADATA)


def test_zip_holds_the_expected_files(mnist_zip: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(mnist_zip)) as archive:
        names = set(archive.namelist())
        readme = archive.read("README.txt").decode("utf-8")

    assert names == {
        "model.json",
        DEFAULT_WEIGHTS_PATH,
        "model.keras",
        "metadata.json",
        "README.txt",
    }
    # "./": a bare "model.json" makes tfjs fetch the weights from the server's root.
    assert "tf.loadLayersModel('./model.json')" in readme
    assert "keras.models.load_model" in readme


def test_the_page_takes_its_modules_and_every_module_they_import(tmp_path: Path) -> None:
    from exporter.bundle import module_closure

    js = REPO_ROOT / "web" / "js"
    modules = module_closure(js, ["export-page.js", "export-playground.js"])
    # The view draws with the product's own modules: its features, heat map and class colours.
    assert {"export-page.js", "backend.js", "export-playground.js", "features.js",
            "heatmap.js", "output-view.js", "canvas-size.js", "class-colours.js"} == set(modules)
    (tmp_path / "a.js").write_text('import { x } from "../outside.js";\n')
    with pytest.raises(ValueError, match="outside"):
        module_closure(tmp_path, ["a.js"])


def test_zip_metadata_round_trips(mnist_zip: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(mnist_zip)) as archive:
        text = archive.read("metadata.json").decode("utf-8")

    assert json.loads(text) == METADATA
    assert "\n  " in text  # pretty-printed for people opening the download


def test_zip_keras_file_loads_and_predicts_the_same(
    mnist_zip: bytes, mnist_model: keras.Model, tmp_path: Path
) -> None:
    with zipfile.ZipFile(io.BytesIO(mnist_zip)) as archive:
        (tmp_path / "model.keras").write_bytes(archive.read("model.keras"))
    inputs = random_inputs(mnist_model, 4, seed=11)

    loaded = keras.models.load_model(tmp_path / "model.keras")

    np.testing.assert_allclose(
        keras_predict(loaded, inputs)[0], keras_predict(mnist_model, inputs)[0], atol=1e-6
    )


@needs_node
def test_zip_tfjs_files_load_in_tfjs(
    mnist_zip: bytes, mnist_model: keras.Model, tmp_path: Path
) -> None:
    with zipfile.ZipFile(io.BytesIO(mnist_zip)) as archive:
        archive.extractall(tmp_path / "unzipped")
    inputs = random_inputs(mnist_model, 2, seed=12)

    actual = tfjs_predict(tmp_path / "unzipped", inputs, tmp_path)

    assert_same_predictions(keras_predict(mnist_model, inputs), actual)


def test_write_export_zip_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "export.zip"
    target.write_bytes(b"old contents")

    returned = write_export_zip(playground_dense(), {"run": 7}, target)

    assert returned == target
    assert [p.name for p in tmp_path.iterdir()] == ["export.zip"]
    with zipfile.ZipFile(target) as archive:
        assert json.loads(archive.read("metadata.json")) == {"run": 7}


def test_export_zip_rejects_non_json_metadata() -> None:
    with pytest.raises((TypeError, ValueError)):
        export_zip(playground_dense(), {"bad": float("nan")})
