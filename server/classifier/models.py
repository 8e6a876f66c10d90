"""An image classifier's Keras model, built from a spec's layer list, and its code.

Each layer entry makes one Keras layer and one line of the Keras code the page
shows, from the same values, so the code a learner copies is the model that ran.
A spec is any object with the fields MNIST's has (`layers`, `activation`, `init`,
`seed`, `shift`, `optimizer`, `learning_rate`, `learning_rate_decay`, `batch_size`,
`epochs`); the problem says the input shape, the classes and the names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import keras
from keras import layers

from server.training.optimizers import make_optimizer

ModelSpec = Any  # a frozen spec dataclass with the fields above (MnistSpec, OrientationSpec)


@keras.saving.register_keras_serializable(package="tf_playground")
class DecayToFloor(keras.optimizers.schedules.LearningRateSchedule):
    """lr = floor + start·e^(−step/steps): the talk's `0.0001 + exponential_decay(0.003, …)`."""

    def __init__(self, start: float, floor: float, steps: int) -> None:
        self.start, self.floor, self.steps = start, floor, steps

    def __call__(self, step: Any) -> Any:
        step = keras.ops.cast(step, "float32")
        return self.floor + (self.start - self.floor) * keras.ops.exp(-step / self.steps)

    def value_at(self, step: int) -> float:
        """The same in plain Python: for reporting, without running TensorFlow ops."""
        return self.floor + (self.start - self.floor) * math.exp(-step / self.steps)

    def get_config(self) -> dict[str, Any]:
        return {"start": self.start, "floor": self.floor, "steps": self.steps}


def _init(kind: str, activation: str, seed: int) -> tuple[Any, Any, str, str]:
    """Kernel and bias initializers (and their code) as the talk sets them.

    Random ones take the run's seed (per layer), so a seed names one whole run: the
    same start, the same order, the same curves. The code shown leaves seeds out.
    """
    if kind == "zeros":
        return "zeros", "zeros", '"zeros"', '"zeros"'
    if kind == "glorot":
        return (keras.initializers.GlorotUniform(seed=seed), "zeros", '"glorot_uniform"',
                '"zeros"')
    bias = 0.1 if activation == "relu" else 0.0
    return (
        keras.initializers.TruncatedNormal(stddev=0.1, seed=seed),
        keras.initializers.Constant(bias),
        "keras.initializers.TruncatedNormal(stddev=0.1)",
        f"keras.initializers.Constant({bias})",
    )


@dataclass(frozen=True)
class BuiltModel:
    model: keras.Sequential
    code: str


@dataclass(frozen=True)
class Output:
    """What a classifier's input and softmax are: shapes and the names the model gets."""

    input_shape: tuple[int, int, int] = (28, 28, 1)
    classes: int = 10
    model_name: str = "mnist"
    output_name: str = "digits"


def build_model(model_spec: ModelSpec, output: Output = Output(), *,
                for_export: bool = False) -> BuiltModel:
    """The Keras model for a validated spec, and the code that defines it.

    `for_export` leaves out the training-only shift layer: it does nothing at inference,
    has no weights, and TensorFlow.js has no such layer, so the exported model is the
    same network with the same weights, minus that one line.
    """
    activation = model_spec.activation
    entries = list(model_spec.layers)
    side, _, channels = output.input_shape
    built: list[keras.layers.Layer] = [keras.Input(shape=output.input_shape, name="image")]
    code = ["model = keras.Sequential([", f"    keras.Input(shape=({side}, {side}, {channels})),"]
    image = True  # the tensor is still an image (height × width × channels)

    def seed_of(index: int) -> int:
        return (model_spec.seed * 1000 + index) % (2**31 - 1)

    def add(layer: keras.layers.Layer, line: str) -> None:
        built.append(layer)
        code.append(f"    {line},")

    shift = model_spec.shift
    if shift:
        # Each training digit moved by up to ±shift pixels, anew in every batch: the model
        # sees more varied digits than the 55,000 and overfits less. Nearest-pixel
        # sampling keeps the strokes crisp; the border fills with black, like MNIST's.
        code.append(f"    # training only: each digit shifted at random by up to ±{shift} px")
        line = (f"layers.RandomTranslation({shift} / {side}, {shift} / {side}, "
                'fill_mode="constant", interpolation="nearest")')
        if for_export:
            code.append(f"    {line},")
        else:
            add(layers.RandomTranslation(shift / side, shift / side, fill_mode="constant",
                                         interpolation="nearest", seed=seed_of(999)), line)

    def flatten() -> None:
        nonlocal image
        if image:
            add(layers.Flatten(), "layers.Flatten()")
            image = False

    for i, entry in enumerate(entries):
        kind = entry["type"]
        followed_by_norm = i + 1 < len(entries) and entries[i + 1]["type"] == "batchnorm"
        act = entry.get("activation") or activation
        if kind in ("dense", "conv"):
            kernel, bias, kernel_code, bias_code = _init(model_spec.init, act, seed_of(i))
            # Batch normalisation replaces the bias and comes before the activation.
            layer_act, use_bias = (None, False) if followed_by_norm else (act, True)
            options = f'activation="{layer_act}"' if layer_act else "use_bias=False"
            options += f", kernel_initializer={kernel_code}"
            options += f", bias_initializer={bias_code}" if use_bias else ""
            if kind == "dense":
                flatten()
                add(layers.Dense(entry["units"], activation=layer_act, use_bias=use_bias,
                                 kernel_initializer=kernel, bias_initializer=bias),
                    f'layers.Dense({entry["units"]}, {options})')
            else:
                if not image:
                    raise ValueError("a convolution cannot follow a dense layer")
                add(layers.Conv2D(entry["filters"], entry["kernel"], strides=entry["stride"],
                                  padding="same", activation=layer_act, use_bias=use_bias,
                                  kernel_initializer=kernel, bias_initializer=bias),
                    f'layers.Conv2D({entry["filters"]}, {entry["kernel"]}, '
                    f'strides={entry["stride"]}, padding="same", {options})')
        elif kind == "batchnorm":
            previous = entries[i - 1] if i else None
            prev_act = (previous.get("activation") or activation) if previous and \
                previous["type"] in ("dense", "conv") else None
            # Before a ReLU the scale is redundant (the next layer's weights absorb it):
            # the talk leaves it out and keeps only the offset, which replaces the bias.
            if prev_act in ("relu", "linear"):
                add(layers.BatchNormalization(scale=False),
                    "layers.BatchNormalization(scale=False)")
            else:
                add(layers.BatchNormalization(), "layers.BatchNormalization()")
            if prev_act:
                add(layers.Activation(prev_act), f'layers.Activation("{prev_act}")')
        elif kind == "maxpool":
            if not image:
                raise ValueError("max-pooling needs an image; it cannot follow a dense layer")
            add(layers.MaxPooling2D(entry["size"]), f'layers.MaxPooling2D({entry["size"]})')
        elif kind == "dropout":
            add(layers.Dropout(entry["rate"], seed=seed_of(i)), f'layers.Dropout({entry["rate"]})')
    flatten()
    kernel, bias, kernel_code, bias_code = _init(model_spec.init, "softmax",
                                                 seed_of(len(entries)))
    add(layers.Dense(output.classes, activation="softmax", kernel_initializer=kernel,
                     bias_initializer=bias, name=output.output_name),
        f'layers.Dense({output.classes}, activation="softmax", '
        f"kernel_initializer={kernel_code}, bias_initializer={bias_code})")
    code.append("])")
    code.extend(_optimizer_code(model_spec))
    return BuiltModel(keras.Sequential(built, name=output.model_name), "\n".join(code))


def learning_rate_of(model_spec: ModelSpec) -> float | DecayToFloor:
    decay = model_spec.learning_rate_decay
    if decay:
        return DecayToFloor(model_spec.learning_rate, decay["to"], decay["steps"])
    return model_spec.learning_rate


def build_optimizer(model_spec: ModelSpec) -> keras.optimizers.Optimizer:
    return make_optimizer(model_spec.optimizer, learning_rate_of(model_spec))


_OPTIMIZER_CODE = {
    "sgd": "keras.optimizers.SGD({lr})",
    "momentum": "keras.optimizers.SGD({lr}, momentum=0.9)",
    "adam": "keras.optimizers.Adam({lr})",
    "rmsprop": "keras.optimizers.RMSprop({lr})",
    "adagrad": "keras.optimizers.Adagrad({lr})",
    "adadelta": "keras.optimizers.Adadelta({lr})",
}


def _optimizer_code(model_spec: ModelSpec) -> list[str]:
    decay = model_spec.learning_rate_decay
    lines = []
    if decay:
        start, floor, steps = model_spec.learning_rate, decay["to"], decay["steps"]
        lines.append(f"# lr = {floor} + {start}·e^(−step/{steps})")
        lr = f"DecayToFloor({model_spec.learning_rate}, {decay['to']}, {decay['steps']})"
    else:
        lr = f"learning_rate={model_spec.learning_rate}"
    lines.append("optimizer = " + _OPTIMIZER_CODE[model_spec.optimizer].format(lr=lr))
    lines.append('model.compile(optimizer, loss="sparse_categorical_crossentropy", '
                 'metrics=["accuracy"])')
    lines.append(f"model.fit(x_train, y_train, batch_size={model_spec.batch_size}, "
                 f"epochs={model_spec.epochs})")
    return lines


def steps_per_epoch(num_images: int, batch_size: int) -> int:
    """Full batches per epoch (the last, partial one is dropped, as the talk's loop does)."""
    return max(1, num_images // batch_size)


def dense_layers(*units: int, dropout: float = 0.0) -> list[dict[str, Any]]:
    """Layer entries: dense layers of these sizes, each followed by dropout if given."""
    out: list[dict[str, Any]] = []
    for n in units:
        out.append({"type": "dense", "units": n})
        if dropout:
            out.append({"type": "dropout", "rate": dropout})
    return out
