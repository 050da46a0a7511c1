"""Review: the audit log says what was written, not what was dropped."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest

from ocean.store.audit import AuditFilter, KeepsAudit
from ocean.store.open import open_store
from tests.server.serving import POSTGRES_URL, fresh_catalog, seed, served_as_admin

SERVICE = {
    "identifier": "service",
    "title": "Service",
    "schema": {"properties": {"url": {"type": "string"}}},
    "relations": {},
}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_dropped_property_is_not_audited_as_written(backend: str, tmp_path: Path) -> None:
    async with fresh_catalog(backend, tmp_path) as store:
        async with served_as_admin(store) as (_base, admin):
            await seed(admin, [SERVICE], {})
            body = {"identifier": "a", "properties": {"url": "u", "prNumber": 7}}
            answer = await admin.post("/v1/blueprints/service/entities?upsert=true", json=body)
            assert answer.status_code == 201, answer.text
            assert "prNumber" not in answer.json()["entity"]["properties"]
            body = {"identifier": "a", "properties": {"url": "v", "prNumber": 8}}
            answer = await admin.post("/v1/blueprints/service/entities?upsert=true", json=body)
            assert answer.status_code == 201, answer.text
        audit: KeepsAudit = store  # type: ignore[assignment]
        entries = await audit.audit_log(AuditFilter(resources=("entity",)))
    diffs = [entry.diff for entry in entries]
    assert all("properties.prNumber" not in str(diff) for diff in diffs), diffs


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_property_another_writer_defines_between_writes_is_audited_as_written(
    backend: str, tmp_path: Path
) -> None:
    """The rules the audit diff reads are those the write was made under: a property
    defined meanwhile by another process (a sail's blueprint sync) is kept and audited."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    url = f"{POSTGRES_URL}?schema={schema}" if backend == "postgresql" else str(tmp_path / "c.db")
    store, other = await open_store(url), None
    try:
        async with served_as_admin(store) as (_base, admin):  # type: ignore[arg-type]
            await seed(admin, [SERVICE], {})
            body = {"identifier": "a", "properties": {"url": "u", "lang": "py"}}
            answer = await admin.post("/v1/blueprints/service/entities?upsert=true", json=body)
            assert answer.status_code == 201, answer.text
            other = await open_store(url)
            properties = {"url": {"type": "string"}, "lang": {"type": "string"}}
            await other.update_blueprint("service", {"schema": {"properties": properties}})
            body = {"identifier": "a", "properties": {"url": "u", "lang": "go"}}
            answer = await admin.post("/v1/blueprints/service/entities?upsert=true", json=body)
            assert answer.json()["entity"]["properties"]["lang"] == "go", answer.text
        audit: KeepsAudit = store  # type: ignore[assignment]
        entries = await audit.audit_log(AuditFilter(resources=("entity",)))
    finally:
        for opened in (store, other):
            if opened is not None:
                await opened.close()
        if backend == "postgresql":
            connection = await asyncpg.connect(POSTGRES_URL)
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            await connection.close()
    newest = entries[0].diff  # newest first
    assert newest["added"] == ["properties.lang"], [entry.diff for entry in entries]
