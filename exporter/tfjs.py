"""Write a Keras 3 model in the TensorFlow.js "layers-model" format (model.json + weights).

Why not the ``tensorflowjs`` pip package: it pins an old TensorFlow, and what it writes for
Keras 3 models does not load in tfjs-layers 4.22. Keras 3 configs differ from the Keras 2 form
tfjs-layers reads in several ways, each of which breaks ``tf.loadLayersModel``:

* ``InputLayer`` has ``batch_shape``; tfjs wants ``batch_input_shape``.
* ``dtype`` is a ``DTypePolicy`` dict; tfjs wants a plain string.
* Every object carries ``module``/``registered_name``; initializers use Keras 3 names
  (``LecunNormal`` vs tfjs's ``LeCunNormal``) and extra fields.
* Functional ``inbound_nodes`` are ``{"args": [keras_tensor...], "kwargs": {}}`` dicts; tfjs
  wants ``[[layer_name, node_index, tensor_index, kwargs], ...]`` lists, and ``input_layers``
  may be a flat triple instead of a list of triples.
* Variable paths are prefixed with the model name (``sequential/dense/kernel``); tfjs matches
  weights by ``<layer name>/<weight name>``.

So this module rebuilds the topology from scratch with an explicit allow-list per layer type,
rather than patching the Keras 3 config: anything not understood is rejected with a
``ValueError`` naming the layer, instead of producing a file that fails (or silently computes
something else) in the browser.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np

DEFAULT_WEIGHTS_PATH = "group1-shard1of1.bin"
"""Weights file name; the server serves it at ``/api/runs/<id>/group1-shard1of1.bin``."""

# tfjs-layers reads the Keras 2 config format; claim the last Keras 2 release so readers that
# branch on the version take the Keras 2 path.
KERAS_VERSION_CLAIM = "2.15.0"

CONVERTED_BY = "tf-playground exporter"

# Keras activation name -> name tfjs-layers registers. tfjs camel-cases string values itself
# ("log_softmax" -> "logSoftmax"), so only real renames are needed. Deliberately absent:
# hard_sigmoid (Keras 3 uses relu6(x + 3) / 6, tfjs 0.2 * x + 0.5) and leaky_relu/exponential
# (no tfjs activation of that name).
_ACTIVATIONS = {
    "linear": "linear",
    "relu": "relu",
    "relu6": "relu6",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "softmax": "softmax",
    "log_softmax": "log_softmax",
    "elu": "elu",
    "selu": "selu",
    "softplus": "softplus",
    "softsign": "softsign",
    "gelu": "gelu",
    "mish": "mish",
    "silu": "swish",
    "swish": "swish",
}

# Keras initializer class -> (tfjs class, config keys tfjs understands). Initializers only
# matter if the page re-initialises or extends the model; the loaded weights overwrite them.
_INITIALIZERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Zeros": ("Zeros", ()),
    "Ones": ("Ones", ()),
    "Constant": ("Constant", ("value",)),
    "RandomUniform": ("RandomUniform", ("minval", "maxval", "seed")),
    "RandomNormal": ("RandomNormal", ("mean", "stddev", "seed")),
    "TruncatedNormal": ("TruncatedNormal", ("mean", "stddev", "seed")),
    "GlorotUniform": ("GlorotUniform", ("seed",)),
    "GlorotNormal": ("GlorotNormal", ("seed",)),
    "HeUniform": ("HeUniform", ("seed",)),
    "HeNormal": ("HeNormal", ("seed",)),
    "LecunUniform": ("LeCunUniform", ("seed",)),
    "LecunNormal": ("LeCunNormal", ("seed",)),
    "VarianceScaling": ("VarianceScaling", ("scale", "mode", "distribution", "seed")),
    "Orthogonal": ("Orthogonal", ("gain", "seed")),
    "Identity": ("Identity", ("gain",)),
}

# tfjs's VarianceScaling samples either "normal" (a truncated normal, Keras 2.0 style) or
# "uniform"; it accepts "truncatedNormal" but then silently samples uniform. So both Keras 3
# normal variants map to "normal", the nearest thing tfjs has.
_DISTRIBUTIONS = {
    "truncated_normal": "normal",
    "untruncated_normal": "normal",
    "normal": "normal",
    "uniform": "uniform",
}


def to_tfjs(
    model: keras.Model, weights_path: str = DEFAULT_WEIGHTS_PATH
) -> tuple[dict[str, Any], bytes]:
    """Convert ``model`` to a tfjs ``model.json`` dict and its weight bytes.

    ``weights_path`` is written into the manifest as-is; tfjs resolves it relative to the URL
    model.json was fetched from, so the caller picks it to match where the bytes are served.
    The bytes are little-endian float32, concatenated in manifest order (one shard), which is
    what ``tf.io.decodeWeights`` expects.

    Raises ``ValueError`` (naming the layer) for anything tfjs-layers 4.22 could not load or
    would compute differently.
    """
    try:
        model_config = model.get_config()
    except NotImplementedError as error:  # subclassed models without get_config()
        raise ValueError(
            f"model {model.name!r} ({type(model).__name__}) has no config to rebuild in tfjs; "
            "export a Sequential or functional model"
        ) from error
    if isinstance(model, keras.Sequential):
        class_name = "Sequential"
        layer_entries = _sequential_layers(model, model_config)
        topology_config: dict[str, Any] = {"name": model.name, "layers": layer_entries}
    elif "input_layers" in model_config and "layers" in model_config:
        class_name = "Model"
        layer_entries = [_functional_layer(entry) for entry in model_config["layers"]]
        topology_config = {
            "name": model.name,
            "layers": layer_entries,
            "input_layers": _endpoint_list(model_config["input_layers"]),
            "output_layers": _endpoint_list(model_config["output_layers"]),
        }
    else:
        raise ValueError(
            f"model {model.name!r} ({type(model).__name__}) is neither a Sequential nor a "
            "functional model; subclassed models have no config tfjs could rebuild"
        )

    weight_specs, weight_data = _collect_weights(model, layer_entries)
    model_json = {
        "format": "layers-model",
        "generatedBy": f"keras v{keras.__version__}",
        "convertedBy": CONVERTED_BY,
        "modelTopology": {
            "class_name": class_name,
            "config": topology_config,
            "keras_version": KERAS_VERSION_CLAIM,
            "backend": "tensorflow",
        },
        "weightsManifest": [{"paths": [weights_path], "weights": weight_specs}],
    }
    return model_json, weight_data


def write_tfjs(
    model: keras.Model,
    directory: str | os.PathLike[str],
    weights_path: str = DEFAULT_WEIGHTS_PATH,
) -> list[Path]:
    """Write ``model.json`` and the weights file into ``directory``; return both paths.

    Each file is replaced atomically, weights first: a reader polling for model.json never
    sees a half-written file, and by the time the new model.json appears its weights are
    already in place. ``weights_path`` must be a bare file name here (it lands in
    ``directory``).
    """
    if Path(weights_path).name != weights_path or weights_path in ("", ".", ".."):
        raise ValueError(f"weights_path must be a plain file name, got {weights_path!r}")
    model_json, weight_data = to_tfjs(model, weights_path=weights_path)
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    weights_file = target / weights_path
    json_file = target / "model.json"
    write_bytes_atomic(weights_file, weight_data)
    write_bytes_atomic(json_file, model_json_bytes(model_json))
    return [json_file, weights_file]


def model_json_bytes(model_json: dict[str, Any]) -> bytes:
    """Serialise a model.json dict the one way both writers use (compact, UTF-8)."""
    return json.dumps(model_json, separators=(",", ":"), allow_nan=False).encode("utf-8")


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` so readers see the old file or the new one, never part.

    The temporary file lives in the same directory because ``os.replace`` is only atomic
    within one file system. mkstemp creates the file owner-only (0600); it is widened to the
    usual 0644 so a static file server running as another user can still read the export.
    """
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------------------------
# Topology


def _sequential_layers(model: keras.Sequential, model_config: dict[str, Any]) -> list[dict]:
    entries = model_config["layers"]
    if not entries or entries[0].get("class_name") != "InputLayer":
        raise ValueError(
            f"Sequential model {model.name!r} has no input shape; start it with keras.Input(...) "
            "or build it before exporting"
        )
    return [_convert_layer(entry) for entry in entries]


def _functional_layer(entry: dict[str, Any]) -> dict[str, Any]:
    converted = _convert_layer(entry)
    converted["name"] = converted["config"]["name"]
    converted["inbound_nodes"] = _inbound_nodes(entry.get("inbound_nodes", []), converted["name"])
    return converted


def _convert_layer(entry: dict[str, Any]) -> dict[str, Any]:
    class_name = entry.get("class_name")
    config = entry.get("config", {})
    name = config.get("name", "<unnamed>")
    module = entry.get("module") or ""
    rule = _LAYER_RULES.get(class_name)
    if rule is None or not module.startswith("keras"):
        supported = ", ".join(sorted(_LAYER_RULES))
        raise ValueError(
            f"layer {name!r} is a {class_name} ({module or 'unknown module'}), which the tfjs "
            f"exporter does not support; supported layer types: {supported}"
        )
    return {"class_name": class_name, "config": rule.convert(config, name)}


def _inbound_nodes(nodes: list[Any], layer_name: str) -> list[list[list[Any]]]:
    """Keras 3 ``{"args", "kwargs"}`` call records -> Keras 2 ``[[name, node, tensor, kw]]``."""
    converted = []
    for node in nodes:
        if not isinstance(node, dict) or "args" not in node:
            raise ValueError(f"layer {layer_name!r}: unrecognised inbound node format {node!r}")
        histories = list(_keras_histories(node["args"], layer_name))
        if len(histories) != 1:
            raise ValueError(
                f"layer {layer_name!r} is called on {len(histories)} tensors; the exporter only "
                "supports single-input layers"
            )
        call_kwargs = _call_kwargs(node.get("kwargs") or {}, layer_name)
        converted.append([[*histories[0], call_kwargs]])
    return converted


def _keras_histories(value: Any, layer_name: str) -> Iterator[list[Any]]:
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        layer, node_index, tensor_index = value["config"]["keras_history"]
        yield [layer, int(node_index), int(tensor_index)]
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _keras_histories(item, layer_name)
    else:
        raise ValueError(
            f"layer {layer_name!r} is called with a non-tensor positional argument {value!r}"
        )


def _call_kwargs(kwargs: dict[str, Any], layer_name: str) -> dict[str, Any]:
    # An explicit training=True/False changes what Dropout/BatchNormalization compute; tfjs
    # honours the same kwarg, so it is kept. Anything else (masks, tensors) is refused.
    kept = {}
    for key, value in kwargs.items():
        if key == "training" and isinstance(value, bool):
            kept[key] = value
        elif value is not None:
            raise ValueError(f"layer {layer_name!r} is called with unsupported argument {key!r}")
    return kept


def _endpoint_list(value: list[Any]) -> list[list[Any]]:
    # Keras 3 writes a single endpoint as a flat ["name", 0, 0]; tfjs iterates a list of them.
    if value and isinstance(value[0], str):
        value = [value]
    return [[name, int(node), int(tensor)] for name, node, tensor in value]


# --------------------------------------------------------------------------------------------
# Per-layer config rewriting


class _LayerRule:
    """How one Keras layer class maps onto tfjs: config rewrite and the weights it may own."""

    def __init__(
        self,
        keras_class: type,
        convert: Callable[[dict[str, Any], str], dict[str, Any]],
        weights: frozenset[str] = frozenset(),
    ) -> None:
        self.keras_class = keras_class
        self.convert = convert
        self.weights = weights


def _base(config: dict[str, Any]) -> dict[str, Any]:
    # dtype is forced to float32: the weights are exported as float32 and tfjs-layers only
    # accepts a plain dtype string (Keras 3 writes a DTypePolicy dict).
    return {
        "name": config["name"],
        "trainable": bool(config.get("trainable", True)),
        "dtype": "float32",
    }


def _activation(value: Any, layer_name: str) -> str:
    if isinstance(value, str) and value in _ACTIVATIONS:
        return _ACTIVATIONS[value]
    raise ValueError(
        f"layer {layer_name!r} uses activation {value!r}, which tfjs-layers cannot reproduce; "
        f"supported: {', '.join(sorted(_ACTIVATIONS))}"
    )


def _initializer(value: Any) -> dict[str, Any] | None:
    """Map a Keras 3 initializer to tfjs's ``{"class_name", "config"}``; None drops it."""
    if not isinstance(value, dict) or value.get("class_name") not in _INITIALIZERS:
        return None
    tfjs_name, keys = _INITIALIZERS[value["class_name"]]
    source = value.get("config") or {}
    config = {key: source[key] for key in keys if key in source}
    if "value" in config and not isinstance(config["value"], int | float):
        return None  # tfjs Constant takes a scalar only
    if "distribution" in config:
        distribution = _DISTRIBUTIONS.get(config["distribution"])
        if distribution is None:
            return None
        config["distribution"] = distribution
    return {"class_name": tfjs_name, "config": config}


def _put_initializers(out: dict[str, Any], config: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        initializer = _initializer(config.get(key))
        if initializer is not None:
            out[key] = initializer


def _as_list(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


def _convert_input_layer(config: dict[str, Any], name: str) -> dict[str, Any]:
    if config.get("sparse") or config.get("ragged"):
        raise ValueError(f"input layer {name!r} is sparse/ragged; tfjs needs dense inputs")
    batch_shape = config.get("batch_shape") or config.get("batch_input_shape")
    if batch_shape is None:
        raise ValueError(f"input layer {name!r} has no shape")
    # The batch size is freed: pages predict on whatever batch they have, and a batch size
    # fixed by whatever Keras was first called with would make tfjs reject every other one.
    return {
        "batch_input_shape": [None, *batch_shape[1:]],
        "dtype": "float32",
        "sparse": False,
        "name": name,
    }


def _convert_dense(config: dict[str, Any], name: str) -> dict[str, Any]:
    out = _base(config)
    out.update(
        units=int(config["units"]),
        activation=_activation(config["activation"], name),
        use_bias=bool(config["use_bias"]),
    )
    _put_initializers(out, config, ("kernel_initializer", "bias_initializer"))
    return out


def _convert_conv2d(config: dict[str, Any], name: str) -> dict[str, Any]:
    if config.get("groups", 1) != 1:
        raise ValueError(f"layer {name!r} is a grouped Conv2D, which tfjs-layers lacks")
    out = _base(config)
    out.update(
        filters=int(config["filters"]),
        kernel_size=_as_list(config["kernel_size"]),
        strides=_as_list(config["strides"]),
        padding=config["padding"],
        data_format=config["data_format"],
        dilation_rate=_as_list(config["dilation_rate"]),
        activation=_activation(config["activation"], name),
        use_bias=bool(config["use_bias"]),
    )
    _put_initializers(out, config, ("kernel_initializer", "bias_initializer"))
    return out


def _convert_max_pooling2d(config: dict[str, Any], name: str) -> dict[str, Any]:
    out = _base(config)
    out.update(
        pool_size=_as_list(config["pool_size"]),
        strides=_as_list(config["strides"]),
        padding=config["padding"],
        data_format=config["data_format"],
    )
    return out


def _convert_flatten(config: dict[str, Any], name: str) -> dict[str, Any]:
    out = _base(config)
    out["data_format"] = config.get("data_format") or "channels_last"
    return out


def _convert_dropout(config: dict[str, Any], name: str) -> dict[str, Any]:
    out = _base(config)
    out["rate"] = float(config["rate"])
    if config.get("noise_shape") is not None:
        out["noise_shape"] = _as_list(config["noise_shape"])
    if config.get("seed") is not None:
        out["seed"] = config["seed"]
    return out


def _convert_batch_normalization(config: dict[str, Any], name: str) -> dict[str, Any]:
    if config.get("renorm"):
        raise ValueError(f"layer {name!r} uses batch renormalization, which tfjs-layers lacks")
    axis = config.get("axis", -1)
    if isinstance(axis, list | tuple):
        if len(axis) != 1:
            raise ValueError(f"layer {name!r} normalises over several axes {axis}; tfjs can't")
        axis = axis[0]
    out = _base(config)
    out.update(
        axis=int(axis),
        momentum=float(config["momentum"]),
        epsilon=float(config["epsilon"]),
        center=bool(config["center"]),
        scale=bool(config["scale"]),
    )
    _put_initializers(
        out,
        config,
        (
            "beta_initializer",
            "gamma_initializer",
            "moving_mean_initializer",
            "moving_variance_initializer",
        ),
    )
    return out


def _convert_activation_layer(config: dict[str, Any], name: str) -> dict[str, Any]:
    out = _base(config)
    out["activation"] = _activation(config["activation"], name)
    return out


def _convert_leaky_relu(config: dict[str, Any], name: str) -> dict[str, Any]:
    """Keras 3 names the slope `negative_slope`; tfjs's LeakyReLU layer calls it `alpha`
    (and defaults it to 0.3, Keras' layer too, so it is always written out)."""
    out = _base(config)
    out["alpha"] = float(config["negative_slope"])
    return out


def _convert_reshape(config: dict[str, Any], name: str) -> dict[str, Any]:
    out = _base(config)
    out["target_shape"] = [int(d) for d in config["target_shape"]]
    return out


_KERNEL_BIAS = frozenset({"kernel", "bias"})
_LAYER_RULES: dict[str, _LayerRule] = {
    "InputLayer": _LayerRule(keras.layers.InputLayer, _convert_input_layer),
    "Dense": _LayerRule(keras.layers.Dense, _convert_dense, _KERNEL_BIAS),
    "Conv2D": _LayerRule(keras.layers.Conv2D, _convert_conv2d, _KERNEL_BIAS),
    "MaxPooling2D": _LayerRule(keras.layers.MaxPooling2D, _convert_max_pooling2d),
    "Flatten": _LayerRule(keras.layers.Flatten, _convert_flatten),
    "Dropout": _LayerRule(keras.layers.Dropout, _convert_dropout),
    "BatchNormalization": _LayerRule(
        keras.layers.BatchNormalization,
        _convert_batch_normalization,
        frozenset({"gamma", "beta", "moving_mean", "moving_variance"}),
    ),
    "Activation": _LayerRule(keras.layers.Activation, _convert_activation_layer),
    "Reshape": _LayerRule(keras.layers.Reshape, _convert_reshape),
    "LeakyReLU": _LayerRule(keras.layers.LeakyReLU, _convert_leaky_relu),
}


# --------------------------------------------------------------------------------------------
# Weights


def _collect_weights(
    model: keras.Model, layer_entries: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], bytes]:
    specs: list[dict[str, Any]] = []
    chunks: list[bytes] = []
    for entry in layer_entries:
        if entry["class_name"] == "InputLayer":
            continue  # a Sequential's InputLayer is not in model.layers, and owns no weights
        name = entry["config"]["name"]
        layer = model.get_layer(name)
        rule = _LAYER_RULES[entry["class_name"]]
        # Exact type: a subclass may override call(), which tfjs would not know about.
        if type(layer) is not rule.keras_class:
            raise ValueError(
                f"layer {name!r} is a {type(layer).__qualname__}, a subclass of "
                f"{entry['class_name']}; the exporter only supports the built-in layer"
            )
        seen: set[str] = set()
        for variable in layer.weights:
            weight_name = variable.name
            # Quantized or LoRA-enabled layers carry extra variables tfjs cannot use.
            if weight_name not in rule.weights or weight_name in seen:
                raise ValueError(
                    f"layer {name!r} has weight {variable.path!r}, which a tfjs "
                    f"{entry['class_name']} has no slot for"
                )
            seen.add(weight_name)
            values = np.ascontiguousarray(variable.numpy(), dtype="<f4")
            specs.append(
                {"name": f"{name}/{weight_name}", "shape": list(values.shape), "dtype": "float32"}
            )
            chunks.append(values.tobytes())
    return specs, b"".join(chunks)
