"""Review: the audit log says what was written, not what was dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocean.store.audit import AuditFilter, KeepsAudit
from tests.server.serving import fresh_catalog, seed, served_as_admin

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
