"""A catalog whose database cannot be reached fails a group of writes at once: no request
is at fault, so none is written again alone (which would only multiply the load on the
database), and the server answers 503 with ``Retry-After`` until it is back. PostgreSQL is
reached through a relay on loopback that the tests break, as a network or a server going
away; the embedded catalog's process is killed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from ocean.errors import CatalogUnavailableError
from ocean.server.app import create_app
from ocean.server.grouping import GroupedWrites
from ocean.store.base import Owner
from ocean.store.postgres.store import PostgresStore
from ocean.store.sqlite.process import CatalogProcess
from ocean.store.sqlite.store import SQLiteStore
from tests import loopback
from tests.conftest import POSTGRES_URL
from tests.server.serving import sign_in

OWNER = Owner("svc", "my-svc")
SVC = {"identifier": "svc", "title": "Svc", "schema": {}}
REQUESTS = 4
"""Bulk requests sent at once while the catalog is unavailable."""


class Relay:
    """A TCP relay to PostgreSQL on a loopback port, which the tests break: :meth:`cut`
    drops every connection it carries and then each new one at once (the server gone);
    :meth:`drop_writes` drops a connection as it starts a transaction, counting them (the
    server going away mid-write: the store's reads still work, its writes do not)."""

    def __init__(self) -> None:
        target = urllib.parse.urlsplit(POSTGRES_URL)
        self.target = (target.hostname or "127.0.0.1", target.port or 5432)
        self.down, self.dropping, self.dropped = False, False, 0
        self._carried: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        """The URL of the relayed database."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        parts = urllib.parse.urlsplit(POSTGRES_URL)
        user = f"{parts.username}@" if parts.username else ""
        return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{port}"))

    def cut(self) -> None:
        self.down = True
        for writer in self._carried:
            writer.transport.abort()

    def drop_writes(self) -> None:
        self.dropping = True

    def mend(self) -> None:
        self.down = self.dropping = False

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _breaks(self, sent: bytes) -> bool:
        """Whether what a client sent ends its connection (a transaction's start, while
        writes are dropped: asyncpg sends ``BEGIN`` as a simple query of its own)."""
        if self.dropping and b"BEGIN" in sent:
            self.dropped += 1
            return True
        return False

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.transport.abort()
            return
        upstream_reader, upstream = await asyncio.open_connection(*self.target)
        self._carried |= {writer, upstream}
        try:
            await asyncio.gather(
                _pipe(reader, upstream, self._breaks), _pipe(upstream_reader, writer)
            )
        finally:
            self._carried -= {writer, upstream}
            for end in (writer, upstream):
                end.transport.abort()


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    breaks: Callable[[bytes], bool] = lambda _: False,
) -> None:
    with contextlib.suppress(OSError):
        while (data := await reader.read(65536)) and not breaks(data):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


@pytest.fixture
async def relayed() -> AsyncIterator[tuple[Relay, PostgresStore]]:
    """A PostgreSQL catalog (a new schema) reached through a :class:`Relay`."""
    relay, schema = Relay(), f"test_{uuid.uuid4().hex[:12]}"
    store = await PostgresStore.open(f"{await relay.start()}?schema={schema}")
    await store.create_blueprints([SVC])
    yield relay, store
    relay.mend()
    await store.close()
    await relay.stop()
    connection = await asyncpg.connect(POSTGRES_URL)
    await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await connection.close()


def _requests(*names: str) -> list[list[Any]]:
    return [[{"identifier": name, "blueprint": "svc"}] for name in names]


async def test_a_group_the_database_drops_fails_at_once_and_is_not_written_again_alone(
    relayed: tuple[Relay, PostgresStore],
) -> None:
    relay, store = relayed
    writes = GroupedWrites(store)
    names = [f"s{n}" for n in range(REQUESTS)]
    relay.drop_writes()
    answers = await asyncio.gather(
        *(writes.upsert(r, owner=OWNER, merge=True) for r in _requests(*names)),
        return_exceptions=True,
    )
    relay.mend()
    (back,) = await writes.upsert(*_requests("s0"), owner=OWNER, merge=True)

    assert [type(answer) for answer in answers] == [CatalogUnavailableError] * REQUESTS
    assert relay.dropped == 1  # the group's one write: none made again alone
    assert "cannot be reached" in str(answers[0]) and "retry" in str(answers[0])
    assert back.status == "created"


async def test_the_embedded_catalog_s_process_gone_fails_every_request_of_the_group(
    tmp_path: Path,
) -> None:
    process = await CatalogProcess.start(tmp_path / "c.db")
    store = SQLiteStore(process, tmp_path / "c.db")
    await store.create_blueprints([SVC])
    writes = GroupedWrites(store)
    os.kill(process.pid, signal.SIGKILL)
    try:
        answers = await asyncio.gather(
            *(writes.upsert(r, owner=OWNER, merge=True) for r in _requests("a", "b", "c")),
            return_exceptions=True,
        )
    finally:
        await store.close()

    assert all(isinstance(answer, CatalogUnavailableError) for answer in answers), answers
    assert "exited" in str(answers[0])


@contextlib.asynccontextmanager
async def _served(store: PostgresStore) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of the catalog server over ``store`` on a loopback port."""
    client_id, secret = await store.create_credentials("tests")
    async with (
        loopback.served(create_app(store), log_level="critical") as base,
        httpx.AsyncClient(base_url=base) as api,
    ):
        await sign_in(api, client_id, secret)
        yield api


@pytest.mark.parametrize("outage", [Relay.cut, Relay.drop_writes], ids=["down", "mid-write"])
async def test_bulk_requests_while_postgresql_cannot_be_reached_are_503_then_written_once_back(
    relayed: tuple[Relay, PostgresStore], outage: Callable[[Relay], None]
) -> None:
    relay, store = relayed
    bulk = "/v1/blueprints/svc/entities/bulk?upsert=true"
    names = [f"s{n}" for n in range(REQUESTS)]
    async with _served(store) as api:
        outage(relay)
        down = await asyncio.gather(
            *(api.post(bulk, json={"entities": r}) for r in _requests(*names))
        )
        relay.mend()
        back = await asyncio.gather(
            *(api.post(bulk, json={"entities": r}) for r in _requests(*names))
        )

    assert [(answer.status_code, answer.json()["error"]) for answer in down] == [
        (503, "catalog_unavailable")
    ] * REQUESTS
    assert all(int(answer.headers["Retry-After"]) > 0 for answer in down)
    assert "cannot be reached" in down[0].json()["message"]
    assert [answer.status_code for answer in back] == [200] * REQUESTS
    assert sorted(await store.get_entities("svc", names)) == names
