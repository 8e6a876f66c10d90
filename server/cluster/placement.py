"""Where runs train on a Ray cluster: one shared host per node, one actor per heavy run.

`tf-playground serve --ray ADDRESS` makes the server a thin front. Every job is
made at the front as always (`server.problems.make_job` checks the spec) and then
handed to `RayPlacement.place`, which wraps it in a `RemoteJob`: the runs, the API
and the store hold that and never learn where training happens.

- **Light runs** (the playground, the fitting lessons) go to a shared `JobHost` on
  the node with the fewest runs: one per node, pinned there, reserving no CPU (like
  on one machine, where light runs never queue and share the cores). Inside it the
  classroom scheduler stacks them: many learners, one compiled call per round.
- **Heavy runs** (MNIST) start on a shared host too (their first panels cost a
  moment), and when they start to train get an actor of their own that reserves
  `num_cpus=1` (and a GPU where the cluster has one free): Ray puts it on a node with
  room. The front's core queue holds as many heavy runs as the cluster has CPUs, so
  the rest wait, in order, knowing their place, as on one machine.
- A lost actor (`ActorDiedError`: its node left, or it crashed) is forgotten and
  the runs it held are made again elsewhere by their `RemoteJob`s.

Ray is imported here only, and only when the server is started with `--ray`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.cluster import ClusterUnavailableError
from server.cluster.host import JobHost, JobMissingError, Reply
from server.cluster.remote_job import HostLostError, RemoteJob
from server.config import Config
from server.runs.run import Job

log = logging.getLogger(__name__)

CODE_ROOT = Path(__file__).resolve().parent.parent.parent  # the folder holding `server`
CONNECT_TIMEOUT_S = 3.0  # the cluster's address must answer within this long at start
SHARED_HOST_CALLS = 256  # concurrent calls a shared host takes (runs training on it)
NODES_REFRESH_S = 2.0  # the node list is read again at most this often
CLOSE_TIMEOUT_S = 10.0


@dataclass(eq=False)
class Host:
    """A `JobHost` actor: shared by a node's light runs, or one heavy run's own."""

    actor: Any
    node_id: str
    dedicated: bool
    jobs: set[str] = field(default_factory=set)


def _check_reachable(address: str) -> None:
    """Fail in seconds, with one clear line, when nothing answers at `address`: Ray's own
    connection attempt retries for a minute and prints a screen of warnings."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ClusterUnavailableError(f"{address!r} is not a Ray address (HOST:PORT or auto)")
    try:
        socket.create_connection((host.strip("[]"), int(port)), CONNECT_TIMEOUT_S).close()
    except OSError as error:
        raise ClusterUnavailableError(
            f"no Ray cluster answers at {address} ({error.strerror or error}); start one "
            "with `ray start --head` or give its address with --ray") from None


def _resolve(address: str) -> str:
    """`auto`: the cluster `ray start` recorded on this machine; else the address given."""
    if address != "auto":
        return address
    from ray._private.services import canonicalize_bootstrap_address

    try:
        found = canonicalize_bootstrap_address("auto")
    except Exception as error:  # Ray's own lookup: its messages vary by version
        raise ClusterUnavailableError(f"no Ray cluster runs on this machine: {error}") from None
    if not found:
        raise ClusterUnavailableError("no Ray cluster runs on this machine; start one with "
                                      "`ray start --head`")
    return found


class RayPlacement:
    """The front's view of the cluster: its hosts, which runs each holds, its nodes."""

    def __init__(self, address: str, config: Config) -> None:
        # A classroom's cluster reports nothing to Ray's makers.
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        try:
            import ray
        except ImportError:
            raise ClusterUnavailableError(
                "--ray needs Ray: pip install -e '.[cluster]'") from None
        self._ray = ray
        self.address = _resolve(address)
        _check_reachable(self.address)
        try:
            # The actors import this very code: this checkout first on their path (a node
            # without it there uses the installed package, which must be the same version).
            ray.init(address=self.address, logging_level=logging.WARNING, log_to_driver=False,
                     job_config=ray.job_config.JobConfig(code_search_path=[str(CODE_ROOT)]))
        except Exception as error:
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise ClusterUnavailableError(
                f"cannot join the Ray cluster at {self.address}: {first_line}") from None
        self._config = config
        self._actor_class = ray.remote(JobHost)
        self._lock = threading.Lock()
        self._shared: dict[str, Host] = {}  # node id → its shared host
        self._dedicated: set[Host] = set()
        self._lost_nodes: set[str] = set()  # nodes whose hosts died: none made there again
        self._nodes: list[dict[str, Any]] = []
        self._nodes_at = 0.0
        self.on_capacity: Callable[[int], None] | None = None  # told the cluster's CPUs
        self._refresh_nodes(force=True)

    # -- what jobs and the app use ---------------------------------------------------

    def place(self, spec: dict[str, Any], job: Job) -> RemoteJob:
        """The job the run will hold: `job` stays at the front as its mirror."""
        return RemoteJob(spec, job, self)

    def cpus(self) -> int:
        """CPUs of the live nodes: how many heavy runs train at once."""
        with self._lock:
            return max(1, int(sum(n["Resources"].get("CPU", 0) for n in self._nodes)))

    def cpu_free(self) -> bool:
        """Whether a heavy run's own actor could start now (a CPU is not reserved)."""
        return self._ray.available_resources().get("CPU", 0) >= 1

    def host_for(self, job: RemoteJob, *, dedicated: bool) -> Host:
        """A host for `job`: its own actor (a heavy run that trains) or the shared host of
        the node with the fewest runs."""
        if dedicated:
            host = self._new_dedicated()
            with self._lock:
                host.jobs.add(job.key)
            return host
        self._refresh_nodes()
        with self._lock:  # chosen and counted at once: runs starting together spread
            candidates = list(self._shared.values())
            if not candidates:
                raise RuntimeError("no live node of the cluster can take runs")
            host = min(candidates, key=lambda h: len(h.jobs))
            host.jobs.add(job.key)
        return host

    def call(self, host: Host, method: str, *args: Any) -> Reply:
        """Call the host and wait for its reply; a dead actor raises `HostLostError`, an
        error inside the job is raised here as it was raised there."""
        ray = self._ray
        try:
            return ray.get(getattr(host.actor, method).remote(*args))
        except (ray.exceptions.RayActorError, ray.exceptions.ActorUnschedulableError) as error:
            raise HostLostError(host, (str(error).splitlines() or ["lost"])[0]) from None
        except ray.exceptions.RayTaskError as error:
            cause = getattr(error, "cause", None)
            if isinstance(cause, JobMissingError):
                raise HostLostError(host, str(cause)) from None
            if isinstance(cause, Exception):  # the job's own error, as on one machine
                raise cause from None
            raise

    def lost(self, host: Host) -> None:
        """Forget a dead host; runs it held are made again elsewhere by their jobs."""
        with self._lock:
            if self._shared.get(host.node_id) is host:
                del self._shared[host.node_id]
                self._lost_nodes.add(host.node_id)
                log.warning("lost the shared host on node %s; its runs move", host.node_id)
            self._dedicated.discard(host)
            self._nodes_at = 0.0  # read the nodes again at the next placement
        self._refresh_nodes()

    def release(self, host: Host, job: RemoteJob) -> None:
        """The job leaves the host (it ended, was deleted, or moved): a heavy run's own
        actor ends with it, giving its CPU back."""
        with self._lock:
            host.jobs.discard(job.key)
            alive = host.dedicated or self._shared.get(host.node_id) is host
        if not alive:
            return
        try:
            if host.dedicated:
                with self._lock:
                    self._dedicated.discard(host)
                self._ray.kill(host.actor)
            else:
                self._ray.get(host.actor.close.remote(job.key), timeout=CLOSE_TIMEOUT_S)
        except Exception as error:  # the host died meanwhile: nothing is left to free
            log.info("releasing %s on %s: %s", job.key, host.node_id, error)

    def warm(self) -> bool:
        """Every node's shared host has compiled the default network's trainers."""
        with self._lock:
            hosts = list(self._shared.values())
        try:
            return all(self._ray.get([h.actor.warm.remote() for h in hosts], timeout=2.0))
        except Exception:  # still starting (TensorFlow loading), or a node just left
            return False

    def health(self) -> dict[str, Any]:
        """Nodes, CPUs, GPUs and runs per node, for `GET /api/health`; what went wrong
        instead when the cluster does not answer (its head is gone)."""
        try:
            self._refresh_nodes()
        except Exception as error:
            return {"address": self.address, "ok": False,
                    "error": f"the cluster does not answer: {error}"[:300]}
        with self._lock:
            runs: dict[str, int] = {}
            for host in [*self._shared.values(), *self._dedicated]:
                runs[host.node_id] = runs.get(host.node_id, 0) + len(host.jobs)
            nodes = [{"id": n["NodeID"], "address": n["NodeManagerAddress"],
                      "cpus": n["Resources"].get("CPU", 0), "gpus": n["Resources"].get("GPU", 0),
                      "runs": runs.get(n["NodeID"], 0)} for n in self._nodes]
        return {"address": self.address, "ok": True, "nodes": nodes,
                "cpus": sum(n["cpus"] for n in nodes), "gpus": sum(n["gpus"] for n in nodes),
                "runs": sum(runs.values())}

    def close(self) -> None:
        """End every actor this front made and leave the cluster (which keeps running)."""
        with self._lock:
            hosts = [*self._shared.values(), *self._dedicated]
            self._shared.clear()
            self._dedicated.clear()
        for host in hosts:
            try:
                self._ray.kill(host.actor)
            except Exception:  # already gone
                pass
        self._ray.shutdown()

    # -- inside ----------------------------------------------------------------------------

    def _new_dedicated(self) -> Host:
        """An actor of one heavy run's own: a CPU (and a GPU, if one is free) reserved. When
        none is free Ray keeps it pending, and the run waits, until one is."""
        ray = self._ray
        gpus = 1 if ray.available_resources().get("GPU", 0) >= 1 else 0
        actor = self._actor_class.options(num_cpus=1, num_gpus=gpus, max_concurrency=4).remote(
            self._config, 1, False)
        host = Host(actor, "", dedicated=True)
        host.node_id = self.call(host, "node")  # waits until Ray has placed it
        with self._lock:
            self._dedicated.add(host)
        return host

    def _refresh_nodes(self, *, force: bool = False) -> None:
        """Read the live nodes (at most every `NODES_REFRESH_S`); give each a shared host."""
        now = time.monotonic()
        with self._lock:
            if not force and now - self._nodes_at < NODES_REFRESH_S:
                return
            self._nodes_at = now
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        nodes = [n for n in self._ray.nodes()
                 if n["Alive"] and n["NodeID"] not in self._lost_nodes]
        with self._lock:
            self._nodes = nodes
            for node in nodes:
                node_id = node["NodeID"]
                if node_id in self._shared:
                    continue
                cpus = int(node["Resources"].get("CPU", 0))
                if cpus < 1:
                    continue  # a node that trains nothing (a head started with 0 CPUs)
                actor = self._actor_class.options(
                    num_cpus=0, max_concurrency=SHARED_HOST_CALLS,
                    scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False),
                ).remote(self._config, cpus, self._config.warm_up)
                self._shared[node_id] = Host(actor, node_id, dedicated=False)
            for node_id in [n for n in self._shared if n not in {x["NodeID"] for x in nodes}]:
                del self._shared[node_id]  # left the cluster: its runs move on their next call
            cpus = max(1, int(sum(n["Resources"].get("CPU", 0) for n in nodes)))
        if self.on_capacity is not None:
            self.on_capacity(cpus)
