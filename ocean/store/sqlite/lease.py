"""The embedded catalog's resync leases (:class:`~ocean.store.lease.LeasesResyncs`), run on
the catalog's thread or process like the rest of
:class:`~ocean.store.sqlite.catalog.SQLiteCatalog`, each in one write transaction.

Times are this machine's clock (the catalog file is local to it) in :func:`now_iso`'s
fixed-width format, so that they compare as text.
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3

from ocean.errors import LeaseLostError
from ocean.store.base import ABANDONED_ERROR, iso_at
from ocean.store.lease import Fence, Lease, LeaseHolder, lease_lost
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.sqlite.migrations import refuse_newer

# Taken when there is no row, when it is released or expired, or when it is already the
# holder's (then it is renewed and keeps its first acquisition time).
_ACQUIRE = (
    "INSERT INTO resync_leases(integration, holder, host, pid, acquired_at, expires_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(integration) DO UPDATE SET "
    "holder = excluded.holder, host = excluded.host, pid = excluded.pid, "
    "acquired_at = CASE WHEN resync_leases.holder = excluded.holder "
    "THEN resync_leases.acquired_at ELSE excluded.acquired_at END, "
    "expires_at = excluded.expires_at "
    "WHERE resync_leases.holder IS NULL OR resync_leases.expires_at <= excluded.acquired_at "
    "OR resync_leases.holder = excluded.holder"
)
_READ = (
    "SELECT holder, host, pid, acquired_at, expires_at, completed_at, completed_since "
    "FROM resync_leases "
    "WHERE integration = ?"
)
_ABANDONED = (
    "UPDATE runs SET status = 'aborted', ended_at = ?2, report = json_set(report, "
    "'$.status', 'aborted', '$.ended_at', ?2, '$.errors[#]', ?3) "
    "WHERE integration = ?1 AND status = 'running'"
)
_RENEW = "UPDATE resync_leases SET expires_at = ?3 WHERE integration = ?1 AND holder = ?2"
_RELEASE = (
    "UPDATE resync_leases SET holder = NULL, host = NULL, pid = NULL, expires_at = ?3, "
    "completed_at = CASE WHEN ?4 THEN ?3 ELSE completed_at END, "
    "completed_since = CASE WHEN ?4 THEN acquired_at ELSE completed_since END "
    "WHERE integration = ?1 AND holder = ?2"
)


def _now_and_expiry(seconds: float) -> tuple[str, str]:
    now = dt.datetime.now(dt.UTC)
    return iso_at(now), iso_at(now + dt.timedelta(seconds=seconds))


def acquire(catalog: SQLiteCatalog, integration: str, holder: LeaseHolder, seconds: float) -> Lease:
    """Take the lease if free, expired or ``holder``'s; the lease as it stands after."""
    return catalog.in_transaction(functools.partial(_acquire, integration, holder, seconds))


def _acquire(
    integration: str, holder: LeaseHolder, seconds: float, db: sqlite3.Connection
) -> Lease:
    refuse_newer(db)
    now, expires = _now_and_expiry(seconds)
    db.execute(_ACQUIRE, (integration, holder.id, holder.host, holder.pid, now, expires))
    row = db.execute(_READ, (integration,)).fetchone()
    found, host, pid, acquired_at, expires_at, completed_at, completed_since = row
    owner = None if found is None else LeaseHolder(id=found, host=host, pid=int(pid))
    if found == holder.id:  # no other resync of it runs: a run still "running" was abandoned
        db.execute(_ABANDONED, (integration, now, ABANDONED_ERROR))
    return Lease(integration, owner, acquired_at, expires_at, completed_at, completed_since)


def renew(catalog: SQLiteCatalog, integration: str, holder: LeaseHolder, seconds: float) -> bool:
    """Extend ``holder``'s lease; False when it is no longer theirs."""
    return catalog.in_transaction(functools.partial(_renew, integration, holder, seconds))


def _renew(integration: str, holder: LeaseHolder, seconds: float, db: sqlite3.Connection) -> bool:
    _, expires = _now_and_expiry(seconds)
    return db.execute(_RENEW, (integration, holder.id, expires)).rowcount == 1


def release(catalog: SQLiteCatalog, integration: str, holder: LeaseHolder, completed: bool) -> None:
    """Give ``holder``'s lease up, noting the time when a resync ``completed``."""
    catalog.in_transaction(functools.partial(_release, integration, holder, completed))


def _release(
    integration: str, holder: LeaseHolder, completed: bool, db: sqlite3.Connection
) -> None:
    now, _ = _now_and_expiry(0)
    db.execute(_RELEASE, (integration, holder.id, now, completed))


def fenced(fence: Fence, db: sqlite3.Connection) -> None:
    """Raise :class:`LeaseLostError` unless ``fence``'s holder holds its unexpired lease
    (called in the deleting write transaction, which no lease change can interleave), and
    :class:`NewerSchemaError` if a newer Ocean migrated the catalog since the resync took
    it (a rolling upgrade: an older replica deletes nothing by rules the newer changed)."""
    refuse_newer(db)
    now, _ = _now_and_expiry(0)
    row = db.execute(
        "SELECT 1 FROM resync_leases WHERE integration = ?1 AND holder = ?2 AND expires_at > ?3",
        (fence.integration, fence.holder.id, now),
    ).fetchone()
    if row is None:
        raise LeaseLostError(lease_lost(fence))
