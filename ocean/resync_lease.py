"""One resync at a time per integration identifier per catalog: a lease in the catalog.

A resync takes its integration's lease before it writes anything (:func:`under_lease`),
renews it every third of its length while it runs, and gives it up when it ends
(completed, failed or aborted, or stopped while the catalog was taking it). A holder
killed without giving it up blocks the others until the lease expires
(``OCEAN__RESYNC_LEASE_SECONDS``, 30 s). When another process
holds it, the resync is refused with :class:`~ocean.errors.LeaseHeldError` (after waiting
up to ``OCEAN__RESYNC_LEASE_WAIT_SECONDS``, 0 by default), naming the holder; nothing has
been written. When the lease cannot be renewed (another took it after it expired, or the
catalog did not answer before it would have), the resync is cancelled (it records itself
``aborted`` and deletes nothing) and :class:`~ocean.errors.LeaseLostError` is raised. The
stale deletion itself is fenced (:class:`~ocean.store.lease.Fence`): the catalog checks the
lease in the deleting transaction, so a resync held up past its lease before its heartbeat
noticed deletes nothing either.

Catalogs without leases (the Port API) run resyncs as they come.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ocean.errors import LeaseHeldError, LeaseLostError
from ocean.monitor.report import ResyncReport
from ocean.store.base import Store
from ocean.store.lease import Lease, LeaseHolder, LeasesResyncs

_log = logging.getLogger(__name__)
_POLL = 0.5
"""Seconds between two tries while waiting for a lease held by another."""


def this_process() -> LeaseHolder:
    """A new holder identity: random, with this host's name and process id for messages."""
    return LeaseHolder(id=secrets.token_hex(8), host=socket.gethostname(), pid=os.getpid())


@dataclass(frozen=True)
class LeaseTerms:
    """Who takes the lease, for how long, and how long to wait for another holder."""

    seconds: float = 30.0
    wait: float = 0.0
    holder: LeaseHolder = field(default_factory=this_process)

    @property
    def renew_every(self) -> float:
        return self.seconds / 3


@dataclass(frozen=True)
class Standby:
    """A resync that was refused because another held the lease (or that lost its own), to
    be tried again: it is not needed any more once a resync that took the lease after
    ``held_since`` has completed. That one started after the refusal, so it read what the
    trigger asked for; the holder that refused it may have read its data before the
    trigger (a change that asked for this resync), so its completion is not enough."""

    trigger: str
    held_since: str | None
    """When the refusing holder took the lease (or the lost resync did); None: unknown,
    and the retry runs."""

    def done_by(self, lease: Lease) -> bool:
        """Whether a resync that took ``lease`` after the refusal has completed."""
        since, after = lease.completed_since, self.held_since
        return since is not None and after is not None and since > after


Work = Callable[[], Awaitable[ResyncReport]]


async def under_lease(
    store: Store,
    integration: str,
    terms: LeaseTerms,
    work: Work,
    *,
    standby: Standby | None = None,
) -> ResyncReport | None:
    """``work`` run while holding ``integration``'s lease (as it comes when the catalog
    keeps none). None when ``standby`` is given and a resync completed since it."""
    if not isinstance(store, LeasesResyncs):
        return await work()
    lease = await _acquire(store, integration, terms)
    if standby is not None and standby.done_by(lease):
        _log.info(
            "the %s resync of %s is not needed: another, started after it was asked for "
            "or refused, completed at %s", standby.trigger, integration, lease.completed_at,
        )  # fmt: skip
        await asyncio.shield(_release(store, integration, terms.holder, completed=False))
        return None
    try:
        return await _hold(store, integration, terms, work)
    except LeaseLostError as error:
        error.held_since = lease.acquired_at  # a standby retries unless a later one completes
        raise


async def _acquire(store: LeasesResyncs, integration: str, terms: LeaseTerms) -> Lease:
    """The lease, taken; waits up to ``terms.wait`` for another holder, then refuses."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + terms.wait
    while True:
        lease = await _try(store, integration, terms)
        if lease.held_by(terms.holder):
            return lease
        left = deadline - loop.time()
        if left <= 0:
            raise LeaseHeldError(held_message(lease, terms.wait), lease.acquired_at)
        await asyncio.sleep(min(left, _POLL))


async def _try(store: LeasesResyncs, integration: str, terms: LeaseTerms) -> Lease:
    """One try for the lease. The catalog may take it after the caller was cancelled
    (SQLite's thread or process runs a call it was sent to its end; PostgreSQL may have
    committed before the cancellation reached it), and no one would give it up: it would
    hold off every other resync until it lapsed. So the try is not cancelled but runs to
    its end, and a caller cancelled meanwhile gives up what it took before stopping."""
    trying = asyncio.ensure_future(store.acquire_lease(integration, terms.holder, terms.seconds))
    try:
        return await asyncio.shield(trying)
    except asyncio.CancelledError:
        await asyncio.shield(_given_up(store, integration, terms, trying))
        raise


async def _given_up(
    store: LeasesResyncs, integration: str, terms: LeaseTerms, trying: asyncio.Future[Lease]
) -> None:
    """Once ``trying`` has ended, give up the lease unless it found another holding it (a
    try that failed may still have taken it: giving up a lease not held does nothing). A
    try that hangs (a connection gone silent) is waited for as long as the lease lasts at
    most, then dropped: whatever it took lapses."""
    await asyncio.wait([trying], timeout=terms.seconds)
    if not trying.done():
        trying.cancel()
        return
    if (
        trying.cancelled()
        or trying.exception() is not None
        or trying.result().held_by(terms.holder)
    ):
        await _release(store, integration, terms.holder, completed=False)


def held_message(lease: Lease, waited: float) -> str:
    """What a refused resync says: who holds the lease, since and until when, what to do
    (and, when its holder ran on this host and its process is gone, that it ended)."""
    after = f" after waiting {waited:g} s" if waited else ""
    holder = lease.holder
    gone = holder is not None and _gone(holder)
    doing = "that has ended still holds its lease" if gone else "is running"
    return (
        f"another resync of integration {lease.integration!r} {doing} on this catalog{after} "
        f"({lease.holder}, since {lease.acquired_at}, lease until {lease.expires_at}, renewed "
        "while it runs); this resync was refused and wrote nothing. "
        + (
            f"No process {holder.pid if holder else '?'} runs on this host: that resync "
            "ended without giving its lease up (killed, or stopped by an error such as a "
            "full disk), and its lease lapses at the time above: run again then, or set "
            "OCEAN__RESYNC_LEASE_WAIT_SECONDS to wait for it."
            if gone
            else "Run again once it has ended (`ocean catalog runs`), or set "
            "OCEAN__RESYNC_LEASE_WAIT_SECONDS to wait for it; if that process is gone, its "
            "lease lapses at the time above."
        )
    )


def _gone(holder: LeaseHolder) -> bool:
    """Whether ``holder`` ran on this host and no process of its pid runs here now (a
    container sharing the host's name, in another process namespace, may be wrong: only
    the message changes, never who may take the lease)."""
    if holder.host != socket.gethostname() or holder.pid == os.getpid() or holder.pid <= 0:
        return False
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # (it runs, as another user)
        return False
    return False


async def _hold(
    store: LeasesResyncs, integration: str, terms: LeaseTerms, work: Work
) -> ResyncReport:
    """Run ``work`` in a task of its own while a heartbeat renews the lease; the lease is
    given up at the end however it ends. A lost lease cancels the task."""
    running = asyncio.ensure_future(work())
    lost: list[str] = []
    beat = asyncio.create_task(_heartbeat(store, integration, terms, running, lost))
    report: ResyncReport | None = None
    try:
        report = await running
        return report
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if lost and (task is None or not task.cancelling()):
            raise LeaseLostError(lost[0]) from None
        raise
    finally:
        beat.cancel()
        completed = (  # a full resync's: an incremental one reads changes only
            report is not None and report.status == "completed" and report.mode == "full"
        ) and not lost
        await asyncio.shield(_release(store, integration, terms.holder, completed))


async def _release(
    store: LeasesResyncs, integration: str, holder: LeaseHolder, completed: bool
) -> None:
    try:
        await store.release_lease(integration, holder, completed=completed)
    except Exception as error:  # (whatever the catalog raised): it lapses by itself
        _log.warning("could not give up the resync lease of %s: %s", integration, error)


async def _heartbeat(
    store: LeasesResyncs,
    integration: str,
    terms: LeaseTerms,
    running: asyncio.Future[ResyncReport],
    lost: list[str],
) -> None:
    """Renew the lease every third of its length; when it cannot be renewed before it
    would lapse, say why in ``lost`` and cancel ``running``. A renewal that fails (with any
    error: one escaping would end the heartbeat, and the lease would lapse under the
    running resync) or hangs (a connection the catalog dropped) is given a sixth of the
    length, then tried again soon, so that one bad try does not lose the lease."""
    loop = asyncio.get_running_loop()
    valid_until, wait = loop.time() + terms.seconds, terms.renew_every
    while True:
        await asyncio.sleep(wait)
        asked = loop.time()
        try:
            async with asyncio.timeout(max(0.1, min(valid_until - asked, terms.seconds / 6))):
                renewed = await store.renew_lease(integration, terms.holder, terms.seconds)
        except Exception as error:  # whatever the catalog raised (a lock_timeout, say)
            reason = str(error) or (
                "no answer in time" if isinstance(error, TimeoutError) else repr(error)
            )
            if loop.time() < valid_until:
                _log.warning("renewing the resync lease of %s failed: %s", integration, reason)
                wait = terms.seconds / 15
                continue
            why = f"the catalog did not renew it before it lapsed ({reason})"
        else:
            if renewed:
                valid_until, wait = asked + terms.seconds, terms.renew_every
                continue
            why = "another process took it after it lapsed"
        lost.append(_lost_message(integration, why))
        running.cancel()
        return


def _lost_message(integration: str, why: str) -> str:
    return (
        f"the resync of integration {integration!r} lost its lease: {why}. It stopped "
        "writing and deleting and was recorded aborted; another resync of it may be running "
        "now (`ocean catalog runs`). If this recurs, the catalog is too slow to answer: "
        "raise OCEAN__RESYNC_LEASE_SECONDS."
    )
