"""A PostgreSQL store's sessions: in the catalog's schema, without JIT compilation."""

from __future__ import annotations

from ocean.store.postgres.store import PostgresStore


async def test_a_store_s_sessions_use_its_schema_and_compile_no_query(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    try:
        async with store._pool.acquire() as db:
            settings = [await db.fetchval(f"SHOW {name}") for name in ("jit", "search_path")]
    finally:
        await store.close()

    assert settings == ["off", postgres_url.rsplit("schema=", 1)[1]]
