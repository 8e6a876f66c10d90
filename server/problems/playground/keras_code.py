"""The Keras script for a playground run: the network, its optimizer and loss, and `model.fit`.

`GET /api/runs/<id>/code.py` serves it and the page's "Show code" panel shows it. The script
stands alone (NumPy and Keras, nothing of this server): it carries the run's training and
test points, builds the model exactly as `server/training/dense.py` does, and trains it
with `model.fit`, from fresh weights or from a downloaded export (`--zip`), or on a CSV of
the learner's own points (`--points`). Pure text: no TensorFlow here.
"""

from __future__ import annotations

import json
from typing import Any

from server.problems.playground.choices import OPTIMIZERS
from server.problems.playground.datasets import Split
from server.problems.playground.features import FEATURES
from server.problems.playground.spec import PlaygroundSpec
from server.training.dense import BIAS_INIT, LEAKY_SLOPE, WEIGHT_INIT_RANGE

_OPTIMIZER_CODE = {
    "sgd": "keras.optimizers.SGD(learning_rate={rate})",
    "momentum": "keras.optimizers.SGD(learning_rate={rate}, momentum=0.9)",
    "adam": "keras.optimizers.Adam(learning_rate={rate})",
    "rmsprop": "keras.optimizers.RMSprop(learning_rate={rate})",
}
assert set(_OPTIMIZER_CODE) == {key for key, _, _ in OPTIMIZERS}

_NUMPY_FEATURES = {
    "x": "x1", "y": "x2", "xSquared": "x1 * x1", "ySquared": "x2 * x2",
    "xTimesY": "x1 * x2", "sinX": "np.sin(x1)", "sinY": "np.sin(x2)",
}
assert set(_NUMPY_FEATURES) == {feature.key for feature in FEATURES}


def _rows(points: Any) -> str:
    return json.dumps([[float(v) for v in row] for row in points.tolist()])


def keras_script(run_id: str, spec: PlaygroundSpec, split: Split, learning_rate: float,
                 regularization_rate: float, optimizer: str) -> str:
    """A runnable Python script that rebuilds and trains this run's network in Keras."""
    classes = spec.classes
    many = spec.outputs > 1
    activation = spec.keras_activation
    features = [key for key in (f.key for f in FEATURES) if key in spec.features]
    regularizer = "None"
    if spec.regularization == "L1" and regularization_rate > 0:
        regularizer = f"keras.regularizers.L1({regularization_rate!r})"
    elif spec.regularization == "L2" and regularization_rate > 0:
        # The playground adds ½·rate·Σw²; Keras' L2(l2) adds l2·Σw².
        regularizer = f"keras.regularizers.L2({regularization_rate / 2!r})"
    layers = []
    for i, units in enumerate(spec.network_shape):
        name = f"hidden_{i + 1}"
        if activation == "leaky_relu":
            layers.append(f'        dense({units}, "linear", "{name}"),')
            layers.append(f'        keras.layers.LeakyReLU(negative_slope={LEAKY_SLOPE}, '
                          f'name="{name}_leaky_relu"),')
        else:
            layers.append(f'        dense({units}, "{activation}", "{name}"),')
        if spec.dropout > 0:
            layers.append(f'        keras.layers.Dropout({spec.dropout!r}, name="{name}_dropout"),')
    layers.append(f'        dense({spec.outputs}, "{spec.output_activation}", "output"),')
    if many:
        loss = '"sparse_categorical_crossentropy"'
        metrics = '["sparse_categorical_accuracy"]'
        labels_doc = f"class numbers 0…{classes - 1}"
    elif classes == 2:
        loss = "half_mean_squared_error"
        metrics = "[sign_accuracy]"
        labels_doc = "+1 (blue) or -1 (orange), as in the classic playground"
    else:
        loss = "half_mean_squared_error"
        metrics = "[]"
        labels_doc = "the value to predict"
    columns = ", ".join(f'"{key}": {_NUMPY_FEATURES[key]}' for key in features)
    optimizer_code = _OPTIMIZER_CODE[optimizer].format(rate=repr(learning_rate))
    source = "your drawn points" if spec.points else f"the data set {spec.dataset_key!r}"
    return f'''"""tf-playground run {run_id}: this network, rebuilt and trained in Keras.

Data: {source} (seed {spec.seed!r}), {len(split.train)} training and {len(split.test)} test points.
Labels: {labels_doc}.

    pip install keras tensorflow numpy
    python code.py                      # fresh weights
    python code.py --zip run.zip        # start from the weights of a downloaded export
    python code.py --points mine.csv    # your own points: rows of x1, x2, class
    python code.py --epochs 500
"""

import argparse
import json
import tempfile
import zipfile

import keras
import numpy as np

FEATURES = {json.dumps(features)}  # the network's inputs, in this order
CLASSES = {classes if spec.problem == "classification" else 0}


def features(points):
    """The input columns from each point's (x1, x2)."""
    x1, x2 = points[:, 0], points[:, 1]
    columns = {{{columns}}}
    return np.stack([columns[key] for key in FEATURES], axis=1).astype("float32")


def half_mean_squared_error(y_true, y_pred):
    """The playground's loss for one output: ½·(output - label)², averaged."""
    return 0.5 * keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)


def sign_accuracy(y_true, y_pred):
    """Two classes: the output's sign against the ±1 label (0 counts as +1)."""
    return keras.ops.mean(keras.ops.cast((y_pred >= 0) == (y_true >= 0), "float32"))


def build_model():
    def dense(units, activation, name):
        return keras.layers.Dense(
            units, activation=activation, name=name,
            kernel_initializer=keras.initializers.RandomUniform(
                {-WEIGHT_INIT_RANGE}, {WEIGHT_INIT_RANGE}),
            bias_initializer=keras.initializers.Constant({BIAS_INIT}),
            kernel_regularizer={regularizer},
        )

    return keras.Sequential([
        keras.Input(shape=(len(FEATURES),), name="features"),
{chr(10).join(layers)}
    ], name="playground")


def labels(points):
    if CLASSES > 2:
        return points[:, 2].astype("int32")
    return points[:, 2:3].astype("float32")


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_points(path):
    """Rows of x1, x2, class from a CSV (a header row is skipped); two classes become ±1."""
    with open(path, encoding="utf-8") as file:
        rows = [line.strip() for line in file if line.strip() and not line.startswith("#")]
    if rows and not all(_is_number(value) for value in rows[0].split(",")):
        rows = rows[1:]
    points = np.array([[float(v) for v in row.split(",")] for row in rows], "float64")
    if CLASSES == 2:
        points[:, 2] = np.where(points[:, 2] == 1, 1.0, -1.0)
    return points


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--zip", help="a downloaded model: start from its weights")
    parser.add_argument("--points", help="a CSV of x1, x2, class to train on instead")
    parser.add_argument("--summary-json", action="store_true",
                        help="print the model's sizes as JSON")
    args = parser.parse_args()

    train, test = TRAIN, TEST
    if args.points:
        train = read_points(args.points)
        test = train[:0]
    model = build_model()
    if args.zip:
        with zipfile.ZipFile(args.zip) as archive, \
                tempfile.NamedTemporaryFile(suffix=".keras") as file:
            file.write(archive.read("model.keras"))
            file.flush()
            exported = keras.saving.load_model(file.name, compile=False)
            model.set_weights(exported.get_weights())
    model.compile(
        optimizer={optimizer_code},
        loss={loss},
        metrics={metrics},
    )
    history = model.fit(
        features(train), labels(train),
        batch_size={spec.batch_size},
        epochs=args.epochs,
        shuffle=False,  # the playground trains in the data's order, as the classic does
        validation_data=(features(test), labels(test)) if len(test) else None,
        verbose=0 if args.summary_json else 2,
    )
    if args.summary_json:
        print(json.dumps({{
            "layers": [layer.units for layer in model.layers
                       if isinstance(layer, keras.layers.Dense)],
            "params": model.count_params(),
            "loss": history.history["loss"][-1],
        }}))
    else:
        model.summary()


# The run's points: x1, x2, label.
TRAIN = np.array({_rows(split.train)}, "float64").reshape(-1, 3)
TEST = np.array({_rows(split.test)}, "float64").reshape(-1, 3)

if __name__ == "__main__":
    main()
'''
