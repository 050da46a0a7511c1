"""``ocean sail`` serves live events as a user runs it: a shipped integration, a real process."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx

from ocean.live.signature import sign
from tests.loopback import free_port, reaped, until

FAKE = Path(__file__).resolve().parents[2] / "integrations" / "fake"


def _person_entity(catalog: Path, identifier: str) -> dict[str, object] | None:
    if not catalog.exists():
        return None
    db = sqlite3.connect(catalog)
    try:
        row = db.execute(
            "SELECT body FROM entities WHERE blueprint = 'fakePerson' AND identifier = ?",
            (identifier,),
        ).fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        db.close()
    return json.loads(row[0]) if row else None


def test_webhooks_only_sail_applies_a_signed_event_of_the_fake_integration(tmp_path: Path) -> None:
    catalog, port = tmp_path / "catalog.db", free_port()
    env = os.environ | {
        "OCEAN__EVENT_LISTENER__TYPE": "WEBHOOKS_ONLY",
        "OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET": "s3cret",
    }
    command = [sys.executable, "-m", "ocean", "sail", str(FAKE), "--catalog", str(catalog),
               "--port", str(port), "--quiet"]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}/integration/person"
    with reaped(process):
        until(lambda: httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200)
        person = {"id": "p-1", "first_name": "Ada", "last_name": "L", "email": "ada@x", "age": 36}
        body = json.dumps({"person": person}).encode()
        unsigned = httpx.post(base, content=body)
        assert unsigned.status_code == 401
        signed = httpx.post(
            base, content=body, headers={"x-hub-signature-256": sign("s3cret", body)}
        )
        assert signed.status_code == 202
        entity = until(lambda: _person_entity(catalog, "p-1"))
        assert entity["title"] == "Ada L"
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert 'ocean_live_events_total{outcome="rejected-401",path="/person"} 1.0' in metrics
        assert 'ocean_live_events_total{outcome="queued",path="/person"} 1.0' in metrics
        assert 'ocean_live_events_total{outcome="applied",path="/person"} 1.0' in metrics
        assert "ocean_live_event_seconds_count 1.0" in metrics
        httpx.post(f"http://127.0.0.1:{port}/integration/nope", content=body)
        assert (
            'outcome="rejected-404",path="unknown"'
            in httpx.get(f"http://127.0.0.1:{port}/metrics").text
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
