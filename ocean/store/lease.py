"""A resync's lease in the catalog: who holds it, the fence of a holder's deletions, and
the protocol of the catalogs that keep leases (SQLite, PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class LeaseHolder:
    """Who holds a resync lease: a random id (one per process), and where it runs, for
    the messages of those who find the lease taken."""

    id: str
    host: str
    pid: int

    def __str__(self) -> str:
        return f"host {self.host}, pid {self.pid}"


@dataclass(frozen=True)
class Fence:
    """A resync's lease as the condition of its stale deletion: the catalog deletes only
    while ``holder`` still holds ``integration``'s unexpired lease, checked in the deleting
    transaction, so a resync held up past its lease (frozen, paused, cut off) deletes
    nothing once another has taken over."""

    integration: str
    holder: LeaseHolder


def lease_lost(fence: Fence) -> str:
    """What a fenced deletion that found the lease gone says."""
    return (
        f"this resync of integration {fence.integration!r} no longer holds its lease (it "
        "lapsed while this process was held up, and another resync may have taken it): the "
        "stale entities still standing were not deleted, the resync is aborted; the resync "
        "holding the lease deletes what is stale. If this recurs, raise OCEAN__RESYNC_LEASE_SECONDS"
    )


@dataclass(frozen=True)
class Lease:
    """An integration's resync lease as the catalog holds it (times in :func:`now_iso`'s
    format). ``holder`` is None once released; ``completed_at`` is when a full resync holding
    it last completed (None: never), and ``completed_since`` when that resync took it."""

    integration: str
    holder: LeaseHolder | None
    acquired_at: str | None
    expires_at: str | None
    completed_at: str | None
    completed_since: str | None = None

    def held_by(self, holder: LeaseHolder) -> bool:
        return self.holder is not None and self.holder.id == holder.id


@runtime_checkable
class LeasesResyncs(Protocol):
    """A catalog that keeps one resync lease per integration identifier (SQLite,
    PostgreSQL), so that one resync of an integration runs at a time (see
    :mod:`ocean.resync_lease`). The Port API has none: resyncs into it are not leased."""

    async def acquire_lease(self, integration: str, holder: LeaseHolder, seconds: float) -> Lease:
        """Take the lease for ``seconds`` when it is free, expired or already
        ``holder``'s, in one atomic step; returns the lease as it stands afterwards (held
        by someone else when it was not taken)."""
        ...

    async def renew_lease(self, integration: str, holder: LeaseHolder, seconds: float) -> bool:
        """Extend ``holder``'s lease to ``seconds`` from now; False when it is no longer
        theirs (released, or taken by another after it expired)."""
        ...

    async def release_lease(
        self, integration: str, holder: LeaseHolder, *, completed: bool
    ) -> None:
        """Give the lease up (nothing when it is no longer ``holder``'s), noting the time
        when ``completed``."""
        ...
