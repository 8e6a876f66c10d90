"""Checks every request passes before a view runs: other web sites must not drive this server.

Any page a learner visits can make their browser send requests here. A plain HTML form
posts a `text/plain` body without any JavaScript, and with DNS rebinding a page on an
attacker's host name (resolved to 127.0.0.1 a moment later) even reads the answers. So:

- **Host** must name this server: the loopback names, the bound address, the names given
  with `--allowed-host`, and any IP address when bound to every address (0.0.0.0 or ::),
  since a page reached by IP address cannot be rebound. Otherwise 421 (400 if malformed).
- **Origin** (or `Sec-Fetch-Site: cross-site`) on a request that changes state must say the
  page came from this server. Otherwise 403. Requests without them (curl, scripts) pass:
  browsers always send Origin with POST, PATCH and DELETE.
- **A body** must be JSON and say so (`Content-Type: application/json`), which a form cannot
  send and a cross-site script cannot send without a CORS preflight this server never
  grants. Otherwise 415. One over the size limit is refused from its Content-Length, 413,
  before a byte of it is read. A view marked with `raw_body` (a photo upload) takes
  its own content types instead, none of which a form can send either (`image/png`,
  `image/jpeg`, `application/octet-stream`), up to its own size.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from server.config import Config

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_ADDRESSES = frozenset({"0.0.0.0", "::", ""})
STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# A host name or IPv4 address, or an IPv6 address in brackets, then an optional port.
HOST_HEADER = re.compile(r"(?P<name>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(?P<port>[0-9]{1,5}))?")


HostName = tuple[str, int | None]  # lower-case name without brackets, port if given
FORM_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data",
                                "text/plain"})
View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class RawBody:
    """What a view that takes a raw body accepts: content types and the most bytes."""

    content_types: frozenset[str]
    max_bytes: int


def raw_body(content_types: tuple[str, ...], max_bytes: int) -> Callable[[View], View]:
    """Mark a view as taking a raw body of these types (never a form's) up to max_bytes."""
    if FORM_CONTENT_TYPES & set(content_types):
        raise ValueError("a form can send these types from any web site")

    def mark(view: View) -> View:
        view.raw_body = RawBody(frozenset(content_types), max_bytes)  # type: ignore[attr-defined]
        return view

    return mark


def split_host(value: str) -> HostName | None:
    """(name lower-cased without brackets, port or None) of a Host header; None if malformed."""
    match = HOST_HEADER.fullmatch(value.strip())
    if match is None:
        return None
    name = match["name"].lower().rstrip(".")
    if name.startswith("["):
        name = name[1:-1]
    port = int(match["port"]) if match["port"] else None
    return name, port


def allowed_host_name(value: str) -> str:
    """The argparse type of `--allowed-host`: a bare host name or address, lower-cased."""
    parts = split_host(value)
    if parts is None or parts[1] is not None or not parts[0]:
        raise ValueError(f"{value!r} is not a host name (give a name such as "
                         "playground.local or an address, without a port)")
    return parts[0]


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class HostPolicy:
    """The Host names this server answers to."""

    names: frozenset[str]
    any_ip_address: bool  # bound to every address: each of the machine's addresses is ours

    @classmethod
    def for_config(cls, config: Config) -> HostPolicy:
        bound = config.bind_host.strip("[]").lower()
        names = LOOPBACK_NAMES | {bound} | {name.lower() for name in config.allowed_hosts}
        return cls(frozenset(names - {""}), any_ip_address=bound in WILDCARD_ADDRESSES)

    def allows(self, name: str) -> bool:
        return name in self.names or (self.any_ip_address and _is_ip_address(name))


def _same_origin(origin: str, host: HostName) -> bool:
    """Does an Origin header name the host the request was sent to?

    A Host without a port is on the Origin's scheme's default port, so a page behind a TLS
    proxy (https://name, Host: name) is its own origin, and http://name:8080 is not.
    """
    try:
        parts = urlsplit(origin)
        origin_default = DEFAULT_PORTS.get(parts.scheme)
        origin_port = parts.port or origin_default
    except ValueError:
        return False
    if origin_default is None or not parts.hostname:
        return False
    name, port = host
    return parts.hostname.lower() == name and (port or origin_default) == origin_port


Rejection = tuple[int, str, str]  # status, the field or header at fault, the reason


def _host_rejection(header: str | None, host: HostName | None,
                    policy: HostPolicy) -> Rejection | None:
    if header is None:
        return None  # HTTP/1.0 without Host: not a browser, so not a rebinding page
    if host is None:
        return 400, "Host", "the Host header is not a host name with an optional port"
    if not policy.allows(host[0]):
        return 421, "Host", (f"this server does not answer to {host[0]!r}; start it with "
                             "--allowed-host NAME to reach it by that name")
    return None


def _origin_rejection(host: HostName | None) -> Rejection | None:
    if request.method not in STATE_CHANGING_METHODS:
        return None
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        return 403, "Sec-Fetch-Site", "requests from other web sites may not change runs"
    origin = request.headers.get("Origin")
    if origin is not None and (host is None or not _same_origin(origin, host)):
        return 403, "Origin", (f"requests from {origin} may not change runs; only this "
                               "server's own pages may")
    return None


def _body_rejection(max_bytes: int, raw: RawBody | None) -> Rejection | None:
    length = request.content_length
    if not length and "Transfer-Encoding" not in request.headers:
        return None
    if raw is not None:
        max_bytes = raw.max_bytes
        request.max_content_length = max_bytes  # a chunked body stops there too
    if length is not None and length > max_bytes:
        return 413, "Content-Length", (f"the body is {length:,} bytes; the most this server "
                                       f"takes is {max_bytes:,}")
    if raw is not None:
        if request.mimetype not in raw.content_types:
            sent = request.headers.get("Content-Type") or "none"
            return 415, "Content-Type", (f"this takes a body of type "
                                         f"{' or '.join(sorted(raw.content_types))} (this "
                                         f"one's is {sent})")
        return None
    if request.mimetype != "application/json":
        sent = request.headers.get("Content-Type") or "none"
        return 415, "Content-Type", ("a request body must be JSON sent with Content-Type: "
                                     f"application/json (this one's is {sent})")
    return None


def register_request_guard(app: Flask, config: Config) -> None:
    """Run the checks before every request, in order: Host, Origin, body."""
    policy = HostPolicy.for_config(config)
    max_bytes = app.config["MAX_CONTENT_LENGTH"]

    @app.before_request
    def guard() -> ResponseReturnValue | None:
        header = request.headers.get("Host")
        host = split_host(header) if header is not None else None
        view = app.view_functions.get(request.endpoint or "")
        rejection = (_host_rejection(header, host, policy) or _origin_rejection(host)
                     or _body_rejection(max_bytes, getattr(view, "raw_body", None)))
        if rejection is None:
            return None
        status, field, reason = rejection
        return jsonify({"error": reason, "field": field}), status
