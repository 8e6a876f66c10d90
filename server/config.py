"""Server configuration: every limit the catalogue publishes and the server enforces."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# What the server can be configured to at most; the defaults are the classic playground's.
HARD_MAX_HIDDEN_LAYERS = 10
HARD_MAX_NEURONS = 32
# The largest request body (a curve's CSV of 10,000 rows is well under it).
MAX_BODY_BYTES = 1024 * 1024


def default_data_dir() -> Path:
    """A per-user data folder (XDG on Linux, ~/Library on macOS)."""
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg) / "tf-playground"
    mac = Path.home() / "Library" / "Application Support"
    if mac.is_dir():
        return mac / "tf-playground"
    return Path.home() / ".local" / "share" / "tf-playground"


@dataclass(frozen=True)
class Config:
    """Limits and timings; `create_app(config)` takes one, the CLI builds it from flags."""

    data_dir: Path = field(default_factory=default_data_dir)
    max_hidden_layers: int = 6
    max_neurons: int = 8
    # Runs nobody watches or touches for this long are stopped.
    idle_timeout_s: float = 600.0
    # Event streams send a comment at least this often, so proxies keep them open.
    heartbeat_s: float = 10.0
    # Upper bound on snapshot events per second per run (training runs faster).
    max_snapshot_rate: float = 30.0
    # Heavy runs (MNIST) training at once; the next ones are `queued`, in order. Light runs
    # (the playground, the fitting lessons) never wait: the scheduler shares the cores.
    heavy_runs: int = field(default_factory=lambda: max(1, (os.cpu_count() or 1) // 2))
    # Runs kept in memory; past it the oldest ended (then unwatched paused) runs wait in
    # the store, listed and brought back when asked for; when none can, a new run gets 429.
    max_runs: int = 300
    # Open event streams at once; past it, 429. Each holds one server thread.
    max_streams: int = 256
    # Worker threads of the WSGI server: every stream's, plus some for everything else.
    server_threads: int = 0  # 0: max_streams + 32
    # Compile the default network's trainer at start-up so the first run starts at once.
    warm_up: bool = True
    # An mnist.npz; None: $TF_PLAYGROUND_MNIST, else Keras' download.
    mnist_path: Path | None = None
    # The address the server binds; with the loopback names it is a Host the server answers.
    bind_host: str = "127.0.0.1"
    # More Host names the server answers to (--allowed-host): a classroom server's name.
    allowed_hosts: tuple[str, ...] = ()
    # A request must arrive whole (headers and body) within this long of its first byte.
    request_timeout_s: float = 10.0
    # A client that takes no byte for this long while bytes wait for it is cut off.
    stalled_client_s: float = 30.0
    # A connection with no request in progress is closed after this much silence.
    idle_connection_s: float = 30.0
    # A Ray cluster's address (or "auto"): runs train on its nodes, this server is the front.
    # None: everything trains in this process (Ray is not even imported).
    ray_address: str | None = None

    @property
    def threads(self) -> int:
        return self.server_threads or self.max_streams + 32

    def __post_init__(self) -> None:
        if not 0 <= self.max_hidden_layers <= HARD_MAX_HIDDEN_LAYERS:
            raise ValueError(f"max_hidden_layers must be 0..{HARD_MAX_HIDDEN_LAYERS}")
        if not 1 <= self.max_neurons <= HARD_MAX_NEURONS:
            raise ValueError(f"max_neurons must be 1..{HARD_MAX_NEURONS}")
        if self.heavy_runs < 1 or self.max_streams < 1 or self.max_runs < 1:
            raise ValueError("heavy_runs, max_streams and max_runs must be at least 1")
