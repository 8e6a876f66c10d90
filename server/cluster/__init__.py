"""Training on a Ray cluster (`serve --ray`). Nothing here imports Ray; only
`server.cluster.placement` does, and only when the server is started with `--ray`."""


class ClusterUnavailableError(RuntimeError):
    """The cluster could not be joined: the server says so in one line and exits."""
