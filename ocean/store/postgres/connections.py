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

from ocean.errors import CatalogUnavailableError, StoreError
from ocean.masked_url import without_password

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
    asyncpg.IdleInTransactionSessionTimeoutError,  # ended by the server (see SESSION)
    asyncpg.QueryCanceledError,  # statement_timeout, or cancelled by an administrator
    asyncpg.LockNotAvailableError,  # lock_timeout: another session held a row past it
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
    :func:`reachable`, those it inherits too: an outage in any call, a write or a read, is
    told the same way, and a failover seen by any call is the store's (nested calls tell it
    once)."""
    for name in dir(cls):
        method = inspect.getattr_static(cls, name)
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
    except (*UNREACHABLE, asyncpg.InterfaceError, asyncpg.InternalClientError) as error:
        if isinstance(error, asyncpg.InterfaceError | asyncpg.InternalClientError) and not (
            _broken(error)
        ):
            raise  # a misuse, not an outage
        if isinstance(error, asyncpg.ReadOnlySQLTransactionError):
            await failed_over()
        raise CatalogUnavailableError(
            f"the catalog {without_password(url)} cannot be reached ({type(error).__name__}: "
            f"{error}): {_advice(error)}"
        ) from error


def _advice(error: BaseException) -> str:
    """What to do: a statement the server cancelled is made again; a session the server
    ended (a restart, a failover, an administrator, or
    ``idle_in_transaction_session_timeout`` after this process stalled inside a
    transaction) is opened again by the next call; a server not reached needs starting or
    a right URL."""
    if isinstance(error, asyncpg.QueryCanceledError):
        return (
            "the server cancelled the statement (statement_timeout, or an administrator or "
            "a pooler cancelled it); retry, and if it recurs raise statement_timeout"
        )
    if isinstance(error, asyncpg.LockNotAvailableError):
        return (
            "another session held what the statement had to lock for longer than the "
            "session's lock_timeout; retry, and if it recurs raise lock_timeout"
        )
    if isinstance(error, asyncpg.TooManyConnectionsError):
        return too_many_sessions()
    if isinstance(error, asyncpg.DiskFullError):
        return "the server's disk is full: free space on it (or grow it), then retry"
    if isinstance(error, asyncpg.OutOfMemoryError):
        return "the server ran out of memory: retry, and if it recurs give it more"
    if isinstance(error, _SESSION_ENDED):
        return (
            "the server ended this session (a restart, a failover, an administrator, or "
            "idle_in_transaction_session_timeout after this process stalled in a "
            "transaction); the next call connects again: retry"
        )
    return "start PostgreSQL or fix the catalog URL, then retry"


def too_many_sessions() -> str:
    """What to do when the server refuses a session for want of connection slots (the
    server running, the URL right: "start PostgreSQL" would mislead)."""
    return (
        "the server is running but has no session left for this role or database (their "
        "CONNECTION LIMIT, or the server's max_connections); each Ocean process keeps up "
        f"to {POOL_SIZE} sessions: end idle sessions or raise the limit, then retry"
    )


_SESSION_ENDED = (
    asyncpg.InterfaceError,  # closed under an operation (see _broken)
    asyncpg.InternalClientError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.AdminShutdownError,
    asyncpg.IdleInTransactionSessionTimeoutError,
    asyncpg.IdleSessionTimeoutError,
)


def _broken(error: asyncpg.InterfaceError | asyncpg.InternalClientError) -> bool:
    """Whether asyncpg says the connection closed or broke under an operation: the server
    went away inside a transaction (``cannot call Transaction.__aexit__(): the underlying
    connection is closed``), or mid-operation, leaving the connection's protocol in the
    state of the operation it lost (``cannot perform operation: another operation is in
    progress`` as the pool resets it, which closes it; ``cannot switch to state ...``)."""
    return any(sign in str(error) for sign in _BROKEN)


_BROKEN = (
    "connection is closed",
    "connection was closed",
    "another operation is in progress",
    "cannot switch to state",
)


POOL_SIZE = 4
"""The most sessions a store keeps open at once."""


async def pooled(url: str, *, size: int = POOL_SIZE) -> tuple[asyncpg.Pool, str | None]:
    """A pool of up to ``size`` sessions on the catalog ``url`` names
    (``postgresql://USER@HOST:PORT/DB[?schema=NAME]``), and its schema: every session's
    search path, set up and kept as below."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    query.pop("schema", None)  # (read with blanks: an empty one is refused, not the default)
    given = urllib.parse.parse_qs(parts.query, keep_blank_values=True).get("schema", [None])[0]
    schema = None if given is None else schema_named(given)
    dsn = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, doseq=True)))
    settings = {"search_path": listed(schema)} if schema else {}
    session = {name: value for name, value in SESSION.items() if name not in query}
    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=size, server_settings=settings, reset=session_kept,
        init=functools.partial(_set_up, names=list(session), values=list(session.values())),
    )  # fmt: skip
    return pool, schema


def schema_named(given: str) -> str:
    """The schema a catalog URL's ``schema`` parameter names, read as PostgreSQL reads one
    name in ``search_path``: unquoted, folded to lower case (``MySchema`` is ``myschema``,
    as in SQL); double-quoted, exactly (``"MySchema"``, ``""`` a quote inside). Anything
    else (two names, a space, an unclosed quote) is refused: ``search_path`` would read a
    list, and the tables go to the first of its schemas that exists, another catalog's."""
    text = given.strip(_SPACES)
    if text.startswith('"'):
        inner = text[1:-1] if len(text) > 1 and text.endswith('"') else '"'
        if inner and '"' not in inner.replace('""', ""):
            return inner.replace('""', '"')
    elif text and not any(c in _SPACES + "," for c in text):
        return text.translate(_LOWER)
    raise StoreError(
        f"the catalog URL's schema parameter {given!r} is not one schema name: give one "
        "name, without spaces or commas (double-quote it, as %22My Schema%22, to keep "
        "them or its case)"
    )


def quoted(schema: str) -> str:
    """``schema`` as an identifier in SQL, quoted."""
    return '"' + schema.replace('"', '""') + '"'


def listed(schema: str) -> str:
    """``schema`` as the one name in ``search_path``: quoted if read unquoted it would not
    be itself (as :func:`schema_named` reads it)."""
    plain = not any(c in _SPACES + ',"' for c in schema) and schema == schema.translate(_LOWER)
    return schema if plain and schema else quoted(schema)


_SPACES = " \t\n\r\f\v"
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


SESSION = {
    "jit": "off",
    "idle_in_transaction_session_timeout": "60s",
    "tcp_keepalives_idle": "30",
    "tcp_keepalives_interval": "10",
    "tcp_keepalives_count": "3",
}
"""Every session's settings, set once it opens (not as startup parameters, which poolers
such as PgBouncer refuse), but for those the catalog URL names: asyncpg sends a URL's
parameters other than its own (``?idle_in_transaction_session_timeout=30s``) as settings.

- No JIT: a catalog's queries are short, and one planned without statistics (a fresh
  catalog, before autoanalyze) spent 120 ms compiling 3 ms of work.
- A session idle inside a transaction for 60 s is ended by the server, releasing its locks:
  a resync's holder frozen mid-write (a paused VM, a stopped process) holds its
  blueprints' locks, and the replica that takes its lease over (after
  ``OCEAN__RESYNC_LEASE_SECONDS``, 30 s by default, which the store is not told) would
  wait for them as long as it stays frozen. Ocean's transactions wait on nothing but the
  server (a write plans between its statements, in milliseconds; a COPY or a deletion's
  chunk is one statement, active while it runs): only a stuck process's are ended. With
  a longer lease, raise it in the URL.
- The server probes a client silent for 30 s every 10 s, 3 times: a lost machine's
  sessions (and locks) end in about a minute rather than the kernel's two hours."""


async def _set_up(connection: asyncpg.Connection, names: list[str], values: list[str]) -> None:
    """A new session's :data:`SESSION` settings, in one round trip."""
    await connection.execute(_SET, names, values)


_SET = "SELECT set_config(n, v, false) FROM unnest($1::text[], $2::text[]) AS s(n, v)"


async def session_kept(connection: asyncpg.Connection) -> None:
    """A connection back in the pool keeps its session: the store's locks and settings are
    all its transactions' (an open one is still rolled back), so asyncpg's reset (closing
    cursors, releasing session locks, resetting settings) is a round trip each write waits
    for, to undo nothing."""
