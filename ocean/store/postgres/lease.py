"""The PostgreSQL catalog's resync leases (:class:`~ocean.store.lease.LeasesResyncs`).

Times are the database server's clock (``now()``), so that replicas on several machines
agree on when a lease expires whatever their own clocks say. Taking a lease is one
``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` (the row is locked while it is decided),
read back in the same transaction. Expiry is judged, and new times are stamped, by
``clock_timestamp()``, the time once the row is locked: ``now()`` is when the transaction
began, before any wait for the lock, so a lease that lapsed meanwhile would look held, and
one taken after a wait would be written already lapsed.
"""

from __future__ import annotations

import datetime as dt

import asyncpg

from ocean.errors import LeaseLostError
from ocean.store.base import ABANDONED_ERROR, iso_at, now_iso
from ocean.store.lease import Fence, Lease, LeaseHolder, lease_lost
from ocean.store.postgres.nuls import as_jsonb
from ocean.store.postgres.schema import refuse_newer

_ACQUIRE = (
    "INSERT INTO resync_leases AS l (integration, holder, host, pid, acquired_at, expires_at) "
    "VALUES ($1, $2, $3, $4, clock_timestamp(), clock_timestamp() + make_interval(secs => $5)) "
    "ON CONFLICT (integration) DO UPDATE SET "
    "holder = excluded.holder, host = excluded.host, pid = excluded.pid, "
    "acquired_at = CASE WHEN l.holder = excluded.holder THEN l.acquired_at "
    "ELSE clock_timestamp() END, expires_at = clock_timestamp() + make_interval(secs => $5) "
    "WHERE l.holder IS NULL OR l.expires_at <= clock_timestamp() OR l.holder = excluded.holder"
)
_READ = (
    "SELECT holder, host, pid, acquired_at, expires_at, completed_at, completed_since "
    "FROM resync_leases "
    "WHERE integration = $1"
)
_ABANDONED = (
    "UPDATE runs SET status = 'aborted', ended_at = $2, report = jsonb_set(jsonb_set("
    f"jsonb_set({as_jsonb('report')}, '{{status}}', '\"aborted\"'), '{{ended_at}}', "
    f"to_jsonb($2::text)), '{{errors}}', ({as_jsonb('report')} -> 'errors') || "
    "to_jsonb($3::text))::text WHERE integration = $1 AND status = 'running'"
)
_RENEW = (
    "UPDATE resync_leases SET expires_at = clock_timestamp() + make_interval(secs => $3) "
    "WHERE integration = $1 AND holder = $2"
)
_RELEASE = (
    "UPDATE resync_leases SET holder = NULL, host = NULL, pid = NULL, expires_at = now(), "
    "completed_at = CASE WHEN $3 THEN now() ELSE completed_at END, "
    "completed_since = CASE WHEN $3 THEN acquired_at ELSE completed_since END "
    "WHERE integration = $1 AND holder = $2"
)


def _stamp(moment: dt.datetime | None) -> str | None:
    return None if moment is None else iso_at(moment)


async def acquire(
    pool: asyncpg.Pool, integration: str, holder: LeaseHolder, seconds: float
) -> Lease:
    """Take the lease if free, expired or ``holder``'s; the lease as it stands after."""
    async with pool.acquire() as db, db.transaction():
        await refuse_newer(db)
        await db.execute(_ACQUIRE, integration, holder.id, holder.host, holder.pid, seconds)
        row = await db.fetchrow(_READ, integration)
        assert row is not None, "the row was just written"
        if row[0] == holder.id:  # no other resync of it runs: "running" ones were abandoned
            await db.execute(_ABANDONED, integration, now_iso(), ABANDONED_ERROR)
    found, host, pid, acquired_at, expires_at, completed_at, completed_since = row
    owner = None if found is None else LeaseHolder(id=found, host=host, pid=int(pid))
    stamps = (_stamp(moment) for moment in (acquired_at, expires_at, completed_at, completed_since))
    return Lease(integration, owner, *stamps)


async def renew(pool: asyncpg.Pool, integration: str, holder: LeaseHolder, seconds: float) -> bool:
    """Extend ``holder``'s lease; False when it is no longer theirs."""
    status = await pool.execute(_RENEW, integration, holder.id, seconds)
    return bool(status == "UPDATE 1")


async def release(
    pool: asyncpg.Pool, integration: str, holder: LeaseHolder, completed: bool
) -> None:
    """Give ``holder``'s lease up, noting the time when a resync ``completed``."""
    await pool.execute(_RELEASE, integration, holder.id, completed)


def held_by(integration: int, holder: int) -> str:
    """A query of one row while the holder (parameter number ``holder``) holds the unexpired
    lease of the integration (parameter ``integration``), locking the lease's row until the
    transaction ends; of none otherwise."""
    return (
        f"SELECT 1 FROM resync_leases WHERE integration = ${integration} AND holder = ${holder} "
        "AND expires_at > clock_timestamp() FOR SHARE"
    )


async def fenced(db: asyncpg.Connection, fence: Fence) -> None:
    """Raise :class:`LeaseLostError` unless ``fence``'s holder holds its unexpired lease; in
    a transaction, the lease's row is then locked (``FOR SHARE``) until it ends, so no other
    holder can take it before the transaction commits. Asked last in the deleting
    transaction, so that the holder's own heartbeat (an update of that row) waits only for
    the commit, not for the whole deletion. Raises :class:`NewerSchemaError` if a newer
    Ocean migrated the catalog since the resync took its lease (a rolling upgrade: an
    older replica deletes nothing by rules the newer one changed)."""
    await refuse_newer(db)
    held = await db.fetchval(held_by(1, 2), fence.integration, fence.holder.id)
    if held is None:
        raise LeaseLostError(lease_lost(fence))
