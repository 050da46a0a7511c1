"""The PostgreSQL catalog's connections: how a session is set up and kept, and what their
failure means. A connection that cannot be made or is lost (the server down, restarting,
refusing connections or out of them) is :class:`~ocean.errors.CatalogUnavailableError`:
no request is at fault, and the catalog server answers 503 rather than blaming the write.
Every public call of a store is guarded so (:func:`guarded`)."""

from __future__ import annotations

import contextlib
import functools
import inspect
import urllib.parse
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, TypeVar

import asyncpg

from ocean.errors import CatalogUnavailableError

UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, timed out, no route (ConnectionError, TimeoutError)
    asyncpg.PostgresConnectionError,  # lost mid-operation, rejected, failed
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.DiskFullError,
    asyncpg.OutOfMemoryError,
    asyncpg.ReadOnlySQLTransactionError,  # a standby after a failover
)
"""The errors that say the catalog cannot be reached, not that a request is wrong."""


class Outages(Protocol):
    """A store whose calls :func:`guarded` guards."""

    url: str

    async def failed_over(self) -> None:
        """Its server was demoted: connect again, and forget what was read from it."""
        ...


S = TypeVar("S", bound=Outages)


def guarded(cls: type[S]) -> type[S]:
    """``cls`` with every public coroutine (and async generator) method run in
    :func:`reachable`: an outage in any call, a write or a read, is told the same way, and
    a failover seen by any call is the store's (nested calls tell it once)."""
    for name, method in list(vars(cls).items()):
        if name.startswith("_") or name == "failed_over":
            continue
        if inspect.iscoroutinefunction(method):
            setattr(cls, name, _guarded_call(method))
        elif inspect.isasyncgenfunction(method):
            setattr(cls, name, _guarded_stream(method))
    return cls


def _guarded_call(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def call(store: Outages, *args: Any, **kwargs: Any) -> Any:
        async with reachable(store.url, store.failed_over):
            return await method(store, *args, **kwargs)

    return call


def _guarded_stream(
    method: Callable[..., AsyncGenerator[Any]],
) -> Callable[..., AsyncGenerator[Any]]:
    @functools.wraps(method)
    async def stream(store: Outages, *args: Any, **kwargs: Any) -> AsyncGenerator[Any]:
        async with (
            reachable(store.url, store.failed_over),
            contextlib.aclosing(method(store, *args, **kwargs)) as items,  # closed with this
        ):
            async for item in items:
                yield item

    return stream


@contextlib.asynccontextmanager
async def reachable(url: str, failed_over: Callable[[], Awaitable[None]]) -> AsyncIterator[None]:
    """Raise :class:`CatalogUnavailableError` naming the catalog for an error of
    :data:`UNREACHABLE` in the block (its work, awaited inside, is the store's). A read-only
    transaction says the server the sessions are on was demoted (a failover):
    ``failed_over`` is awaited, so that the next call connects again, to the promoted
    primary when the URL follows it (a failover's address or a multi-host URL)."""
    try:
        yield
    except (*UNREACHABLE, asyncpg.InterfaceError) as error:
        if isinstance(error, asyncpg.InterfaceError) and not _closed(error):
            raise  # a misuse, not an outage
        if isinstance(error, asyncpg.ReadOnlySQLTransactionError):
            await failed_over()
        raise CatalogUnavailableError(
            f"the catalog {_without_password(url)} cannot be reached ({type(error).__name__}: "
            f"{error}): start PostgreSQL or fix the catalog URL, then retry"
        ) from error


def _closed(error: asyncpg.InterfaceError) -> bool:
    """Whether asyncpg says the connection closed under an operation (the server went away
    inside a transaction: ``cannot call Transaction.__aexit__(): the underlying connection
    is closed``)."""
    return "connection is closed" in str(error) or "connection was closed" in str(error)


def _without_password(url: str) -> str:
    """``url`` with the password, if any, left out of messages."""
    scheme, sep, rest = url.partition("://")
    user, at, host = rest.rpartition("@")
    if not at or ":" not in user:
        return url
    return f"{scheme}{sep}{user.split(':', 1)[0]}:***@{host}"


async def pooled(url: str, *, size: int = 4) -> tuple[asyncpg.Pool, str | None]:
    """A pool of up to ``size`` sessions on the catalog ``url`` names
    (``postgresql://USER@HOST:PORT/DB[?schema=NAME]``), and its schema: every session's
    search path, set up and kept as below."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    schema = query.pop("schema", [None])[0]
    dsn = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, doseq=True)))
    settings = {"search_path": schema} if schema else {}
    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=size, server_settings=settings, reset=session_kept,
        init=without_jit,
    )  # fmt: skip
    return pool, schema


async def without_jit(connection: asyncpg.Connection) -> None:
    """No JIT: a catalog's queries are short, and one planned without statistics (a fresh
    catalog, before autoanalyze) spent 120 ms compiling 3 ms of work. Set once a session
    opens, not as a startup parameter, which poolers such as PgBouncer refuse."""
    await connection.execute("SET jit = off")


async def session_kept(connection: asyncpg.Connection) -> None:
    """A connection back in the pool keeps its session: the store's locks and settings are
    all its transactions' (an open one is still rolled back), so asyncpg's reset (closing
    cursors, releasing session locks, resetting settings) is a round trip each write waits
    for, to undo nothing."""
