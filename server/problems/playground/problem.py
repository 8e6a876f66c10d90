"""The playground as a problem plug-in: its spec, live changes, job and catalogue."""

from __future__ import annotations

from typing import Any

from server.config import Config
from server.problem import JobContext, Problem
from server.problems.playground import choices
from server.problems.playground.datasets import DATASETS
from server.problems.playground.features import FEATURES
from server.problems.playground.job import PlaygroundJob
from server.problems.playground.many_classes import MANY_CLASS_DATASETS
from server.problems.playground.spec import (
    OPTIMIZER_KEYS,
    PATCH_FIELDS,
    PlaygroundSpec,
    parse_pace,
    parse_playground_spec,
)
from server.runs.run import Job
from server.training.pace import PACES
from server.values import SpecError, choice, new_seed, number, seed_text, whole_number

MAX_EDITED_WEIGHT = 100.0  # a weight or bias typed into the network view


class PlaygroundProblem(Problem):
    key = "playground"
    label = "Playground"
    page = "/"
    aliases = ("classification", "regression")

    def parse_spec(self, raw: dict[str, Any], config: Config) -> PlaygroundSpec:
        return parse_playground_spec(raw, config)

    def parse_changes(self, body: dict[str, Any], job: Job) -> dict[str, Any]:
        """Rates, the pace, new points (`seed`: a seed, or null to draw one — the classic's
        Regenerate), and weights or biases edited in the network view (checked against
        its shape)."""
        for key in body:
            if key not in PATCH_FIELDS:
                raise SpecError(str(key), f"unknown field; a playground run takes state, "
                                          f"{', '.join(PATCH_FIELDS)}")
        changes: dict[str, Any] = {}
        if "learningRate" in body:
            changes["learningRate"] = choices.LEARNING_RATE.check("learningRate",
                                                                  body["learningRate"])
        if "regularizationRate" in body:
            changes["regularizationRate"] = choices.REGULARIZATION_RATE.check(
                "regularizationRate", body["regularizationRate"])
        if "pace" in body:
            changes["pace"] = parse_pace(body["pace"])
        if "frameRate" in body:
            changes["frameRate"] = choices.FRAME_RATE.check("frameRate", body["frameRate"])
        if "optimizer" in body:
            changes["optimizer"] = choice("optimizer", body["optimizer"], OPTIMIZER_KEYS)
        if "seed" in body:
            changes["seed"] = (new_seed() if body["seed"] is None
                               else seed_text("seed", body["seed"], choices.MAX_SEED_LENGTH))
        # A PlaygroundJob, or on a cluster the `RemoteJob` that mirrors one.
        arch = job.architecture  # type: ignore[attr-defined]
        sizes = [arch.num_inputs, *arch.hidden_layers, arch.outputs]
        if "weights" in body:
            changes["weights"] = [_weight_edit(edit, sizes)
                                  for edit in _edit_list(body["weights"], "weights")]
        if "biases" in body:
            changes["biases"] = [_bias_edit(edit, sizes)
                                 for edit in _edit_list(body["biases"], "biases")]
        return changes

    def make_job(self, spec: PlaygroundSpec, context: JobContext) -> PlaygroundJob:
        return PlaygroundJob(spec, context.scheduler,
                             max_snapshot_rate=context.config.max_snapshot_rate)

    def catalog(self, config: Config) -> dict[str, Any]:
        return {
            "problemTypes": [{"key": k, "label": label} for k, label in choices.PROBLEM_TYPES],
            "datasets": {
                problem: [
                    *({"key": info.key, "label": info.label, "points": info.num_points,
                       "classes": 2 if problem == "classification" else None}
                      for info in DATASETS.values() if info.problem == problem),
                    *({"key": info.key, "label": info.label, "points": info.num_points,
                       "classes": info.classes}
                      for info in MANY_CLASS_DATASETS.values()
                      if problem == "classification"),
                ]
                for problem, _ in choices.PROBLEM_TYPES
            },
            "features": [
                {"key": key, "label": label, "expression": expression}
                for key, label, expression in FEATURES
            ],
            "activations": [{"key": k, "label": label, "keras": keras_name}
                            for k, label, keras_name in choices.ACTIVATION_CHOICES],
            "optimizers": [{"key": k, "label": label, "keras": keras_name}
                           for k, label, keras_name in choices.OPTIMIZERS],
            "dropoutRates": list(choices.DROPOUT_RATES),
            "manyClassOutputActivation": choices.MANY_CLASS_OUTPUT_ACTIVATION,
            "outputActivation": choices.OUTPUT_ACTIVATION,
            "regularizations": [{"key": k, "label": label}
                                for k, label in choices.REGULARIZATIONS],
            "paces": [{"key": k, "label": label} for k, label in PACES],
            "learningRates": list(choices.LEARNING_RATES),
            "regularizationRates": list(choices.REGULARIZATION_RATES),
            "limits": {
                "hiddenLayers": {"min": 0, "max": config.max_hidden_layers},
                "neurons": {"min": 1, "max": config.max_neurons},
                "batchSize": choices.BATCH_SIZE.to_json(),
                "noise": choices.NOISE.to_json(),
                "percTrainData": choices.PERC_TRAIN_DATA.to_json(),
                "learningRate": choices.LEARNING_RATE.to_json(),
                "regularizationRate": choices.REGULARIZATION_RATE.to_json(),
                "editedWeight": {"min": -MAX_EDITED_WEIGHT, "max": MAX_EDITED_WEIGHT},
                "seedLength": choices.MAX_SEED_LENGTH,
                "frameRate": choices.FRAME_RATE.to_json(),
                "dropout": choices.DROPOUT.to_json(),
                "points": {"min": 2, "max": choices.MAX_POINTS},
                "sharedPoints": choices.MAX_SHARED_POINTS,
                "classes": {"min": 2, "max": choices.MAX_CLASSES},
            },
            "inputRange": list(choices.INPUT_RANGE),
            "defaults": choices.DEFAULTS,
        }


def _edit_list(value: Any, field: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise SpecError(field, "must be a list of objects")
    return value


def _index(edit: dict[str, Any], key: str, field: str, size: int) -> int:
    return whole_number(f"{field}.{key}", edit.get(key), 0, size - 1)


def _weight_edit(edit: dict[str, Any], sizes: list[int]) -> dict[str, Any]:
    """`{layer, input, unit, value}`: layer counts Dense layers from 0 (the first hidden one)."""
    layer = _index(edit, "layer", "weights", len(sizes) - 1)
    return {
        "layer": layer,
        "input": _index(edit, "input", "weights", sizes[layer]),
        "unit": _index(edit, "unit", "weights", sizes[layer + 1]),
        "value": number("weights.value", edit.get("value"),
                        -MAX_EDITED_WEIGHT, MAX_EDITED_WEIGHT),
    }


def _bias_edit(edit: dict[str, Any], sizes: list[int]) -> dict[str, Any]:
    layer = _index(edit, "layer", "biases", len(sizes) - 1)
    return {
        "layer": layer,
        "unit": _index(edit, "unit", "biases", sizes[layer + 1]),
        "value": number("biases.value", edit.get("value"), -MAX_EDITED_WEIGHT, MAX_EDITED_WEIGHT),
    }


PLAYGROUND = PlaygroundProblem()
