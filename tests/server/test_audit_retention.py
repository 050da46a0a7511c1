"""The catalog server deletes its audit log's entries older than the retention, beside its
writes (in batches, in the background); without a retention it keeps them all."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import httpx
import pytest

import ocean.server.audit as server_audit
from ocean.server.app import create_app
from ocean.store.audit import AuditEntry, AuditFilter, KeepsAudit
from tests import loopback
from tests.server.serving import fresh_catalog, sign_in

TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}}


def _entry(entity: str, at: str) -> AuditEntry:
    return AuditEntry("CREATE", "entity", "team", entity, "c", "d", "o", at=at)


@pytest.mark.parametrize(
    ("retention", "kept"),
    [
        pytest.param(dt.timedelta(days=30), ["new", "recent"], id="older-than-30-days-deleted"),
        pytest.param(None, ["new", "recent", "old-4", "old-3", "old-2", "old-1", "old-0"],
                     id="none-keeps-all"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_entries_older_than_the_retention_are_deleted_beside_the_writes(
    backend: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    retention: dt.timedelta | None,
    kept: list[str],
) -> None:
    monkeypatch.setattr(server_audit, "PRUNE_BATCH", 2)  # five expired: three batches
    recent = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    async with fresh_catalog(backend, tmp_path) as catalog:
        store: KeepsAudit = catalog  # type: ignore[assignment]
        old = [_entry(f"old-{n}", f"2020-01-0{n + 1}T00:00:00.000Z") for n in range(5)]
        await store.record_audit([*old, _entry("recent", server_audit.audit_moment(recent, "t"))])
        app = create_app(catalog, audit_retention=retention)  # type: ignore[arg-type]
        async with loopback.served(app) as base, httpx.AsyncClient(base_url=base) as client:
            await sign_in(client, *await catalog.create_credentials("tests"))
            assert (await client.post("/v1/blueprints", json=TEAM)).status_code == 201
            written = await client.post("/v1/blueprints/team/entities", json={"identifier": "new"})
            assert written.status_code == 201, written.text
            for _ in range(100):  # (the pruning runs beside the write)
                found = [
                    e.entity for e in await store.audit_log(AuditFilter(resources=("entity",)))
                ]
                if found == kept:
                    break
                await asyncio.sleep(0.05)

    assert found == kept
