"""`tf-playground serve`: the production server (waitress), not Flask's development server."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from server.api.guard import allowed_host_name
from server.cluster import ClusterUnavailableError
from server.config import HARD_MAX_HIDDEN_LAYERS, HARD_MAX_NEURONS, Config, default_data_dir
from server.data_dir_lock import DataDirInUseError, check_data_dir_free
from server.terminal import NativeChatterFilter, start_lines


def _allowed_host(value: str) -> str:
    try:
        return allowed_host_name(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


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
    serve.add_argument("--heavy-runs", type=int, default=max(1, (os.cpu_count() or 1) // 2),
                       help="heavy runs (MNIST) training at once (default half the cores); "
                            "the next ones queue, in order")
    serve.add_argument("--max-runs", type=int, default=300,
                       help="runs kept in memory (default 300); older ended or unwatched "
                            "paused runs wait in the store; past it, 429")
    serve.add_argument("--max-streams", type=int, default=256,
                       help="open event streams at once; past it, 429")
    serve.add_argument("--threads", type=int, default=0,
                       help="server threads (default: max streams + 32)")
    serve.add_argument("--ray", default=os.environ.get("TF_PLAYGROUND_RAY") or None,
                       metavar="ADDRESS",
                       help="train on the Ray cluster at ADDRESS (HOST:PORT, or auto: the one "
                            "this machine runs); this server becomes its front (default "
                            "$TF_PLAYGROUND_RAY; none: train here)")
    serve.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                       type=_allowed_host,
                       help="a host name the server answers to besides localhost, its loopback "
                       "and bound addresses (repeatable), e.g. a classroom server's name")
    serve.add_argument("--verbose", action="store_true",
                       help="log every request-level notice and TensorFlow's own start-up "
                            "messages (by default the terminal shows the URL and problems)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.verbose:
        # Before TensorFlow loads: its Python-side and older C++ logging read these.
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "1")
    try:
        config = Config(
            data_dir=args.data_dir or default_data_dir(),
            max_hidden_layers=args.max_layers,
            max_neurons=args.max_neurons,
            server_threads=args.threads,
            heavy_runs=args.heavy_runs,
            max_streams=args.max_streams,
            max_runs=args.max_runs,
            mnist_path=args.mnist,
            bind_host=args.host,
            allowed_hosts=tuple(args.allowed_host),
            ray_address=args.ray,
        )
        config.data_dir.mkdir(parents=True, exist_ok=True)
    except (ValueError, OSError) as error:
        print(f"tf-playground: {error}", file=sys.stderr)
        return 2
    from server.serving import ListenError, bind_sockets, create_server

    try:
        sockets = bind_sockets(args.host, args.port)  # before the app loads: fails at once
    except ListenError as error:
        print(f"tf-playground: {error}", file=sys.stderr)
        return 1
    chatter = None if args.verbose else NativeChatterFilter()
    try:
        check_data_dir_free(config.data_dir)  # before TensorFlow loads: fails at once
        _configure_logging(args.verbose)
        if chatter is not None:
            chatter.start()
        from server.app import create_app

        app = create_app(config)
    except (DataDirInUseError, ClusterUnavailableError) as error:
        print(f"tf-playground: {error}", file=sys.stderr)
        return 1
    server = create_server(app, config, sockets)
    port = sockets[0].getsockname()[1]  # the one chosen, for --port 0
    for line in start_lines(args.host, port, args.allowed_host):
        print(line, flush=True)
    try:
        server.run()
    finally:
        if chatter is not None:
            chatter.stop()
    return 0


def _configure_logging(verbose: bool) -> None:
    """Quiet: warnings and errors only, TensorFlow's Python warnings (retracing notes) off.
    Verbose: everything at INFO."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(message)s")
    if not verbose:
        logging.getLogger("tensorflow").setLevel(logging.ERROR)


if __name__ == "__main__":
    raise SystemExit(main())
