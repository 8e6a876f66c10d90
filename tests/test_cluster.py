"""Runs on a Ray cluster (`serve --ray`): the same runs, events and exports as on one
machine, and a node can leave without a run losing more than a checkpoint interval.

One local cluster for the module (`ray.cluster_utils.Cluster`, as Ray's own tests use):
a head that trains nothing and two worker nodes of one CPU each, every node on
127.0.0.1 (`RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`, set before Ray starts): no traffic
leaves this machine. The node-loss test runs last in the module: it removes a node.
"""

from __future__ import annotations

import os

# Before Ray is imported: every node on loopback, and nothing reported to Ray's makers.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask

from server.app import create_app, shutdown
from server.config import Config
from server.problems.playground.job import PlaygroundJob
from server.problems.playground.spec import parse_playground_spec
from server.runs.events import EventLog
from server.serving import bind_sockets, create_server
from tests.conftest import REPO_ROOT, server_mnist_path
from tests.sse import SSEStream, call

ray = pytest.importorskip("ray", reason="the cluster tests need Ray: pip install -e '.[cluster]'")
cluster_utils = pytest.importorskip("ray.cluster_utils")

SPEC = {"seed": "cluster-test", "dataset": "circle", "networkShape": [4, 2]}
WAIT_S = 180.0  # the first call to a node waits for TensorFlow to load there


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    nodes = cluster_utils.Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    workers = [nodes.add_node(num_cpus=1) for _ in range(2)]
    nodes.wait_for_nodes()
    nodes.workers = workers
    yield nodes
    nodes.shutdown()


@pytest.fixture(scope="module")
def front(cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """A server whose runs train on the cluster (warm-up off: the tests compile little)."""
    config = Config(data_dir=tmp_path_factory.mktemp("cluster-data"), ray_address=cluster.address,
                    warm_up=False, heartbeat_s=1.0, mnist_path=server_mnist_path())
    application = create_app(config)
    yield application
    shutdown(application)


@pytest.fixture(scope="module")
def front_url(front: Flask) -> Iterator[str]:
    server = create_server(front, front.config["PLAYGROUND"], bind_sockets("127.0.0.1", 0),
                           threads=16)
    thread = threading.Thread(target=server.run, name="cluster-front", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(autouse=True)
def _delete_cluster_runs(front: Flask) -> Iterator[None]:
    yield
    registry = front.extensions["runs"]
    for run in registry.all():
        registry.delete(run.id)


def _until(condition: Any, timeout: float = WAIT_S, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _exported_weights(base: str, run_id: str) -> list[np.ndarray]:
    """The TF.js export's weights, decoded by its manifest."""
    manifest = call(base, "GET", f"/api/runs/{run_id}/model.json")["weightsManifest"][0]
    with urllib.request.urlopen(f"{base}/api/runs/{run_id}/group1-shard1of1.bin",
                                timeout=60) as response:
        data = response.read()
    arrays, offset = [], 0
    for entry in manifest["weights"]:
        count = int(np.prod(entry["shape"]))
        arrays.append(np.frombuffer(data, np.float32, count, offset).reshape(entry["shape"]))
        offset += 4 * count
    return arrays


def test_a_run_on_the_cluster_trains_and_exports_exactly_as_here(
        front: Flask, front_url: str, app: Flask) -> None:
    """Same spec and initial weights: after N steps on a node, the same weights, losses and
    export as the same job trained in this process."""
    run = call(front_url, "POST", "/api/runs?state=paused", SPEC)
    remote = front.extensions["runs"].get(run["id"])
    _, initial = remote.job.latest_weights()
    here = PlaygroundJob(parse_playground_spec(SPEC, app.config["PLAYGROUND"]),
                         app.extensions["scheduler"], max_snapshot_rate=30.0)
    here.restore(0, initial, {}, [])
    local_events = EventLog()
    here.start(local_events)
    # Its first snapshot comes from the node (TensorFlow loaded there) before any step.
    _until(lambda: remote.events.latest("snapshot") is not None, what="the node's first snapshot")
    try:
        for _ in range(5):
            call(front_url, "POST", f"/api/runs/{run['id']}/step")
            here.train(single_step=True)
        assert call(front_url, "GET", f"/api/runs/{run['id']}")["epoch"] == 5
        epoch, trained = remote.job.latest_weights()
        assert epoch == 5
        for mine, theirs in zip(here.latest_weights()[1], trained, strict=True):
            np.testing.assert_allclose(theirs, mine, rtol=1e-5, atol=1e-6)
        assert not np.allclose(trained[0], initial[0])  # it did train
        for mine, exported in zip(here.latest_weights()[1],
                                  _exported_weights(front_url, run["id"]), strict=True):
            np.testing.assert_allclose(exported, mine, rtol=1e-5, atol=1e-6)
        # The same events reach the stream: statuses, then snapshots up to epoch 5.
        cluster_snapshot = remote.events.latest("snapshot").data
        local_snapshot = local_events.latest("snapshot").data
        assert cluster_snapshot.keys() == local_snapshot.keys()
        assert cluster_snapshot["epoch"] == local_snapshot["epoch"] == 5
        assert cluster_snapshot["trainLoss"] == pytest.approx(local_snapshot["trainLoss"],
                                                              rel=1e-4)
        stream = SSEStream(f"{front_url}/api/runs/{run['id']}/events", last_event_id=0)
        kinds = []
        for event in stream:
            kinds.append(event.kind)
            if event.kind == "snapshot":
                assert event.data["epoch"] == 5
                break
        stream.connection.close()
        assert kinds[0] == "status" and "snapshot" in kinds
    finally:
        here.close()


def test_patch_step_pause_and_delete_work_across_the_boundary(front: Flask,
                                                              front_url: str) -> None:
    run = call(front_url, "POST", "/api/runs", SPEC)
    run_id = run["id"]
    path = f"/api/runs/{run_id}"
    _until(lambda: call(front_url, "GET", path)["epoch"] > 3, what="training on a node")
    changed = call(front_url, "PATCH", path, {"learningRate": 0.1})
    assert changed["metrics"]["learningRate"] == 0.1
    paused = call(front_url, "PATCH", path, {"state": "paused"})
    assert paused["state"] == "paused"
    time.sleep(0.5)
    assert call(front_url, "GET", path)["epoch"] == paused["epoch"]  # a pause holds
    call(front_url, "PATCH", path, {"weights": [{"layer": 0, "input": 0, "unit": 0,
                                                 "value": 0.75}]})
    events = front.extensions["runs"].get(run_id).events
    _until(lambda: events.latest("snapshot").data["weights"][0][0][0][0] == pytest.approx(0.75),
           timeout=30, what="the edited weight published from the node")
    stepped = call(front_url, "POST", f"{path}/step")
    assert stepped["epoch"] == paused["epoch"] + 1
    health = call(front_url, "GET", "/api/health")["cluster"]
    assert health["cpus"] == 2 and len(health["nodes"]) == 3  # the head trains nothing
    assert health["runs"] == 1 and sum(node["runs"] for node in health["nodes"]) == 1
    call(front_url, "DELETE", path)
    health = call(front_url, "GET", "/api/health")["cluster"]
    assert health["runs"] == 0  # the node's host let the job go


def test_a_server_pointed_at_no_cluster_fails_at_start_with_one_line(tmp_path: Path) -> None:
    nothing = f"127.0.0.1:{_free_port()}"  # nothing listens there
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(_free_port()),
         "--data-dir", str(tmp_path / "data")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "TF_PLAYGROUND_RAY": nothing, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("tf-playground:")]
    assert len(lines) == 1 and f"no Ray cluster answers at {nothing}" in lines[0]
    assert "Traceback" not in result.stderr


def test_without_ray_the_server_does_not_import_it(tmp_path: Path) -> None:
    script = ("import sys; from pathlib import Path; from server.app import create_app, "
              "shutdown; from server.config import Config; "
              f"app = create_app(Config(data_dir=Path({str(tmp_path)!r}), warm_up=False)); "
              "print(json.dumps(['ray' in sys.modules, app.extensions['placement'] is None])); "
              "shutdown(app)")
    result = subprocess.run([sys.executable, "-c", "import json; " + script], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [False, True], result.stderr


@pytest.mark.usefixtures("mnist")
def test_a_training_mnist_run_has_an_actor_of_its_own_until_it_pauses(front: Flask,
                                                                        front_url: str) -> None:
    """Heavy runs train one per actor with a CPU reserved; pausing gives the actor (and its
    CPU) back, and resuming carries on from where it was."""
    run = call(front_url, "POST", "/api/runs", {"problem": "mnist", "preset": "conv",
                                                "trainImages": 1000, "epochs": 200})
    path = f"/api/runs/{run['id']}"
    job = front.extensions["runs"].get(run["id"]).job
    _until(lambda: job.host is not None and job.host.dedicated
           and call(front_url, "GET", path)["epoch"] >= 2, timeout=2 * WAIT_S,
           what="MNIST training in an actor")
    assert call(front_url, "GET", "/api/health")["scheduler"]["heavyRuns"]["training"] == 1
    paused = call(front_url, "PATCH", path, {"state": "paused"})
    _until(lambda: job.host is None, timeout=30, what="the actor given back")
    assert call(front_url, "GET", "/api/health")["cluster"]["runs"] == 0
    call(front_url, "PATCH", path, {"state": "running"})
    _until(lambda: call(front_url, "GET", path)["epoch"] > paused["epoch"] + 1,
           timeout=2 * WAIT_S, what="training again")
    assert job.host is not None and job.host.dedicated
    events = front.extensions["runs"].get(run["id"]).events
    assert {"metrics", "panels"} <= {e.kind for e in events.since(0)}


def test_losing_a_node_moves_its_runs_and_keeps_their_epochs(cluster: Any, front: Flask,
                                                              front_url: str) -> None:
    """Last in the module: it removes a worker node. Its runs carry on on the other node
    from the state the front holds (≤ a checkpoint interval old), say so in a status
    event, the open stream stays open and no request gets a 5xx."""
    registry = front.extensions["runs"]
    runs = [call(front_url, "POST", "/api/runs", {**SPEC, "seed": f"s{i}"}) for i in range(2)]
    jobs = [registry.get(run["id"]).job for run in runs]
    _until(lambda: all(registry.get(r["id"]).epoch > 0 for r in runs), what="both training")
    nodes = {job.host.node_id for job in jobs}
    assert len(nodes) == 2  # spread: one run per worker node
    victim_run, victim_job = runs[0], jobs[0]
    victim = next(w for w in cluster.workers if w.node_id == victim_job.host.node_id)
    stream = SSEStream(f"{front_url}/api/runs/{victim_run['id']}/events")
    seen: list[Any] = []
    reader = threading.Thread(target=lambda: seen.extend(
        event for event in _events_until_moved_and_trained(stream)), daemon=True)
    reader.start()
    statuses: list[int] = []
    stop = threading.Event()

    def ask() -> None:  # a page polling the run throughout
        while not stop.is_set():
            for path in (f"/api/runs/{victim_run['id']}", "/api/health", "/api/runs"):
                try:
                    with urllib.request.urlopen(front_url + path, timeout=30) as response:
                        statuses.append(response.status)
                except urllib.error.HTTPError as error:
                    statuses.append(error.code)
            time.sleep(0.05)

    poller = threading.Thread(target=ask, daemon=True)
    poller.start()
    time.sleep(0.5)
    before = registry.get(victim_run["id"]).epoch
    cluster.remove_node(victim)
    _until(lambda: victim_job.host is not None and victim_job.host.node_id != victim.node_id
           and registry.get(victim_run["id"]).epoch > before + 5, what="the run to move")
    reader.join(timeout=WAIT_S)
    stop.set()
    poller.join(timeout=30)
    stream.connection.close()
    moved = [e for e in seen if e.kind == "status" and "moved" in e.data]
    assert moved, [e.kind for e in seen]
    assert moved[0].data["state"] == "running"
    assert moved[0].data["moved"]["from"] == victim.node_id
    # It continued from what it had: the front mirrors a dense run's weights with every
    # chunk, so it lost at most the chunk in flight, well within a checkpoint interval.
    assert moved[0].data["epoch"] >= before
    assert any(e.kind == "snapshot" and e.data["epoch"] > moved[0].data["epoch"] for e in seen)
    assert registry.get(victim_run["id"]).state == "running"
    assert statuses and all(status < 500 for status in statuses), statuses
    health = call(front_url, "GET", "/api/health")["cluster"]
    assert victim.node_id not in {node["id"] for node in health["nodes"]}
    assert health["runs"] == 2


def _events_until_moved_and_trained(stream: SSEStream) -> Iterator[Any]:
    moved_at = None
    for event in stream:
        yield event
        if event.kind == "status" and "moved" in event.data:
            moved_at = event.data["epoch"]
        if moved_at is not None and event.kind == "snapshot" and event.data["epoch"] > moved_at:
            return
