"""A listening socket bound before its server starts, so that a taken port is a message."""

from __future__ import annotations

import socket
from collections.abc import Callable

from ocean.errors import ConfigError, OceanError


def bound(host: str, port: int, refused: Callable[[str], OceanError]) -> socket.socket:
    """A TCP socket bound to ``host:port`` (IPv6 when ``host`` is); ``refused(why)`` is
    raised, the socket closed, when the port is taken or the host is not this machine's."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as error:
        listening.close()
        raise refused(error.strerror or str(error)) from None
    return listening


def serving_at(host: str, port: int) -> socket.socket:
    """A server's socket at ``host:port``, bound before it starts: a taken port (or a host
    not this machine's) is a :class:`ConfigError` saying what to do, not a traceback."""
    return bound(host, port, lambda why: ConfigError(
        f"cannot serve at {host}:{port}: {why}; choose another --port or --host, or stop "
        "what is using it"
    ))  # fmt: skip
