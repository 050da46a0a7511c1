"""The schema a catalog URL's ``?schema=`` names is the one made and used, read as PostgreSQL
reads a name in ``search_path`` (the setting every session is opened with): unquoted, folded
to lower case; double-quoted, exactly. A value that is not one name is refused, naming it,
before anything is made or written."""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from ocean.errors import StoreError
from ocean.store.base import Owner
from ocean.store.postgres.store import PostgresStore
from tests.conftest import POSTGRES_URL

OWNER = Owner("svc", "svc")
SVC = {"identifier": "svc", "title": "Service", "schema": {"properties": {}}, "relations": {}}


@pytest.fixture
async def admin() -> AsyncIterator[asyncpg.Connection]:
    """A session on the database; the schemas named ``test_names_*`` dropped afterwards."""
    db = await asyncpg.connect(POSTGRES_URL)
    yield db
    for (name,) in await db.fetch(
        "SELECT nspname FROM pg_namespace WHERE lower(nspname) LIKE '%test_names_%'"
    ):
        await db.execute(f'DROP SCHEMA "{name.replace(chr(34), chr(34) * 2)}" CASCADE')
    await db.close()


def _url(schema: str) -> str:
    return f"{POSTGRES_URL}?schema={urllib.parse.quote(schema)}"


async def _schemas_of_entities(admin: asyncpg.Connection) -> list[str]:
    rows = await admin.fetch(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'entities' "
        "AND lower(table_schema) LIKE '%test_names_%' ORDER BY 1"
    )
    return [row[0] for row in rows]


async def _write_one(url: str, identifier: str = "a") -> None:
    store = await PostgresStore.open(url)
    try:
        await store.create_blueprints([SVC])
        entity = {"identifier": identifier, "blueprint": "svc"}
        await store.upsert_entities([entity], owner=OWNER, merge=False)
        assert await store.count_entities() == {"svc": 1}
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("written", "made"),
    [
        ("Test_Names_{}", "test_names_{}"),  # folded, as search_path reads it
        ('"Test_Names_{}"', "Test_Names_{}"),  # quoted: exactly
        ('test_names_we"ird_{}', 'test_names_we"ird_{}'),  # a double quote inside a name
        ("test-names-{}", "test-names-{}"),
    ],
    ids=["capitals", "quoted", "a-double-quote", "dashes"],
)
async def test_a_schema_name_opens_the_one_schema_postgresql_reads_it_as(
    admin: asyncpg.Connection, written: str, made: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    await _write_one(_url(written.format(tag)))

    assert await _schemas_of_entities(admin) == [made.format(tag)]
    await _write_one(_url(written.format(tag)))  # opened again: the same catalog
    schemas = await admin.fetch(
        "SELECT nspname FROM pg_namespace WHERE lower(nspname) LIKE '%test_names_%'"
    )
    assert [row[0] for row in schemas] == [made.format(tag)]  # and no other made


@pytest.mark.parametrize(
    "written", ["test_names_{},other", "test_names_{} other", '"a', ""],
    ids=["two-names", "a-space", "an-open-quote", "empty"],
)  # fmt: skip
async def test_a_schema_parameter_that_is_not_one_name_is_refused_naming_it(
    admin: asyncpg.Connection, written: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    value = written.format(tag)
    await _write_one(_url(f"test_names_{tag}"))  # a catalog the first name would be

    with pytest.raises(StoreError, match=r"schema parameter .* one schema name") as raised:
        await _write_one(_url(value), "b")

    assert urllib.parse.quote(value) in str(raised.value) or repr(value) in str(raised.value)
    got = await admin.fetchval(f'SELECT count(*) FROM "test_names_{tag}".entities')
    assert got == 1  # nothing written into the other catalog
    assert await _schemas_of_entities(admin) == [f"test_names_{tag}"]
