"""Malformed and extreme input at every route: never a 5xx, every rejection names its field."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.problems.playground.choices import DEFAULTS

SPEC_KEYS = [*DEFAULTS, "seed", "preset", "layers", "epochs", "trainImages", "optimizer",
             "dataset", "model", "bogus", ""]
PATCH_KEYS = ["learningRate", "regularizationRate", "state", "weights", "biases", "epoch", "x"]

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
    st.sampled_from(["circle", "mnist", "curve", "relu", "L1", "running", "paused", "NaN",
                     "0.59", "regression", "softmax", "conv"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(st.sampled_from(["type", "units", "layer", "input", "unit", "value",
                                       "to", "steps", "filters", "kernel", "stride"]),
                      inner, max_size=5),
    max_leaves=12,
)
specs = st.dictionaries(st.sampled_from(SPEC_KEYS), json_values, max_size=6)
patches = st.dictionaries(st.sampled_from(PATCH_KEYS), json_values, max_size=4)
raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"", b"{", b"[]", b"null", b"NaN", b'{"learningRate": NaN}',
                     b'{"noise": Infinity}', b'{"networkShape": [1e400]}', b"\xff\xfe",
                     b'{"seed": "\\ud800"}']),
)
ids = st.one_of(st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s and s.strip()),
                st.sampled_from(["..", "%2e%2e", "a" * 500, "null", "0"]))

FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def check(response: Any) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        body = response.get_json(silent=True)
        assert isinstance(body, dict) and body.get("error"), response.get_data()[:200]
        if response.status_code == 400:
            assert isinstance(body.get("field"), str) and body["field"]


def cleanup(app: Flask, response: Any) -> None:
    if response.status_code == 201:
        app.extensions["runs"].delete(response.get_json()["id"])


@FUZZ
@given(spec=specs, problem=st.sampled_from([None, "classification", "regression", "mnist",
                                            "curve"]))
def test_fuzzed_specs(client: FlaskClient, app: Flask, spec: dict, problem: str | None) -> None:
    if problem is not None:
        spec = {**spec, "problem": problem}
    response = client.post("/api/runs", json=spec)
    check(response)
    cleanup(app, response)


@FUZZ
@given(body=raw_bodies)
def test_fuzzed_raw_bodies(client: FlaskClient, app: Flask, body: bytes) -> None:
    response = client.post("/api/runs", data=body, content_type="application/json")
    check(response)
    cleanup(app, response)


@FUZZ
@given(patch=patches, body=raw_bodies)
def test_fuzzed_patches_and_steps(client: FlaskClient, app: Flask, patch: dict,
                                  body: bytes) -> None:
    runs = app.extensions["runs"].all()
    run_id = runs[0].id if runs else client.post("/api/runs", json={}).get_json()["id"]
    check(client.patch(f"/api/runs/{run_id}", json=patch))
    check(client.patch(f"/api/runs/{run_id}", data=body, content_type="application/json"))
    check(client.post(f"/api/runs/{run_id}/step", data=body))
    check(client.get(f"/api/runs/{run_id}"))


@FUZZ
@given(run_id=ids, method=st.sampled_from(["GET", "PATCH", "DELETE", "POST", "PUT"]),
       suffix=st.sampled_from(["", "/events", "/step", "/model.json",
                               "/group1-shard1of1.bin", "/export.zip", "/nothing"]))
def test_fuzzed_ids_and_routes(client: FlaskClient, run_id: str, method: str,
                               suffix: str) -> None:
    response = client.open(f"/api/runs/{run_id}{suffix}", method=method, json={})
    check(response)


def test_the_server_still_trains_after_the_fuzzing(client: FlaskClient) -> None:
    run = client.post("/api/runs", json={"seed": "0.1"}).get_json()
    assert json.loads(client.get(f"/api/runs/{run['id']}").data)["state"] == "running"
