"""The orientation models: the talk's network scaled to the input, and a small one.

The talk's network: five blocks of a 3×3 convolution with ReLU and a 2×2 max-pool
(16, 32, 48, 64 and 80 filters), a dense layer of 160 with dropout, and a softmax
of four. Scaled to the input size the run chooses: a block's pool is left out once
the image is down to 1 pixel, so 28×28 digits keep four pools (28 → 14 → 7 → 3 → 1)
and 32 pixels and more keep all five. The models themselves come from the shared
classifier (`server/classifier/models.py`).
"""

from __future__ import annotations

from typing import Any

from server.classifier.models import BuiltModel, Output, build_model

TALK_FILTERS = (16, 32, 48, 64, 80)


def talk_layers(side: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for filters in TALK_FILTERS:
        out.append({"type": "conv", "filters": filters, "kernel": 3, "stride": 1})
        if side >= 2:
            out.append({"type": "maxpool", "size": 2})
            side //= 2
    return [*out, {"type": "dense", "units": 160}, {"type": "dropout", "rate": 0.5}]


def small_layers(side: int) -> list[dict[str, Any]]:
    return [{"type": "conv", "filters": 8, "kernel": 3, "stride": 1},
            {"type": "maxpool", "size": 2},
            {"type": "conv", "filters": 16, "kernel": 3, "stride": 1},
            {"type": "maxpool", "size": 2},
            {"type": "dense", "units": 64}]


PRESETS: dict[str, dict[str, Any]] = {
    "talk": {
        "title": "The talk's network",
        "reported": "83% on 40,000 new COCO photos (12 h on a GPU)",
        "note": ("5 × (3×3 conv + ReLU + 2×2 max-pool): 16, 32, 48, 64, 80 filters; dense "
                 "160 + dropout 0.5; softmax 4. Pools stop at 1 pixel."),
        "layersFor": talk_layers,
        "activation": "relu", "init": "glorot", "optimizer": "adam",
        "learningRate": 0.001, "learningRateDecay": None, "batchSize": 100,
    },
    "small": {
        "title": "Small and fast",
        "reported": "",
        "note": "2 × (3×3 conv + ReLU + 2×2 max-pool): 8, 16 filters; dense 64; softmax 4.",
        "layersFor": small_layers,
        "activation": "relu", "init": "glorot", "optimizer": "adam",
        "learningRate": 0.002, "learningRateDecay": None, "batchSize": 100,
    },
}


def preset_values(key: str, side: int, epochs: int) -> dict[str, Any]:
    """A preset's spec values for an input side (its layers scaled to it)."""
    preset = PRESETS[key]
    return {**{k: v for k, v in preset.items()
               if k not in ("title", "reported", "note", "layersFor")},
            "layers": preset["layersFor"](side), "epochs": epochs}


def output_for(side: int, channels: int) -> Output:
    return Output(input_shape=(side, side, channels), classes=4, model_name="orientation",
                  output_name="directions")


def build_orientation_model(spec: Any, *, for_export: bool = False) -> BuiltModel:
    """The Keras model of an orientation spec (side×side×channels in, 4 directions out)."""
    return build_model(spec, output_for(spec.image_size, spec.channels), for_export=for_export)
