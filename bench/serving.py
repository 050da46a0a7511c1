"""Start ``ocean catalog serve`` on a store for a benchmark, with client credentials."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx


def serve(store: str, env: dict[str, str]) -> tuple[dict[str, str], str, subprocess.Popen[bytes]]:
    """The server on ``store`` (a path or a postgresql:// URL), the environment with
    credentials for it (``OCEAN__PORT__CLIENT_ID`` / ``__SECRET``), its URL and process."""
    command = [sys.executable, "-m", "ocean", "catalog", "credentials", "create", "bench",
               "--role", "admin", "--catalog", store]  # fmt: skip
    created = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    credentials = dict(line.split("=", 1) for line in created.split())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "ocean", "catalog", "serve", "--catalog", store,
               "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{base}/openapi.json")
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return env | credentials, base, server
