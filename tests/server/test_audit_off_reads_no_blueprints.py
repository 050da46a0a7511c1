"""Review: the audit's blueprint read (which fields a write kept) costs a catalog read per
write; where nothing is audited it is not made."""

from __future__ import annotations

import sys
from pathlib import Path

from ocean.server.audit import AuditLog
from ocean.server.caller import Caller
from ocean.server.gateway import WriteGateway
from ocean.store.base import Owner
from ocean.store.open import open_store

TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}, "relations": {}}


class _NotAuditing:
    """A store that keeps no audit log."""


async def test_a_write_audited_nowhere_reads_no_blueprints(tmp_path: Path) -> None:
    store = await open_store(str(tmp_path / "c.db"))
    try:
        gateway = WriteGateway(store, AuditLog(_NotAuditing()))  # type: ignore[arg-type]
        caller = Caller("client-1", Owner("api", "script"))
        await gateway.create_blueprint(caller, TEAM)
        reads = 0  # by the gateway (the store reads them itself too)
        listed = store.list_blueprints

        async def counted():  # type: ignore[no-untyped-def]
            nonlocal reads
            reads += sys._getframe(1).f_code.co_filename.endswith("gateway.py")
            return await listed()

        store.list_blueprints = counted  # type: ignore[method-assign]
        outcomes = await gateway.upsert(
            caller, [{"identifier": "t", "blueprint": "team"}], merge=False
        )
        assert outcomes[0].ok
        assert reads == 0
    finally:
        await store.close()
