"""A small catalog for the web UI's tests: services that belong to teams, a failed and a
completed run, an audit entry and a live-event dead letter, and an admin and a read-only
credential."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocean.live.open import open_queue
from ocean.store.audit import AuditEntry
from ocean.store.base import Owner, RunRecord
from ocean.store.sqlite.store import SQLiteStore

TEAM = {
    "identifier": "team",
    "title": "Team",
    "schema": {"properties": {"size": {"type": "number", "title": "Size"}}},
}
SERVICE = {
    "identifier": "service",
    "title": "Service",
    "schema": {
        "properties": {
            "language": {"type": "string", "enum": ["python", "go", "rust"]},
            "stars": {"type": "number"},
            "url": {"type": "string", "format": "url"},
        },
        "required": ["language"],
    },
    "relations": {"team": {"target": "team", "many": False, "required": False}},
    "calculationProperties": {"shout": {"type": "string", "calculation": ".title"}},
}
OWNER = Owner("fake", "fake-ui", "1")
LANGUAGES = ("python", "go", "rust")


@dataclass
class Credentials:
    admin: tuple[str, str]
    reader: tuple[str, str]
    queue: str


async def seed(store: SQLiteStore, folder: Path) -> Credentials:
    await store.create_blueprints([TEAM, SERVICE])
    teams: list[Any] = [{"identifier": f"team-{t}", "blueprint": "team", "title": f"Team {t}",
              "properties": {"size": t + 2}} for t in range(3)]  # fmt: skip
    services: list[Any] = [
        {"identifier": f"svc-{i:03d}", "blueprint": "service", "title": f"Service {i}",
         "properties": {"language": LANGUAGES[i % 3], "stars": i, "url": f"https://x/{i}"},
         "relations": {"team": f"team-{i % 3}"}}
        for i in range(120)
    ]  # fmt: skip
    await store.upsert_entities(teams + services, owner=OWNER, merge=False)
    await store.record_run(
        RunRecord("fake-ui", "manual", "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z",
                  "failed", {"kinds": [{"kind": "service", "index": 0, "extracted": 120,
                  "created": 118, "failed": 2, "status": "failed", "load_seconds": 1.5,
                  "errors": ["GitHub answered 502 Bad Gateway on page 3"],
                  "misconfigurations": {"properties.url": ".html_url"}}]})
    )  # fmt: skip
    await store.record_audit(
        [AuditEntry("UPDATE", "entity", "service", "svc-001", None, OWNER.datasource, "sync",
                    diff={"properties.stars": {"before": 0, "after": 1}})]
    )  # fmt: skip
    queue_url = f"sqlite:///{folder / 'catalog.events.db'}"
    queue = await open_queue(queue_url, "fake-ui")
    event = await queue.put("/webhook", {"action": "push"}, {}, None)
    for taken in await queue.take(1, timeout=1):
        await queue.bury(taken, "mapping failed: .repo is null")
    await queue.close()
    admin = await store.create_credentials("ui-admin", role="admin")
    reader = await store.create_credentials("ui-reader", role="read-only")
    assert event.id
    return Credentials(admin, reader, queue_url)
