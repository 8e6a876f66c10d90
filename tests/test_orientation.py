"""Which way is up? (issue 15): turns and labels, the split by photo, uploads and their
limits, the run's events and export, and the model in TensorFlow.js in Node."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorflow as tf
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from server.problems.orientation import uploads
from server.problems.orientation.data import photos_data
from server.problems.orientation.job import turn_gather
from server.problems.orientation.models import talk_layers
from server.problems.orientation.photos import (
    Photo,
    crops,
    sample_photos,
    split_by_photo,
)
from server.problems.orientation.rotations import four_turns, turn, upright
from server.problems.orientation.spec import parse_orientation_spec
from server.values import SpecError
from tests.conftest import REPO_ROOT
from tests.sse import SSEStream

UPLOADS = "/api/orientation/uploads"

# An "F": asymmetric under every turn and mirror. Row 0 is the top.
F = np.array([[1, 1, 1, 1],
              [1, 0, 0, 0],
              [1, 1, 1, 0],
              [1, 0, 0, 0]], np.uint8) * 255


# -- turns and labels ---------------------------------------------------------------------------

def test_a_known_asymmetric_image_turned_to_each_direction() -> None:
    # right: the F's top (its long bar) now runs down the right-hand edge
    assert np.array_equal(turn(F, 1)[:, -1], F[0])
    assert np.array_equal(turn(F, 1), np.array([[1, 1, 1, 1],
                                                [0, 1, 0, 1],
                                                [0, 1, 0, 1],
                                                [0, 0, 0, 1]], np.uint8) * 255)
    # down: upside down; left: the top runs up the left-hand edge
    assert np.array_equal(turn(F, 2), F[::-1, ::-1])
    assert np.array_equal(turn(F, 3)[::-1, 0], F[0])
    for direction in range(4):
        assert np.array_equal(upright(turn(F, direction), direction), F)


def test_four_turns_are_labelled_by_their_direction() -> None:
    images = np.stack([F, F.T])  # two different images
    turned, labels, source = four_turns(images)
    assert labels.tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    assert source.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    for i, (label, index) in enumerate(zip(labels, source, strict=True)):
        assert np.array_equal(turned[i], turn(images[index], label))


@pytest.mark.parametrize("channels", [1, 3])
def test_the_training_graph_turns_and_labels_as_numpy_does(channels: int) -> None:
    rng = np.random.default_rng(0)
    shape = (3, 6, 6) if channels == 1 else (3, 6, 6, 3)
    images = rng.integers(0, 256, shape, dtype=np.uint8)
    images[0, :2, :2] = 0
    images[0, :3, :] = 255 if channels == 1 else images[0, :3, :]
    indices = tf.constant(np.arange(12, dtype=np.int32)[::-1].copy())
    seen, labels = turn_gather(tf.Variable(images), tf.Variable(np.zeros(12, np.int32)),
                               indices)
    for row, example in enumerate(indices.numpy()):
        assert labels.numpy()[row] == example % 4
        assert np.array_equal(seen.numpy()[row], turn(images[example // 4], example % 4))


# -- photos, crops and the split ----------------------------------------------------------------

def _colour_photo(name: str, value: int, size: tuple[int, int] = (120, 90)) -> Photo:
    return Photo(name, np.full((size[1], size[0], 3), value, np.uint8))


def test_no_photo_is_both_trained_and_tested_on() -> None:
    photos = [_colour_photo(f"p{i}", 10 * (i + 1)) for i in range(10)]
    photos += [_colour_photo(f"small{i}", 200 + i, (25, 25)) for i in range(10)]
    split = split_by_photo(photos, seed=3)
    train = {p.name for p in split.train}
    test = {p.name for p in split.test}
    assert train and test and not train & test and train | test == {p.name for p in photos}
    assert any(n.startswith("small") for n in test) and any(n.startswith("p") for n in test)
    spec = parse_orientation_spec({"dataset": "photos", "imageSize": 32, "trainImages": 300,
                                   "preset": "small"})
    data = photos_data(split, spec, "test photos")
    # Every photo is one flat colour: a crop's colour says which photo it came from.
    colours = {p.name: p.pixels[0, 0, 0] for p in photos}
    assert set(np.unique(data.x_train)) <= {colours[n] for n in train}
    assert set(np.unique(data.x_test)) <= {colours[n] for n in test}
    assert data.x_train.shape == (300, 32, 32, 3) and len(data.y_train) == 1200
    assert data.y_test.tolist()[:8] == [0, 1, 2, 3, 0, 1, 2, 3]
    assert set(data.test_names) == test and set(data.train_names) == train


def test_the_sample_photos_are_split_by_photo() -> None:
    photos = sample_photos()
    assert len(photos) == 109 and all(p.pixels.dtype == np.uint8 for p in photos)
    split = split_by_photo(photos, seed=0)
    large_test = [p.name for p in split.test if not p.name.startswith("face")]
    large_train = [p.name for p in split.train if not p.name.startswith("face")]
    assert len(large_test) == 2 and len(large_train) == 7
    assert not {p.name for p in split.train} & {p.name for p in split.test}
    assert split_by_photo(photos, seed=0) == split  # seeded: the same split every time


def test_crops_are_shared_out_by_photo_size_and_start_with_the_centre() -> None:
    big = Photo("big", np.arange(200 * 300 * 3, dtype=np.uint32).reshape(200, 300, 3)
                .astype(np.uint8))
    tiny = _colour_photo("tiny", 7, (25, 25))
    out = crops([big, tiny], 9, 16, seed=1, flips=False)
    assert out.shape == (9, 16, 16, 3)
    assert np.sum(np.all(out == 7, axis=(1, 2, 3))) == 1  # 25 / 225 of 9 crops: one
    centre = np.asarray(Image.fromarray(big.pixels[:, 50:250]).resize(
        (16, 16), Image.Resampling.BILINEAR, reducing_gap=2.0))
    assert np.array_equal(out[0], centre)


# -- specs --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "field"), [
    ({"dataset": "photos", "imageSize": 28}, "imageSize"),
    ({"dataset": "digits", "imageSize": 64}, "imageSize"),
    ({"dataset": "digits", "upload": "AAAAAAAAAAAAAAAA"}, "upload"),
    ({"dataset": "uploaded"}, "upload"),
    ({"dataset": "uploaded", "upload": "../../etc/passwd"}, "upload"),
    ({"dataset": "photos", "imageSize": 96, "trainImages": 20_000}, "trainImages"),
    ({"dataset": "sky"}, "dataset"),
    ({"shift": 2}, "shift"),
    ({"imageSize": True}, "imageSize"),
])
def test_bad_specs_name_their_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_orientation_spec(raw)
    assert caught.value.field == field


def test_the_talks_network_is_scaled_to_the_input() -> None:
    for side, pools in ((28, 4), (32, 5), (96, 5)):
        layers = talk_layers(side)
        assert [la["filters"] for la in layers if la["type"] == "conv"] == [16, 32, 48, 64, 80]
        assert sum(la["type"] == "maxpool" for la in layers) == pools
        assert layers[-2:] == [{"type": "dense", "units": 160},
                               {"type": "dropout", "rate": 0.5}]
    spec = parse_orientation_spec({"dataset": "photos", "imageSize": 64})
    assert parse_orientation_spec(spec.to_json()) == spec


# -- uploads ------------------------------------------------------------------------------------

def _png(width: int, height: int, seed: int = 0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


def _jpeg(width: int, height: int, exif_orientation: int | None = None) -> bytes:
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[: height // 4] = (255, 0, 0)  # a red band along the top
    image = Image.fromarray(pixels)
    out = io.BytesIO()
    if exif_orientation:
        exif = image.getexif()
        exif[0x0112] = exif_orientation
        image.save(out, "JPEG", quality=95, exif=exif)
    else:
        image.save(out, "JPEG", quality=95)
    return out.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that says it is width × height and holds almost nothing (a few bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def _new_set(client: FlaskClient) -> str:
    response = client.post(UPLOADS)
    assert response.status_code == 201
    return response.get_json()["id"]


def _send(client: FlaskClient, set_id: str, name: str, data: bytes,
          content_type: str = "image/png", **headers: str) -> Any:
    return client.post(f"{UPLOADS}/{set_id}/photos?name={name}", data=data,
                       headers={"Content-Type": content_type, **headers})


def test_bad_files_are_skipped_and_named(client: FlaskClient) -> None:
    set_id = _new_set(client)
    good = _send(client, set_id, "holiday.png", _png(300, 200))
    assert good.status_code == 201 and good.get_json() == {
        "name": "holiday.png", "width": 300, "height": 200, "photos": 1}
    cases = {
        "truncated.jpg": (_jpeg(400, 300)[:1500], "image/jpeg", "cannot be decoded"),
        "notes.png": (b"shopping list: eggs, milk\n" * 10, "image/png", "not a JPEG or PNG"),
        "huge.png": (_png_header_only(20_000, 20_000), "image/png", "too large"),
        "wide.png": (_png_header_only(13_000, 10), "image/png", "13,000 × 10 pixels"),
        "anim.gif": (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "application/octet-stream",
                     "not a JPEG or PNG"),
        "empty.jpg": (b"", "image/jpeg", "empty"),
    }
    for name, (data, content_type, reason) in cases.items():
        started = time.perf_counter()
        response = _send(client, set_id, name, data, content_type)
        body = response.get_json()
        assert response.status_code == 400, name
        assert body["field"] == "file" and body["name"] == name and reason in body["error"], body
        assert time.perf_counter() - started < 5, f"{name} took long to refuse"
    listed = client.get(f"{UPLOADS}/{set_id}").get_json()
    assert [p["name"] for p in listed["photos"]] == ["holiday.png"]
    assert [r["name"] for r in listed["rejected"]] == list(cases)
    assert listed["inUse"] is False


def test_upload_limits(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    set_id = _new_set(client)
    too_big = _send(client, set_id, "big.png", b"\x00" * (uploads.MAX_FILE_BYTES + 1))
    assert too_big.status_code == 413 and too_big.get_json()["field"] == "Content-Length"
    form = _send(client, set_id, "x.png", _png(8, 8), "text/plain")
    assert form.status_code == 415
    cross_site = _send(client, set_id, "x.png", _png(8, 8), Origin="https://evil.example")
    assert cross_site.status_code == 403
    assert _send(client, "AAAAAAAAAAAAAAAA", "x.png", _png(8, 8)).status_code == 404
    assert client.get(f"{UPLOADS}/..%2F..%2Fetc").status_code == 404
    monkeypatch.setattr(uploads, "MAX_PHOTOS", 2)
    for i in range(2):
        assert _send(client, set_id, f"{i}.png", _png(64, 64, i)).status_code == 201
    full = _send(client, set_id, "third.png", _png(64, 64))
    assert full.status_code == 400 and "already holds 2 photos" in full.get_json()["error"]
    monkeypatch.setattr(uploads, "MAX_PIXELS", 100 * 100)
    assert _send(client, "AAAAAAAAAAAAAAAA", "x.png", b"").status_code == 404


def test_a_kept_photo_is_small_and_upright_by_its_exif(client: FlaskClient, app: Flask) -> None:
    set_id = _new_set(client)
    # Orientation 6: the camera was turned; the viewer turns the stored pixels clockwise.
    kept = _send(client, set_id, "phone.jpg", _jpeg(1200, 800, exif_orientation=6),
                 "image/jpeg").get_json()
    assert (kept["width"], kept["height"]) == (256, 384)  # portrait, shorter side 256
    from server.problems.orientation.problem import ORIENTATION

    photo = ORIENTATION.uploads(app.config["PLAYGROUND"]).photos(set_id)[0]
    red = photo.pixels[..., 0] > 150
    assert red[:, -20:].mean() > 0.9 and red[:, :100].mean() < 0.05  # the top band is now right


def test_an_uploaded_run_trains_on_its_set_and_takes_it_when_deleted(
        client: FlaskClient, app: Flask) -> None:
    set_id = _new_set(client)
    refused = client.post("/api/runs?state=paused", json={
        "problem": "orientation", "dataset": "uploaded", "upload": set_id})
    assert refused.status_code == 400 and refused.get_json()["field"] == "upload"
    for i in range(3):
        _send(client, set_id, f"photo{i}.png", _png(120 + 10 * i, 100, seed=i))
    spec = {"problem": "orientation", "dataset": "uploaded", "upload": set_id,
            "preset": "small", "imageSize": 32, "trainImages": 100}
    first = client.post("/api/runs?state=paused", json=spec).get_json()
    second = client.post("/api/runs?state=paused", json=spec).get_json()
    setup = first["setup"]
    assert len(setup["trainPhotos"]) == 2 and len(setup["testPhotos"]) == 1
    assert not set(setup["trainPhotos"]) & set(setup["testPhotos"])
    assert client.delete(f"{UPLOADS}/{set_id}").status_code == 409
    assert client.delete(f"/api/runs/{first['id']}").status_code == 204
    assert client.get(f"{UPLOADS}/{set_id}").status_code == 200  # the second run names it
    assert client.delete(f"/api/runs/{second['id']}").status_code == 204
    assert client.get(f"{UPLOADS}/{set_id}").status_code == 404
    folder = Path(app.config["PLAYGROUND"].data_dir) / "uploads" / set_id
    assert not folder.exists()


def test_an_unused_set_is_deleted_on_request(client: FlaskClient) -> None:
    set_id = _new_set(client)
    _send(client, set_id, "a.png", _png(50, 50))
    assert client.delete(f"{UPLOADS}/{set_id}").status_code == 204
    assert client.get(f"{UPLOADS}/{set_id}").status_code == 404


def test_the_catalogue_describes_data_sets_presets_and_upload_limits(client: FlaskClient) -> None:
    catalog = client.get("/api/catalog").get_json()
    assert {"key": "orientation", "label": "Which way is up?", "page": "/orientation.html",
            "aliases": []} in catalog["problems"]
    section = catalog["orientation"]
    assert [d["key"] for d in section["datasets"]] == ["digits", "photos", "uploaded"]
    assert [p["key"] for p in section["presets"]] == ["talk", "small"]
    assert section["presets"][0]["layersBySize"]["32"] == talk_layers(32)
    assert section["uploads"]["maxPhotos"] == uploads.MAX_PHOTOS
    assert [c["key"] for c in section["classes"]] == ["up", "right", "down", "left"]


# -- runs, events and the export ----------------------------------------------------------------

def _wait_until_finished(client: FlaskClient, run_id: str, timeout: float = 240
                         ) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        summary = client.get(f"/api/runs/{run_id}").get_json()
        if summary["state"] in ("finished", "diverged"):
            return summary
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")


def test_a_photos_run_streams_metrics_and_evaluations_and_finishes(live_server: str) -> None:
    from tests.sse import call

    run = call(live_server, "POST", "/api/runs", {
        "problem": "orientation", "dataset": "photos", "preset": "small", "imageSize": 32,
        "trainImages": 200, "epochs": 2, "batchSize": 50})
    assert run["problem"] == "orientation" and run["setup"]["trainExamples"] == 800
    stream = SSEStream(f"{live_server}/api/runs/{run['id']}/events", timeout=240)
    seen: dict[str, Any] = {}
    for event in stream:
        seen[event.kind] = event.data
        if event.kind == "status" and event.data["state"] == "finished":
            break
    stream.close()
    assert "testAccuracy" in seen["metrics"]
    evaluation = seen["evaluation"]
    confusion = np.array(evaluation["confusion"])
    assert confusion.shape == (4, 4) and confusion.sum() == run["setup"]["testExamples"]
    assert evaluation["perClass"] == pytest.approx(
        list(np.diag(confusion) / confusion.sum(axis=1)))
    right = np.trace(confusion)
    assert evaluation["pass"]["count"] == min(12, right)
    assert evaluation["fail"]["count"] == min(12, confusion.sum() - right)
    gallery = evaluation["pass"]
    assert len(gallery["labels"]) == gallery["count"]
    assert gallery["labels"] == gallery["predicted"]
    assert all(0.25 <= c <= 1 for c in gallery["confidence"])
    import base64

    assert len(base64.b64decode(gallery["pixels"])) == gallery["count"] * 32 * 32 * 3
    assert {p["name"] for p in evaluation["perPhoto"]} == set(run["setup"]["testPhotos"])
    call(live_server, "DELETE", f"/api/runs/{run['id']}")


@pytest.mark.usefixtures("mnist")
def test_a_digits_run_reports_accuracy_per_digit(client: FlaskClient, app: Flask) -> None:
    run = client.post("/api/runs", json={
        "problem": "orientation", "dataset": "digits", "preset": "small",
        "trainImages": 500, "epochs": 1}).get_json()
    assert run["setup"]["testExamples"] == 40_000 and run["setup"]["channels"] == 1
    summary = _wait_until_finished(client, run["id"])
    assert 0.25 < summary["metrics"]["testAccuracy"] <= 1
    latest = app.extensions["runs"].get(run["id"]).events.latest("evaluation")
    assert latest is not None
    evaluation = latest.data
    assert len(evaluation["perDigit"]) == 10
    assert np.array(evaluation["confusion"]).sum() == 40_000


def _predict_in_node(directory: Path, images: np.ndarray) -> np.ndarray:
    (directory / "inputs.json").write_text(json.dumps(images.tolist()))
    subprocess.run(["node", str(REPO_ROOT / "tests/node/predict_layers_model.mjs"),
                    str(directory), str(directory / "inputs.json"), str(directory / "out.json")],
                   check=True, capture_output=True, cwd=REPO_ROOT)
    return np.array(json.loads((directory / "out.json").read_text())["outputs"][0])


def test_the_exported_talk_network_predicts_in_node_as_in_keras(client: FlaskClient, app: Flask,
                                                                tmp_path: Path) -> None:
    run = client.post("/api/runs?state=paused", json={
        "problem": "orientation", "dataset": "photos", "preset": "talk", "imageSize": 32,
        "trainImages": 100}).get_json()
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/runs/{run['id']}/export.zip").data))
    for name in archive.namelist():
        if name.startswith("model.json") or name.endswith(".bin"):
            (tmp_path / name).write_bytes(archive.read(name))
    metadata = json.loads(archive.read("metadata.json"))
    assert metadata["input"]["shape"] == [None, 32, 32, 3] and metadata["classes"] == [
        "up", "right", "down", "left"]
    assert metadata["preprocessing"]["crop"] == "centre square"
    assert metadata["problem"] == "orientation" and metadata["page"]["channels"] == 3
    assert any("by 255" in step for step in metadata["input"]["preparation"])
    assert ".reshape([-1, 32, 32, 3])" in archive.read("README.txt").decode()
    assert "index.html" in archive.namelist() and "js/export-orientation.js" in archive.namelist()
    job = app.extensions["runs"].get(run["id"]).job
    model = job.build_export_model()
    rng = np.random.default_rng(4)
    # Weights of the run, scaled up so every layer's output matters to the softmax.
    _, weights = job.latest_weights()
    model.set_weights([w * 1.5 for w in weights])
    (tmp_path / "model.json").unlink()
    from exporter.tfjs import write_tfjs

    write_tfjs(model, tmp_path)
    images = rng.uniform(0, 1, (8, 32, 32, 3)).astype(np.float32)
    expected = model(images, training=False).numpy()
    assert np.max(np.abs(_predict_in_node(tmp_path, images) - expected)) <= 1e-5
    assert not np.allclose(expected, 0.25, atol=1e-3)  # not a trivially uniform answer


def test_a_disk_that_cannot_take_the_photo_is_a_507_naming_it(
        client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    set_id = _new_set(client)
    photo = _png(40, 40)

    def full_disk(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", full_disk)
    response = _send(client, set_id, "a.png", photo)
    assert response.status_code == 507 and response.get_json()["field"] == "upload"
    assert "No space left" in response.get_json()["error"]
    monkeypatch.undo()
    assert client.get(f"{UPLOADS}/{set_id}").get_json()["photos"] == []
    folder = Path(app.config["PLAYGROUND"].data_dir) / "uploads" / set_id
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json"]


def test_an_uploaded_run_comes_back_after_a_restart_with_its_photos(tmp_path: Path) -> None:
    from server.app import create_app, shutdown
    from server.config import Config

    first = create_app(Config(data_dir=tmp_path, warm_up=False))
    client = first.test_client()
    set_id = _new_set(client)
    for i in range(3):
        _send(client, set_id, f"p{i}.png", _png(100, 80, seed=i))
    spec = {"problem": "orientation", "dataset": "uploaded", "upload": set_id,
            "preset": "small", "imageSize": 32, "trainImages": 100}
    run = client.post("/api/runs?state=paused", json=spec).get_json()
    other = client.post("/api/runs?state=paused", json=spec).get_json()
    shutdown(first)
    second = create_app(Config(data_dir=tmp_path, warm_up=False))
    try:
        client = second.test_client()
        # Deleted while only in the store: the set stays, the run still there names it.
        assert client.delete(f"/api/runs/{other['id']}").status_code == 204
        assert client.get(f"{UPLOADS}/{set_id}").get_json()["inUse"] is True
        back = client.get(f"/api/runs/{run['id']}").get_json()
        assert back["setup"]["trainPhotos"] == run["setup"]["trainPhotos"]
        assert client.delete(f"/api/runs/{run['id']}").status_code == 204
        assert client.get(f"{UPLOADS}/{set_id}").status_code == 404
    finally:
        shutdown(second)
