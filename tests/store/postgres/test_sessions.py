"""A PostgreSQL store's sessions: in the catalog's schema, without JIT compilation."""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from ocean.errors import CatalogUnavailableError, StoreError
from ocean.store.base import Owner
from ocean.store.postgres.connections import guarded, reachable
from ocean.store.postgres.store import PostgresStore
from ocean.types import Entity


async def test_a_store_s_sessions_use_its_schema_and_compile_no_query(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    try:
        async with store._pool.acquire() as db:
            settings = [await db.fetchval(f"SHOW {name}") for name in ("jit", "search_path")]
    finally:
        await store.close()

    assert settings == ["off", postgres_url.rsplit("schema=", 1)[1]]


async def _write_entity(store: PostgresStore) -> None:
    (outcome,) = await store.upsert_entities([_svc("a")], owner=Owner("svc", "svc"), merge=True)
    assert outcome.status in {"created", "updated"}


async def _create_blueprint(store: PostgresStore) -> None:
    await store.create_blueprints([{"identifier": "team", "title": "Team", "schema": {}}])


async def _save_cursor(store: PostgresStore) -> None:
    await store.save_cursor("svc", "svc", 0, "next")


@pytest.mark.parametrize("call", [_write_entity, _create_blueprint, _save_cursor])
async def test_sessions_on_a_demoted_server_are_replaced_after_the_first_call_it_refuses(
    postgres_url: str, call: Callable[[PostgresStore], Awaitable[None]]
) -> None:
    store = await PostgresStore.open(postgres_url)
    try:
        await store.create_blueprints([{"identifier": "svc", "title": "Svc", "schema": {}}])
        await _demote(store)
        with pytest.raises(CatalogUnavailableError, match="cannot be reached"):
            await call(store)
        await call(store)
    finally:
        await store.close()


async def _demote(store: PostgresStore) -> None:
    """Make every session the pool holds read-only, as a primary demoted to a standby by a
    failover is to the sessions still connected to it (new sessions go to the new primary)."""
    sessions = [await store._pool.acquire() for _ in range(store._pool.get_max_size())]
    for db in sessions:
        await db.execute("SET default_transaction_read_only = on")
    for db in sessions:
        await store._pool.release(db)


def _svc(identifier: str) -> Entity:
    return {"identifier": identifier, "blueprint": "svc"}


async def test_a_guarded_stream_closed_early_closes_the_stream_it_guards() -> None:
    closed: list[bool] = []

    @guarded
    class Streams:
        url = "postgresql://nowhere"

        async def failed_over(self) -> None:
            return None

        async def items(self) -> AsyncIterator[int]:
            try:
                yield 1
                yield 2
            finally:
                closed.append(True)

    stream = Streams().items()
    assert await anext(stream) == 1
    await stream.aclose()  # type: ignore[attr-defined]

    assert closed == [True]


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.InterfaceError(
            "cannot call Transaction.__aexit__(): the underlying connection is closed"
        ),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        asyncpg.InternalClientError(
            "cannot switch to state 15; another operation (2) is in progress"
        ),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    ],
)
async def test_a_connection_broken_under_an_operation_is_an_outage(error: Exception) -> None:
    """What asyncpg raises when the server ends a session mid-operation (terminated, a
    failover): the connection's protocol is left in the lost operation's state."""

    async def never_failed_over() -> None:
        raise AssertionError("not a failover")

    with pytest.raises(CatalogUnavailableError, match="the server ended this session"):
        async with reachable("postgresql://u:secret@h/db", never_failed_over):
            raise error


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "start PostgreSQL or fix the"),
        (asyncpg.IdleInTransactionSessionTimeoutError("terminating connection due to idle-"
         "in-transaction timeout"), "after this process stalled in a transaction"),
        (asyncpg.AdminShutdownError("terminating connection due to administrator command"),
         "the next call connects again"),
    ],
    ids=["refused", "idle-in-transaction", "terminated"],
)  # fmt: skip
async def test_an_outage_says_whether_the_server_is_not_reached_or_ended_the_session(
    error: Exception, advice: str
) -> None:
    async def no_failover() -> None:
        pass

    with pytest.raises(CatalogUnavailableError, match=advice):
        async with reachable("postgresql://h/db", no_failover):
            raise error


@pytest.mark.parametrize(
    "error",
    [asyncpg.InterfaceError("cannot create an index"), asyncpg.InternalClientError("schema")],
)
async def test_asyncpg_s_other_client_errors_are_not_outages(error: Exception) -> None:
    async def never_failed_over() -> None:
        raise AssertionError("not a failover")

    with pytest.raises(type(error)):
        async with reachable("postgresql://h/db", never_failed_over):
            raise error


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://ocean@db/catalog?password=TopSecret", "ocean@db/catalog?password=***"),
        (
            "postgresql://ocean@db/catalog?schema=s&sslpassword=TopSecret&sslmode=require",
            "ocean@db/catalog?schema=s&sslpassword=***&sslmode=require",
        ),
        (
            "postgresql://ocean:Top@Secret@db1,db2/catalog?PASSWORD=TopSecret",
            "ocean:***@db1,db2/catalog?PASSWORD=***",
        ),
    ],
    ids=["password", "sslpassword", "both"],
)
async def test_an_outage_names_the_catalog_without_a_password_in_its_query(
    url: str, shown: str
) -> None:
    async def no_failover() -> None:
        pass

    with pytest.raises(CatalogUnavailableError) as raised:
        async with reachable(url, no_failover):
            raise ConnectionRefusedError(111, "Connection refused")

    assert "Secret" not in str(raised.value)
    assert f"the catalog postgresql://{shown} cannot be reached" in str(raised.value)


@contextlib.asynccontextmanager
async def _limited_role(postgres_url: str, limit: int) -> AsyncIterator[str]:
    """``postgres_url`` as a new role allowed ``limit`` sessions, dropped afterwards."""
    role = f"ocean_test_limited_{uuid.uuid4().hex[:8]}"
    admin_url = postgres_url.split("?", 1)[0]
    admin = await asyncpg.connect(admin_url)
    database = await admin.fetchval("SELECT current_database()")
    await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'p' CONNECTION LIMIT {limit}")
    await admin.execute(f'GRANT CREATE ON DATABASE "{database}" TO {role}')
    try:
        parts = urllib.parse.urlsplit(postgres_url)
        netloc = f"{role}:p@{parts.hostname}:{parts.port or 5432}"
        yield urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    finally:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", role
        )
        await admin.execute(f"DROP OWNED BY {role} CASCADE")
        await admin.execute(f'REVOKE CREATE ON DATABASE "{database}" FROM {role}')
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()


async def test_a_server_out_of_sessions_is_told_as_such_not_as_a_server_to_start(
    postgres_url: str,
) -> None:
    async with _limited_role(postgres_url, 2) as url:
        store = await PostgresStore.open(url)  # one session
        plain = url.split("?", 1)[0]  # (asyncpg takes no schema parameter)
        held = await asyncpg.connect(plain)  # the role's other one
        try:
            with pytest.raises(CatalogUnavailableError) as growing:  # a second session
                await asyncio.gather(*(store.list_blueprints() for _ in range(8)))
            with pytest.raises(StoreError) as opening:  # nor can another store open
                await PostgresStore.open(url)
        finally:
            await held.close()
            await store.close()

    for error in (growing.value, opening.value):
        assert "too many connections for role" in str(error)
        assert "no session left for this role or database" in str(error)
        assert "end idle sessions or raise the limit" in str(error)
        assert "start PostgreSQL" not in str(error)
