"""Review: a retention longer than the calendar reaches keeps everything, quietly."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from ocean.server.audit import AuditLog
from ocean.store.audit import AuditEntry, AuditFilter, KeepsAudit
from ocean.store.sqlite.store import SQLiteStore


async def test_a_retention_of_a_million_days_keeps_all(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = await SQLiteStore.open(tmp_path / "c.db")
    try:
        log = AuditLog(store, dt.timedelta(days=1_000_000))
        entry = AuditEntry(
            "CREATE", "entity", "team", "old", "c", "d", "o", at="2020-01-01T00:00:00.000Z"
        )
        with caplog.at_level(logging.WARNING):
            await log.record([entry])
            assert log._pruning is not None
            await log._pruning  # raised OverflowError, never retrieved
        audit: KeepsAudit = store
        assert [e.entity for e in await audit.audit_log(AuditFilter())] == ["old"]
    finally:
        await store.close()


def test_a_retention_beyond_what_a_timedelta_holds_keeps_all() -> None:
    """``ocean catalog serve`` with OCEAN__CATALOG__AUDIT_RETENTION_DAYS=1e12 started with
    an OverflowError's traceback."""
    from ocean.cli.catalog import _retention

    assert _retention(1e12) is None and _retention(0) is None
    assert _retention(30) == dt.timedelta(days=30)
