"""A PostgreSQL store's sessions end when their process stops answering: a transaction left
idle (its process frozen mid-write, holding its blueprints' locks) is ended by the server,
and a silent client is probed (its machine lost), so that another replica is not blocked
for long behind it."""

from __future__ import annotations

import asyncio

import pytest

from ocean.store.base import Owner
from ocean.store.postgres import connections
from ocean.store.postgres.rules import lock_blueprints
from ocean.store.postgres.store import PostgresStore

_SETTINGS = (
    "jit",
    "idle_in_transaction_session_timeout",
    "tcp_keepalives_idle",
    "tcp_keepalives_interval",
    "tcp_keepalives_count",
)


async def _shown(store: PostgresStore) -> dict[str, str]:
    async with store._pool.acquire() as db:
        return {name: await db.fetchval(f"SHOW {name}") for name in _SETTINGS}


async def test_a_store_s_sessions_end_idle_transactions_and_probe_silent_clients(
    postgres_url: str,
) -> None:
    store = await PostgresStore.open(postgres_url)
    try:
        shown = await _shown(store)
        async with store._pool.acquire() as db:
            tcp = await db.fetchval("SELECT inet_client_addr() IS NOT NULL")
    finally:
        await store.close()

    assert shown["jit"] == "off"
    assert shown["idle_in_transaction_session_timeout"] == "1min"
    if tcp:  # (a Unix socket has no keepalives: the server shows 0)
        keepalives = [shown[f"tcp_keepalives_{name}"] for name in ("idle", "interval", "count")]
        assert keepalives == ["30", "10", "3"]


async def test_the_catalog_url_overrides_a_session_setting(postgres_url: str) -> None:
    store = await PostgresStore.open(f"{postgres_url}&idle_in_transaction_session_timeout=4000")
    try:
        shown = await _shown(store)
    finally:
        await store.close()

    assert shown["idle_in_transaction_session_timeout"] == "4s"
    assert shown["jit"] == "off"


async def test_a_frozen_writer_s_locks_are_released_once_its_transaction_idles_too_long(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(connections.SESSION, "idle_in_transaction_session_timeout", "1s")
    frozen, standby = await PostgresStore.open(postgres_url), await PostgresStore.open(postgres_url)
    owner = Owner("svc", "svc")
    try:
        await frozen.create_blueprints([{"identifier": "svc", "title": "Svc", "schema": {}}])
        db = await frozen._pool.acquire()
        transaction = db.transaction()
        await transaction.start()
        await lock_blueprints(db, ["svc"])  # as a write does; then its process stops
        async with asyncio.timeout(15):
            (outcome,) = await standby.upsert_entities(
                [{"identifier": "a", "blueprint": "svc"}], owner=owner, merge=True
            )
        # (its session ended, asyncpg gave the connection back to the pool)
        assert outcome.status == "created"
        assert await frozen.get_entities("svc", ["a"])  # the frozen store goes on
    finally:
        await frozen.close()
        await standby.close()
