"""The compiled epoch loop trains exactly like a plain per-batch Keras loop, and it learns."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from server.problems.playground.datasets import generate
from server.problems.playground.features import feature_matrix
from server.training.dense import build_dense_model, initial_weights
from server.training.engine import Architecture, EpochTrainer, TrainerPool, capacity_for


def _trainer(features: list[str], shape: tuple[int, ...], activation: str = "tanh",
             output: str = "tanh") -> EpochTrainer:
    return EpochTrainer(Architecture(len(features), shape, activation, output, capacity_for(0),
                                     batch_capacity=30))


def _load(trainer: EpochTrainer, dataset: str, features: list[str], batch_size: int,
          seed: str = "0.5", noise: int = 0) -> None:
    split = generate(dataset, noise, 50, seed)
    trainer.load_data(
        feature_matrix(split.train, features), split.train[:, 2],
        feature_matrix(split.test, features), split.test[:, 2], batch_size,
    )


def _reference_epochs(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray, batch_size: int,
                      lr: float, l1: float, l2: float, epochs: int) -> list[np.ndarray]:
    """The obvious eager loop: one GradientTape and one SGD update per batch, in order."""
    hidden = [w.shape[1] for w in weights[0:-2:2]]
    model = build_dense_model(x.shape[1], hidden, "tanh", "tanh")
    model.set_weights(weights)
    optimizer = keras.optimizers.SGD(learning_rate=lr)
    for _ in range(epochs):
        for start in range(0, len(x), batch_size):
            xb = x[start:start + batch_size]
            yb = y[start:start + batch_size, None].astype(np.float32)
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(0.5 * tf.square(model(xb) - yb))
                kernels = [layer.kernel for layer in model.layers]
                loss += l1 * tf.add_n([tf.reduce_sum(tf.abs(k)) for k in kernels])
                loss += 0.5 * l2 * tf.add_n([tf.reduce_sum(tf.square(k)) for k in kernels])
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    return model.get_weights()


@pytest.mark.parametrize(("batch_size", "regularization", "rate"),
                         [(7, "none", 0.0), (10, "L1", 0.01), (30, "L2", 0.03), (1, "none", 0.0)])
def test_compiled_epochs_match_a_plain_keras_loop(batch_size: int, regularization: str,
                                                  rate: float) -> None:
    features = ["x", "y", "xTimesY"]
    split = generate("xor", 10, 30, "0.123")  # 150 training points: the last batch is partial
    x = feature_matrix(split.train, features)
    start = initial_weights(3, (4, 3), np.random.default_rng(7))
    trainer = _trainer(features, (4, 3))
    trainer.load_data(x, split.train[:, 2], x, split.train[:, 2], batch_size)
    trainer.set_weights(start)
    trainer.set_learning_rate(0.1)
    trainer.set_regularization(regularization, rate)
    trainer.train(2)
    expected = _reference_epochs(
        start, x, split.train[:, 2], batch_size, 0.1,
        rate if regularization == "L1" else 0.0, rate if regularization == "L2" else 0.0, 2,
    )
    for got, want in zip(trainer.get_weights(), expected, strict=True):
        np.testing.assert_allclose(got, want, atol=2e-5)


def test_losses_are_half_mean_squared_error_on_each_set() -> None:
    features = ["x", "y"]
    trainer = _trainer(features, (3,))
    split = generate("circle", 0, 40, "0.9")
    trainer.load_data(feature_matrix(split.train, features), split.train[:, 2],
                      feature_matrix(split.test, features), split.test[:, 2], 10)
    weights = initial_weights(2, (3,), np.random.default_rng(1))
    trainer.set_weights(weights)
    losses = trainer.evaluate()

    def forward(points: np.ndarray) -> np.ndarray:
        h = np.tanh(points @ weights[0] + weights[1])
        return np.tanh(h @ weights[2] + weights[3])[:, 0]

    for loss, part in ((losses.train, split.train), (losses.test, split.test)):
        want = np.mean(0.5 * (forward(part[:, :2]) - part[:, 2]) ** 2)
        assert loss == pytest.approx(want, rel=1e-5)
    assert trainer.eager_losses().train == pytest.approx(losses.train, rel=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_circle_default_network_reaches_test_loss_below_005_within_300_epochs(seed: int) -> None:
    trainer = _trainer(["x", "y"], (4, 2))
    _load(trainer, "circle", ["x", "y"], 10)
    trainer.set_weights(initial_weights(2, (4, 2), np.random.default_rng(seed)))
    trainer.set_learning_rate(0.03)
    assert trainer.train(300).test < 0.05


@pytest.mark.parametrize("seed", [0, 1])
def test_xor_with_the_product_feature_reaches_test_loss_below_005(seed: int) -> None:
    features = ["x", "y", "xTimesY"]
    trainer = _trainer(features, (4, 2))
    _load(trainer, "xor", features, 10)
    trainer.set_weights(initial_weights(3, (4, 2), np.random.default_rng(seed)))
    trainer.set_learning_rate(0.03)
    assert trainer.train(300).test < 0.05


def test_without_hidden_layers_circle_cannot_be_learned_from_x1_x2() -> None:
    """The lesson: a straight line cannot separate a circle (and the engine shows it)."""
    trainer = _trainer(["x", "y"], ())
    _load(trainer, "circle", ["x", "y"], 10)
    trainer.set_weights(initial_weights(2, (), np.random.default_rng(0)))
    assert trainer.train(300).test > 0.3


def test_regression_has_a_linear_output_that_fits_the_plane() -> None:
    trainer = _trainer(["x", "y"], (), output="linear")
    _load(trainer, "reg-plane", ["x", "y"], 10)
    trainer.set_weights(initial_weights(2, (), np.random.default_rng(0)))
    trainer.set_learning_rate(0.01)
    trainer.train(100)
    kernel, bias = trainer.get_weights()
    np.testing.assert_allclose(kernel[:, 0], [0.1, 0.1], atol=1e-3)  # label = (x1 + x2) / 10
    assert abs(bias[0]) < 1e-3


def test_a_new_data_set_or_batch_size_reuses_the_compiled_function() -> None:
    trainer = _trainer(["x", "y"], (2,))
    _load(trainer, "circle", ["x", "y"], 10)
    trainer.train(1)
    traced = trainer._run_epochs.experimental_get_tracing_count()
    for dataset, batch_size in (("spiral", 3), ("gauss", 30), ("xor", 1)):
        _load(trainer, dataset, ["x", "y"], batch_size, seed="0.77")
        trainer.set_learning_rate(0.3)
        trainer.train(2)
    assert trainer._run_epochs.experimental_get_tracing_count() == traced


def test_pool_hands_back_the_same_compiled_trainer_for_the_same_architecture() -> None:
    pool = TrainerPool()
    arch = Architecture(2, (3,), "relu", "tanh", capacity_for(0))
    first = pool.acquire(arch)
    pool.release(first)
    assert pool.acquire(arch) is first
    assert pool.acquire(arch) is not first  # in use: a second run gets its own


def test_load_data_rejects_what_does_not_fit() -> None:
    trainer = _trainer(["x"], (1,))
    points = np.zeros((5, 1), np.float32)
    with pytest.raises(ValueError, match="batch size"):
        trainer.load_data(points, np.zeros(5), points, np.zeros(5), 31)
    too_many = np.zeros((capacity_for(0) + 1, 1), np.float32)
    with pytest.raises(ValueError, match="points"):
        trainer.load_data(too_many, np.zeros(len(too_many)), points, np.zeros(5), 10)
