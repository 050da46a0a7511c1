"""A PostgreSQL catalog made ready on a thread while ``ocean sail`` starts: the store then
opens a current schema, and a catalog that cannot be reached is reported by the store."""

from __future__ import annotations

import pytest

from ocean.errors import StoreError
from ocean.store.open import open_store
from ocean.store.postgres.ahead import ReadyAhead
from ocean.store.postgres.schema import MIGRATIONS
from tests.store.postgres import connected


@pytest.mark.parametrize("url", [None, "sqlite:///catalog.db", "https://api.getport.io"])
def test_only_a_postgresql_catalog_is_made_ready_ahead(url: str | None) -> None:
    assert ReadyAhead.start_for(url) is None


async def test_a_new_catalog_is_migrated_before_the_store_opens_it(postgres_url: str) -> None:
    ahead = ReadyAhead.start_for(postgres_url)
    assert ahead is not None

    await ahead.ready()

    db = await connected(postgres_url)
    try:
        assert await db.fetchval("SELECT max(version) FROM ocean_schema") == len(MIGRATIONS)
    finally:
        await db.close()
    store = await open_store(postgres_url, spare=ahead)
    await store.close()
    ahead.close()


async def test_a_catalog_that_cannot_be_reached_is_reported_by_the_store() -> None:
    url = "postgresql://postgres@127.0.0.1:9/test?schema=nowhere"
    ahead = ReadyAhead.start_for(url)
    assert ahead is not None

    with pytest.raises(StoreError, match="cannot open the catalog"):
        await open_store(url, spare=ahead)


async def test_a_catalog_that_cannot_be_opened_is_named_without_its_password() -> None:
    url = "postgresql://postgres:hunter2@127.0.0.1:9/test?schema=nowhere&sslpassword=s3cret"

    with pytest.raises(StoreError, match="cannot open the catalog") as raised:
        await open_store(url)

    assert "hunter2" not in str(raised.value) and "s3cret" not in str(raised.value)
    assert "postgres:***@127.0.0.1:9/test" in str(raised.value)
