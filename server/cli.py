"""`tf-playground serve`: the production server (waitress), not Flask's development server."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from server.config import HARD_MAX_HIDDEN_LAYERS, HARD_MAX_NEURONS, Config, default_data_dir


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tf-playground", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the playground and its API")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--data-dir", type=Path, default=None,
                       help=f"where runs and exports are kept (default {default_data_dir()})")
    serve.add_argument("--max-layers", type=int, default=6,
                       help=f"hidden layers a network may have (at most {HARD_MAX_HIDDEN_LAYERS})")
    serve.add_argument("--max-neurons", type=int, default=8,
                       help=f"neurons a hidden layer may have (at most {HARD_MAX_NEURONS})")
    serve.add_argument("--mnist", type=Path, default=None,
                       help="an mnist.npz (default $TF_PLAYGROUND_MNIST, else Keras' download)")
    serve.add_argument("--max-training-runs", type=int, default=2 * (os.cpu_count() or 1),
                       help="runs training at once (default 2 × cores); past it, 429")
    serve.add_argument("--max-runs", type=int, default=300,
                       help="runs kept in memory (default 300); older ended or unwatched "
                            "paused runs wait in the store; past it, 429")
    serve.add_argument("--max-streams", type=int, default=256,
                       help="open event streams at once; past it, 429")
    serve.add_argument("--threads", type=int, default=0,
                       help="server threads (default: max streams + 32)")
    return parser


def waitress_options(config: Config) -> dict[str, Any]:
    """How waitress serves the app (the CLI, tests and benchmarks use the same)."""
    return {
        "threads": config.threads,
        # Every open stream holds a connection and a thread; leave room for API calls.
        "connection_limit": config.max_streams + 64,
        # A stream whose client (or the server's sending loop) lags blocks at 64 KB instead
        # of buffering up to waitress' 16 MB: memory stays flat and the run's coalesced
        # snapshots simply skip ahead.
        "outbuf_high_watermark": 64 * 1024,
        "channel_timeout": 3600,
        "ident": "tf-playground",
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        config = Config(
            data_dir=args.data_dir or default_data_dir(),
            max_hidden_layers=args.max_layers,
            max_neurons=args.max_neurons,
            server_threads=args.threads,
            max_training_runs=args.max_training_runs,
            max_streams=args.max_streams,
            max_runs=args.max_runs,
            mnist_path=args.mnist,
        )
        config.data_dir.mkdir(parents=True, exist_ok=True)
    except (ValueError, OSError) as error:
        print(f"tf-playground: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    import waitress

    from server.app import create_app

    app = create_app(config)
    print(f"tf-playground: serving on http://{args.host}:{args.port}/", flush=True)
    waitress.serve(app, host=args.host, port=args.port, **waitress_options(config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
