"""The data sets must be the classic playground's, point for point.

The reference is JavaScript run by Node: npm ``seedrandom`` (the generator the
playground installs as ``Math.random``) and ``tests/node/playground_datasets.mjs``,
a copy of the playground's ``dataset.ts`` generators, shuffle and split. The
rest checks what the algorithm guarantees (counts, labels, noise behaviour).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from server.problems.playground.datasets import DATASETS, Split, generate, generate_points
from server.problems.playground.seeded_random import SeededRandom
from server.values import new_seed

REPO = Path(__file__).resolve().parents[1]
NODE_DIR = REPO / "tests" / "node"

CLASSIFICATION = ("circle", "xor", "gauss", "spiral")
REGRESSION = ("reg-plane", "reg-gauss")


def run_node(script: str, *args: str) -> object:
    """Run one of the Node helpers from the repository root and parse its JSON output."""
    completed = subprocess.run(
        ["node", str(NODE_DIR / script), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(completed.stdout)


def rows(values: list[list[float]]) -> np.ndarray:
    return np.array(values, dtype=np.float64).reshape(len(values), 3)


def all_points(split: Split) -> np.ndarray:
    """Train then test: the whole shuffled data set."""
    return np.concatenate([split.train, split.test])


# --------------------------------------------------------------------------------------
# SeededRandom against npm seedrandom
# --------------------------------------------------------------------------------------

RNG_SEEDS = ["0.59", "0.83051", "hello.", "", "a seed with spaces", "é€😀", "x" * 300]


def test_seeded_random_matches_npm_seedrandom_exactly() -> None:
    expected = run_node("seedrandom_stream.mjs", "1000", *RNG_SEEDS)
    assert isinstance(expected, dict)
    for seed in RNG_SEEDS:
        rng = SeededRandom(seed)
        got = [rng.random() for _ in range(1000)]
        assert got == expected[seed], f"sequence differs for seed {seed!r}"


def test_seeded_random_readme_values() -> None:
    # seedrandom's README: Math.seedrandom('hello.') then "Always 0.9282578795792454".
    rng = SeededRandom("hello.")
    assert rng.random() == 0.9282578795792454
    assert rng.random() == 0.3752569768646784


def test_seeded_random_range_and_independence() -> None:
    a = SeededRandom("0.5")
    values = [a.random() for _ in range(5000)]
    assert all(0.0 <= v < 1.0 for v in values)
    assert len(set(values)) == len(values)
    assert 0.45 < sum(values) / len(values) < 0.55
    b = SeededRandom("0.5")
    assert [b.random() for _ in range(5000)] == values
    c = SeededRandom("0.50")  # a different string is a different seed
    assert [c.random() for _ in range(10)] != values[:10]


def test_seeded_random_rejects_non_string_seed() -> None:
    with pytest.raises(TypeError):
        SeededRandom(0.59)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Every data set against the JavaScript reference
# --------------------------------------------------------------------------------------

REFERENCE_CASES = [
    {"dataset": dataset, "noise": noise, "percTrainData": perc, "seed": seed}
    for dataset in DATASETS
    for seed, noise, perc in (
        ("0.59", 0, 50),
        ("0.83051", 25, 30),
        ("0.10203", 50, 90),
        ("hello", 5, 10),
        # A link's values off the sliders' steps, and a noise past the slider (to 80).
        ("0.31416", 12, 33),
        ("0.27182", 12.5, 33.3),
        ("0.5", 70, 50),
        ("0.70001", 80, 67),
    )
]
RAW_CASES = [
    {"dataset": dataset, "noise": 35, "seed": "0.4242", "numSamples": count, "raw": True}
    for dataset in DATASETS
    for count in (200, 51)  # the thumbnails' 200, and an odd count (n / 2 not whole)
]


@pytest.fixture(scope="module")
def reference() -> list[dict]:
    result = run_node("playground_datasets.mjs", json.dumps(REFERENCE_CASES + RAW_CASES))
    assert isinstance(result, list)
    assert len(result) == len(REFERENCE_CASES) + len(RAW_CASES)
    return result


@pytest.mark.parametrize("index", range(len(REFERENCE_CASES)))
def test_generate_equals_playground_reference(reference: list[dict], index: int) -> None:
    case = REFERENCE_CASES[index]
    split = generate(case["dataset"], case["noise"], case["percTrainData"], case["seed"])
    expected = reference[index]
    # Exact equality: the same doubles, not merely close ones.
    np.testing.assert_array_equal(split.train, rows(expected["train"]))
    np.testing.assert_array_equal(split.test, rows(expected["test"]))


@pytest.mark.parametrize("index", range(len(RAW_CASES)))
def test_generate_points_equals_playground_generator(reference: list[dict], index: int) -> None:
    case = RAW_CASES[index]
    points = generate_points(case["dataset"], case["noise"], case["seed"], case["numSamples"])
    expected = rows(reference[len(REFERENCE_CASES) + index]["points"])
    np.testing.assert_array_equal(points, expected)


def test_odd_sample_count_rounds_halves_up_like_the_loop() -> None:
    # `for (i = 0; i < 51 / 2; i++)` runs 26 times per half.
    assert len(generate_points("circle", 0, "s", 51)) == 52
    assert len(generate_points("spiral", 0, "s", 51)) == 52
    assert len(generate_points("xor", 0, "s", 51)) == 51


# --------------------------------------------------------------------------------------
# Determinism, sizes and the split
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_same_seed_same_data_other_seed_other_data(dataset: str) -> None:
    a = generate(dataset, 20, 50, "0.31415")
    b = generate(dataset, 20, 50, "0.31415")
    c = generate(dataset, 20, 50, "0.31416")
    np.testing.assert_array_equal(a.train, b.train)
    np.testing.assert_array_equal(a.test, b.test)
    assert not np.array_equal(a.train, c.train)
    assert not np.array_equal(a.train[:, :2], c.train[:, :2])


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_counts_and_split_sizes(dataset: str) -> None:
    total = DATASETS[dataset].num_points
    assert total == (500 if dataset in CLASSIFICATION else 1200)
    whole = None
    for perc in range(10, 91, 5):
        split = generate(dataset, 10, perc, "0.777")
        expected_train = math.floor(total * perc / 100)
        assert split.train.shape == (expected_train, 3)
        assert split.test.shape == (total - expected_train, 3)
        assert split.train.dtype == np.float64
        assert split.test.dtype == np.float64
        # The shuffle does not depend on the percentage: only the cut moves.
        if whole is None:
            whole = all_points(split)
        np.testing.assert_array_equal(all_points(split), whole)


def test_split_extremes_and_readonly() -> None:
    everything = generate("xor", 0, 100, "0.1")
    assert everything.train.shape == (500, 3)
    assert everything.test.shape == (0, 3)
    nothing = generate("xor", 0, 0, "0.1")
    assert nothing.train.shape == (0, 3)
    assert nothing.test.shape == (500, 3)
    with pytest.raises(ValueError):
        everything.train[0, 0] = 1.0


def test_shuffle_is_a_permutation_of_the_generator_output() -> None:
    for dataset in DATASETS:
        raw = generate_points(dataset, 30, "0.9")
        shuffled = all_points(generate(dataset, 30, 50, "0.9"))
        assert not np.array_equal(raw, shuffled)
        order_raw = np.lexsort(raw.T[::-1])
        order_shuffled = np.lexsort(shuffled.T[::-1])
        np.testing.assert_array_equal(raw[order_raw], shuffled[order_shuffled])


# --------------------------------------------------------------------------------------
# Labels and ranges
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", CLASSIFICATION)
@pytest.mark.parametrize("noise", [0, 25, 50])
def test_classification_labels_are_plus_minus_one(dataset: str, noise: int) -> None:
    labels = all_points(generate(dataset, noise, 50, "0.2468"))[:, 2]
    assert set(np.unique(labels)) == {-1.0, 1.0}


@pytest.mark.parametrize("dataset", ["circle", "gauss", "spiral"])
def test_two_class_sets_make_250_of_each(dataset: str) -> None:
    labels = all_points(generate(dataset, 0, 50, "0.2468"))[:, 2]
    assert np.count_nonzero(labels == 1) == 250
    assert np.count_nonzero(labels == -1) == 250


@pytest.mark.parametrize("noise", [0, 50])
def test_reg_gauss_labels_within_unit_interval(noise: int) -> None:
    points = all_points(generate("reg-gauss", noise, 50, "0.1357"))
    labels = points[:, 2]
    assert labels.min() >= -1 and labels.max() <= 1
    assert labels.min() < -0.9 and labels.max() > 0.9
    if noise == 0:
        # Far from every bump (more than 2 away) the label is exactly 0.
        centres = np.array([(-4, 2.5), (0, 2.5), (4, 2.5), (-4, -2.5), (0, -2.5), (4, -2.5)])
        d = np.linalg.norm(points[:, None, :2] - centres[None, :, :], axis=2).min(axis=1)
        assert np.all(labels[d > 2.000001] == 0)
        assert np.all(labels[d < 1.999999] != 0)


def test_reg_plane_label_is_sum_over_ten_and_exceeds_one() -> None:
    # The playground's d3 scale maps x + y from [-10, 10] to [-1, 1] without
    # clamping, and x + y reaches +-12, so labels reach +-1.2 even at noise 0.
    points = all_points(generate("reg-plane", 0, 50, "0.1357"))
    x, y, label = points.T
    np.testing.assert_allclose(label, (x + y) / 10, rtol=0, atol=1e-15)
    assert np.abs(label).max() <= 1.2
    assert np.abs(label).max() > 1.0
    noisy = all_points(generate("reg-plane", 50, 50, "0.1357"))[:, 2]
    assert np.abs(noisy).max() <= 1.8
    assert np.abs(noisy).max() > 1.2


@pytest.mark.parametrize("dataset", ["circle", "xor", "spiral", "reg-plane", "reg-gauss"])
@pytest.mark.parametrize("noise", [0, 50])
def test_points_lie_in_the_square(dataset: str, noise: int) -> None:
    for seed in ("0.1", "0.2", "0.3"):
        xy = all_points(generate(dataset, noise, 50, seed))[:, :2]
        assert np.abs(xy).max() <= 6


def test_gauss_points_in_the_square_at_low_noise_but_not_always_at_high() -> None:
    # Gaussian blobs have no bound: at noise 50 (variance 4, sd 2 around +-2) a
    # few points per set land outside [-6, 6]; the playground draws them off-frame.
    for seed in ("0.1", "0.2", "0.3"):
        xy = all_points(generate("gauss", 0, 50, seed))[:, :2]
        assert np.abs(xy).max() <= 6
    outside = [
        np.count_nonzero(np.abs(all_points(generate("gauss", 50, 50, seed))[:, :2]) > 6)
        for seed in ("0.1", "0.2", "0.3")
    ]
    assert sum(outside) > 0


# --------------------------------------------------------------------------------------
# Noise behaviour
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", ["circle", "xor", "reg-plane", "reg-gauss"])
def test_noise_changes_labels_but_not_points(dataset: str) -> None:
    # The jitter is drawn whatever the noise (then multiplied by it), so the same
    # seed yields the same coordinates in the same order at every noise level.
    quiet = generate(dataset, 0, 50, "0.6789")
    loud = generate(dataset, 50, 50, "0.6789")
    np.testing.assert_array_equal(quiet.train[:, :2], loud.train[:, :2])
    np.testing.assert_array_equal(quiet.test[:, :2], loud.test[:, :2])
    assert not np.array_equal(all_points(quiet)[:, 2], all_points(loud)[:, 2])


def test_circle_labels_follow_radius_without_noise_and_not_with_it() -> None:
    for seed in ("0.11", "0.22"):
        points = all_points(generate("circle", 0, 50, seed))
        x, y = points[:, 0], points[:, 1]
        radius = np.sqrt(x * x + y * y)  # the playground's dist(), rounding included
        inside = points[:, 2] == 1
        np.testing.assert_array_equal(inside, radius < 2.5)
        assert radius[inside].max() <= 2.5
        assert radius[~inside].min() >= 3.5 - 1e-12
        assert radius[~inside].max() <= 5 + 1e-12
        noisy = all_points(generate("circle", 50, 50, seed))
        disagree = np.count_nonzero((noisy[:, 2] == 1) != (radius < 2.5))
        assert 0 < disagree < 250


def test_xor_labels_follow_quadrant_without_noise_and_not_with_it() -> None:
    points = all_points(generate("xor", 0, 50, "0.33"))
    x, y, label = points.T
    assert np.abs(x).min() >= 0.3 and np.abs(y).min() >= 0.3  # pushed away from the axes
    assert np.abs(x).max() <= 5.3 and np.abs(y).max() <= 5.3
    np.testing.assert_array_equal(label, np.where(x * y >= 0, 1.0, -1.0))
    noisy_label = all_points(generate("xor", 50, 50, "0.33"))[:, 2]
    assert 0 < np.count_nonzero(noisy_label != label) < 250


def test_gauss_spreads_with_noise_around_fixed_centres() -> None:
    quiet = all_points(generate("gauss", 0, 50, "0.44"))
    loud = all_points(generate("gauss", 50, 50, "0.44"))
    centres = np.where(quiet[:, 2:3] == 1, 2.0, -2.0)
    np.testing.assert_array_equal(quiet[:, 2], loud[:, 2])  # same shuffle, same labels
    # Same normal draws, scaled by sqrt(variance): sqrt(4) / sqrt(0.5) = sqrt(8).
    np.testing.assert_allclose(
        loud[:, :2] - centres, (quiet[:, :2] - centres) * math.sqrt(8), rtol=1e-9, atol=1e-12
    )
    sd_quiet = (quiet[:, :2] - centres).std()
    sd_loud = (loud[:, :2] - centres).std()
    assert 0.6 < sd_quiet < 0.82  # sqrt(0.5) = 0.707
    assert 1.7 < sd_loud < 2.3  # sqrt(4) = 2


def spiral_arms() -> np.ndarray:
    n = 250
    i = np.arange(n)
    r = i / n * 5
    t = 1.75 * i / n * 2 * np.pi
    first = np.column_stack([r * np.sin(t), r * np.cos(t), np.ones(n)])
    second = np.column_stack([r * np.sin(t + np.pi), r * np.cos(t + np.pi), -np.ones(n)])
    return np.concatenate([first, second])


def test_spiral_lies_on_the_arms_without_noise() -> None:
    arms = spiral_arms()
    points = generate_points("spiral", 0, "0.55")
    np.testing.assert_allclose(points, arms, rtol=0, atol=1e-12)
    # The same holds after the shuffle, up to order; the seed only shuffles here.
    a = all_points(generate("spiral", 0, 50, "0.55"))
    b = all_points(generate("spiral", 0, 50, "0.56"))
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a[np.lexsort(a.T[::-1])], b[np.lexsort(b.T[::-1])])


def test_spiral_noise_moves_points_by_at_most_half_a_unit() -> None:
    offset = generate_points("spiral", 50, "0.55")[:, :2] - spiral_arms()[:, :2]
    assert np.abs(offset).max() <= 0.5 + 1e-12
    assert np.abs(offset).max() > 0.4
    assert np.abs(offset).mean() > 0.1


# --------------------------------------------------------------------------------------
# API surface
# --------------------------------------------------------------------------------------


def test_dataset_catalogue() -> None:
    assert list(DATASETS) == ["circle", "xor", "gauss", "spiral", "reg-plane", "reg-gauss"]
    assert [info.label for info in DATASETS.values()] == [
        "Circle",
        "Exclusive or",
        "Gaussian",
        "Spiral",
        "Plane",
        "Multi Gaussian",
    ]
    for key, info in DATASETS.items():
        assert info.key == key
        assert info.problem == ("classification" if key in CLASSIFICATION else "regression")
    with pytest.raises(TypeError):
        DATASETS["new"] = DATASETS["circle"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("moons", 0, 50, "0.1"), ValueError),
        (("", 0, 50, "0.1"), ValueError),
        (("circle", -5, 50, "0.1"), ValueError),
        (("circle", 101, 50, "0.1"), ValueError),
        (("circle", math.nan, 50, "0.1"), ValueError),
        (("circle", 0, 150, "0.1"), ValueError),
        (("circle", 0, -1, "0.1"), ValueError),
        (("circle", 0, 50, 0.1), TypeError),
        (("circle", "0", 50, "0.1"), TypeError),
    ],
)
def test_generate_rejects_bad_arguments(args: tuple, error: type[Exception]) -> None:
    with pytest.raises(error):
        generate(*args)


def test_new_seed_looks_like_the_playgrounds() -> None:
    seeds = {new_seed() for _ in range(50)}
    assert all(re.fullmatch(r"[01]\.\d{5}", seed) for seed in seeds)
    assert len(seeds) > 40
    seed = next(iter(seeds))
    split = generate("circle", 0, 50, seed)  # usable as a seed straight away
    assert split.train.shape == (250, 3)
