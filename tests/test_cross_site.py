"""Other web sites cannot drive the server: cross-site writes, DNS rebinding, non-JSON bodies.

The test client's requests carry `Host: localhost`, as a page on http://localhost:5000 does.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.api.guard import HostPolicy, allowed_host_name, split_host
from server.config import Config
from tests.conftest import SECOND_LOOPBACK, http_status_and_body


def _run_count(app: Flask) -> int:
    return len(app.extensions["runs"].all())


def _rejected(response: Any, status: int, field: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["field"] == field and body["error"]


# -- bodies ---------------------------------------------------------------------------------

@pytest.mark.parametrize("content_type", [
    "text/plain",  # what <form enctype="text/plain"> sends, with no JavaScript at all
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None])
def test_a_body_that_does_not_say_json_is_415_and_creates_nothing(
        client: FlaskClient, app: Flask, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/api/runs", data=b'{"dataset": "xor", "x": true}', headers=headers)
    _rejected(response, 415, "Content-Type")
    assert "application/json" in response.get_json()["error"]
    assert _run_count(app) == 0


def test_a_patch_with_a_form_body_is_415_and_changes_nothing(client: FlaskClient) -> None:
    run = client.post("/api/runs?state=paused", json={}).get_json()
    response = client.patch(f"/api/runs/{run['id']}", data='{"learningRate": 1}',
                            content_type="text/plain")
    _rejected(response, 415, "Content-Type")
    assert client.get(f"/api/runs/{run['id']}").get_json()["metrics"]["learningRate"] == 0.03


def test_json_with_a_charset_and_requests_without_a_body_pass(client: FlaskClient) -> None:
    response = client.post("/api/runs?state=paused", data=b"{}",
                           content_type="application/json; charset=utf-8")
    assert response.status_code == 201
    run_id = response.get_json()["id"]
    assert client.post(f"/api/runs/{run_id}/step").status_code == 200  # no body, no type
    assert client.delete(f"/api/runs/{run_id}").status_code == 204


def test_a_content_length_over_the_limit_is_413_naming_it(client: FlaskClient) -> None:
    response = client.post("/api/runs", data=b"{" + b" " * (1024 * 1024) + b"}",
                           content_type="application/json")
    _rejected(response, 413, "Content-Length")


# -- Host: DNS rebinding ----------------------------------------------------------------------

@pytest.mark.parametrize("host", ["localhost", "localhost:5000", "127.0.0.1:5000", "[::1]:5000",
                                  "LOCALHOST:5000"])
def test_the_loopback_names_are_served(client: FlaskClient, host: str) -> None:
    assert client.get("/api/runs", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:5000",
                                  "localhost.attacker.example", "192.0.2.9:5000"])
def test_a_rebound_host_name_reads_and_deletes_nothing(client: FlaskClient, host: str) -> None:
    run = client.post("/api/runs?state=paused", json={}).get_json()
    for method, path in [("GET", "/api/runs"), ("GET", f"/api/runs/{run['id']}"),
                         ("GET", f"/api/runs/{run['id']}/export.zip"), ("GET", "/"),
                         ("DELETE", f"/api/runs/{run['id']}")]:
        response = client.open(path, method=method, headers={"Host": host})
        _rejected(response, 421, "Host")
        assert run["id"] not in response.get_data(as_text=True)
    assert client.get(f"/api/runs/{run['id']}").status_code == 200


@pytest.mark.parametrize("host", ["", "a b", "localhost:port", "local/host", "[::1"])
def test_a_malformed_host_is_400(client: FlaskClient, host: str) -> None:
    _rejected(client.get("/api/runs", headers={"Host": host}), 400, "Host")


def test_the_bound_address_allowed_names_and_any_address_when_bound_to_all() -> None:
    loopback = HostPolicy.for_config(Config(bind_host="127.0.0.1"))
    assert not loopback.allows("192.0.2.5") and not loopback.allows("classroom.test")
    named = HostPolicy.for_config(Config(bind_host="127.0.0.2",
                                         allowed_hosts=("classroom.test",)))
    assert named.allows("127.0.0.2") and named.allows("classroom.test")
    assert named.allows("localhost") and not named.allows("other.test")
    everywhere = HostPolicy.for_config(Config(bind_host="0.0.0.0"))
    assert everywhere.allows("192.0.2.5") and everywhere.allows("fe80::1")
    assert not everywhere.allows("attacker.example")
    assert split_host("[::1]:8080") == ("::1", 8080)
    assert allowed_host_name("Classroom.Test") == "classroom.test"
    with pytest.raises(ValueError):
        allowed_host_name("classroom.test:5000")


# -- Origin and Sec-Fetch-Site: cross-site writes -----------------------------------------------

@pytest.mark.parametrize("headers", [
    {"Origin": "http://attacker.example"},
    {"Origin": "http://localhost:8080"},  # another port is another origin
    {"Origin": "https://localhost.attacker.example"},
    {"Origin": "null"},  # a sandboxed frame or a file
    {"Sec-Fetch-Site": "cross-site"},
    {"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"},
])
def test_state_changes_from_another_site_are_403(client: FlaskClient, app: Flask,
                                                 headers: dict[str, str]) -> None:
    run = client.post("/api/runs?state=paused", json={}).get_json()
    field = "Sec-Fetch-Site" if "Sec-Fetch-Site" in headers else "Origin"
    _rejected(client.post("/api/runs", json={}, headers=headers), 403, field)
    _rejected(client.patch(f"/api/runs/{run['id']}", json={"learningRate": 1},
                           headers=headers), 403, field)
    _rejected(client.post(f"/api/runs/{run['id']}/step", headers=headers), 403, field)
    _rejected(client.delete(f"/api/runs/{run['id']}", headers=headers), 403, field)
    after = client.get(f"/api/runs/{run['id']}").get_json()
    assert after["metrics"]["learningRate"] == 0.03 and after["epoch"] == run["epoch"]
    assert _run_count(app) == 1


@pytest.mark.parametrize("headers", [
    {"Origin": "http://localhost"}, {"Origin": "http://localhost:5000", "Host": "localhost:5000"},
    {"Origin": "https://localhost"},  # behind a TLS proxy that passes Host without a port
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}, {"Sec-Fetch-Site": "none"},
    {},  # curl, scripts: no Origin at all
])
def test_the_servers_own_pages_and_scripts_may_change_runs(client: FlaskClient,
                                                           headers: dict[str, str]) -> None:
    created = client.post("/api/runs?state=paused", json={}, headers=headers)
    assert created.status_code == 201
    run_id = created.get_json()["id"]
    assert client.patch(f"/api/runs/{run_id}", json={"learningRate": 0.1},
                        headers=headers).status_code == 200
    assert client.delete(f"/api/runs/{run_id}", headers=headers).status_code == 204


def test_reads_from_another_origin_are_answered(client: FlaskClient) -> None:
    # The browser keeps the answer from the other site's page (no CORS headers are sent).
    response = client.get("/api/catalog", headers={"Origin": "http://attacker.example"})
    assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response.headers


# -- the real server, by its bound address and by an allowed name ----------------------------

def _request(port: int, path: str, host: str, **options: Any) -> tuple[int, bytes]:
    return http_status_and_body(f"http://{SECOND_LOOPBACK}:{port}{path}", host=host, **options)


def test_the_server_answers_its_address_and_allowed_names_only(classroom_server: int) -> None:
    """`tf-playground serve --host 127.0.0.2 --allowed-host classroom.test`, as a classroom
    server is started with its address (a second loopback address stands in for it)."""
    port = classroom_server
    json_type = {"Content-Type": "application/json"}
    for host in (f"127.0.0.2:{port}", f"classroom.test:{port}", f"localhost:{port}"):
        page = f"http://{host}"
        assert _request(port, "/", host)[0] == 200
        status, _ = _request(port, "/api/runs?state=paused", host, method="POST", body=b"{}",
                             headers={**json_type, "Origin": page, "Sec-Fetch-Site": "same-origin"})
        assert status == 201, host
    status, body = _request(port, "/api/runs", f"attacker.example:{port}")
    assert status == 421 and b'"Host"' in body
    status, body = _request(port, "/api/runs", f"127.0.0.2:{port}", method="POST", body=b"{}",
                            headers={"Content-Type": "text/plain"})
    assert status == 415 and b"Content-Type" in body
