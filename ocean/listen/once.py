"""The ONCE listener: one resync, then the caller exits (non-zero if it failed)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from ocean.config.settings import EventListenerSettings
from ocean.defaults import add_actions, dock_command, sync_blueprints
from ocean.errors import MappingError
from ocean.incremental import run_incremental
from ocean.integration import run_hooks
from ocean.job import Observer, ResyncJob
from ocean.listen.reload import mapping_of_record, use_mapping_of
from ocean.live.apply import LiveWriter
from ocean.live.raw import DirectWrites
from ocean.load.freshness import Freshness
from ocean.mapping import to_document
from ocean.monitor.port_sync_metrics import sync_metrics
from ocean.monitor.report import ResyncReport
from ocean.monitor.sensitive import redact
from ocean.port_resources import SetsUpResources, set_up
from ocean.resync import run_resync
from ocean.resync_lease import LeaseTerms, Standby, under_lease
from ocean.sail import Sail
from ocean.store.base import InstallsIntegrations, Store
from ocean.store.lease import Fence, LeasesResyncs
from ocean.transform.pool import TransformPool

_log = logging.getLogger(__name__)
STOP_WITHIN = 30.0
"""Seconds the ``on_stop`` hooks may take together."""


def _pool(sail: Sail) -> TransformPool | None:
    """Worker processes, only when some resource needs jq and more than one is allowed."""
    workers = sail.settings.transform_workers
    probe = TransformPool.needed(sail.resources)
    return TransformPool(sail.resources, workers=workers) if workers > 1 and probe else None


class Started(NamedTuple):
    """What starting an integration did."""

    created: list[str]
    """The blueprints created."""
    errors: list[str]
    """The ``on_start`` hooks' errors."""
    blueprint_notes: list[str]
    """Blueprint changes not applied (unsafe), each with the command that applies it."""


async def start(sail: Sail, store: Store, freshness: Freshness | None = None) -> Started:
    """Create missing blueprints and apply the safe changes of ``blueprints.json`` to the
    others (the unsafe ones are logged and returned; against a Port API, install the
    integration and set it up the first time only), bind ``register_raw``, and run the
    ``on_start`` hooks (failures are reported, not fatal, as in the original)."""
    if isinstance(store, SetsUpResources):
        created, notes = await _set_up_in_port(sail, store), []
    else:
        sync = await sync_blueprints(store, sail.folder.blueprints)
        created = sync.created
        if sail.settings.initialize_port_resources:
            await add_actions(store, sail.folder.extras.actions)
        notes = sync.notes(dock_command(sail.folder.path, sail.settings.catalog.url))
    for note in notes:
        _log.warning("%s", note)
    bind_writes(sail, store, freshness)
    errors: list[str] = []
    integration = sail.folder.integration
    with integration.start_scope(sail.folder.mapping):
        await run_hooks(integration.start_hooks, "on_start", errors)
    return Started(created, [redact(error) for error in errors], notes)


async def _set_up_in_port(sail: Sail, store: SetsUpResources) -> list[str]:
    """Install the integration in a Port API and set its resources up the first time
    (see :mod:`ocean.port_resources`); the blueprints created."""
    mapping = to_document(sail.folder.mapping)
    settings = sail.settings
    features = {  # what the original tells Port of itself
        "actionsProcessingEnabled": settings.actions_processor.enabled,
        "incrementalSyncEnabled": settings.integration.incremental_sync_enabled,
    }
    record = await store.register_integration(
        sail.owner,
        changelog_destination=changelog_destination(settings.event_listener),
        config=mapping,
        features=features,
    )
    enabled = sail.settings.initialize_port_resources
    identifier = sail.owner.identifier
    created = await set_up(
        store,
        identifier,
        record,
        sail.folder.blueprints,
        mapping,
        enabled=enabled,
        extras=sail.folder.extras,
    )
    try:  # live events map by it from the start, not from the first resync on
        await mapping_of_record(sail, store)
    except MappingError as error:  # (a resync fails on it, saying so)
        _log.error("%s; the folder's mapping is used until it is fixed", error)
    return created


def bind_writes(sail: Sail, store: Store, freshness: Freshness | None = None) -> None:
    """Bind the integration's ``register_raw`` / ``unregister_raw`` (and catalog reads) to
    ``store``, with the run's mapping (done at start; the integration-test harness does it
    alone, as the original's harness starts no ``on_start`` hook)."""
    shared = freshness if freshness is not None else Freshness()  # (an empty one is falsy)
    writer = LiveWriter(store=store, owner=sail.owner, mapping=sail.folder.mapping,
                        freshness=shared)  # fmt: skip
    sail.folder.integration.attach(DirectWrites(sail.resources, writer))


async def finish(sail: Sail, *, within: float = STOP_WITHIN) -> None:
    """Run the ``on_stop`` hooks, the integration being done: each one runs, a failure is
    logged and does not change how the run went, and those still running after ``within``
    seconds are abandoned (a stop must not hang on a peer that never answers)."""
    errors: list[str] = []
    try:
        async with asyncio.timeout(within):
            await run_hooks(sail.folder.integration.stop_hooks, "on_stop", errors)
    except TimeoutError:
        errors.append(f"the on_stop hooks took longer than {within:g} s; stopping without them")
    for error in errors:
        _log.error("%s", error)


async def resync(
    sail: Sail,
    store: Store,
    observer: Observer,
    *,
    trigger: str,
    freshness: Freshness | None = None,
    standby: Standby | None = None,
    finishing: Callable[[], None] | None = None,
) -> ResyncReport | None:
    """One resync of an integration that has started, holding its lease (refused with
    :class:`~ocean.errors.LeaseHeldError` at once while another holds it). None when
    retried from ``standby`` and another resync completed since. ``finishing`` is told
    when a full resync has synced its kinds and deleted (:attr:`ResyncJob.finishing`)."""

    def work() -> Awaitable[ResyncReport]:
        return _resync(sail, store, observer, trigger=trigger, freshness=freshness,
                       incremental=trigger == "incremental", finishing=finishing)  # fmt: skip

    terms = lease_terms(sail, wait=0.0)
    return await under_lease(store, sail.owner.identifier, terms, work, standby=standby)


def lease_terms(sail: Sail, *, wait: float) -> LeaseTerms:
    """The process's lease terms: its holder identity and the lease's length."""
    holder = sail.lease_holder
    return LeaseTerms(seconds=sail.settings.resync_lease_seconds, wait=wait, holder=holder)


async def _resync(
    sail: Sail,
    store: Store,
    observer: Observer,
    *,
    trigger: str,
    freshness: Freshness | None,
    incremental: bool = False,
    finishing: Callable[[], None] | None = None,
) -> ResyncReport:
    """One resync (an incremental sync when ``incremental``), the lease held (or not kept
    by the catalog); against a Port API, with the mapping it keeps, and a full resync
    reporting its sync metrics where the integration's record says where."""
    record = await _record(sail, store, observer, full=not incremental)
    metrics = None if incremental else sync_metrics(sail, store, record, observer)
    pool = _pool(sail)
    job = ResyncJob(
        integration=sail.folder.integration,
        mapping=sail.folder.mapping,
        resources=sail.resources,
        store=store,
        owner=sail.owner,
        observer=metrics or observer,
        pool=pool,
        concurrent_kinds=sail.settings.max_concurrent_kinds,
        freshness=freshness,
        interval_minutes=sail.settings.scheduled_resync_interval,
        skip_unchanged_pages=sail.settings.skip_unchanged_pages,
        send_examples=sail.settings.send_raw_data_examples,
        fence=Fence(sail.owner.identifier, sail.lease_holder)
        if isinstance(store, LeasesResyncs)
        else None,
    )
    if metrics is not None:
        job.started = metrics.start
    if finishing is not None:
        job.finishing = finishing
    try:
        if incremental:
            minutes = sail.settings.integration.incremental_minutes()
            return await run_incremental(job, seed_minutes=minutes)
        resynced = run_resync(job, trigger=trigger)
        return await (metrics.around(resynced) if metrics else resynced)
    finally:
        if pool is not None:
            pool.close()


async def _record(
    sail: Sail, store: Store, observer: Observer, *, full: bool
) -> dict[str, Any] | None:
    """The integration's record where ``store`` keeps one (a Port API), its mapping applied.
    A mapping that cannot be used fails the resync before its kinds start: a ``full`` one
    reports that to its sync metrics, as the original reports such a run failed."""
    if not isinstance(store, InstallsIntegrations):
        return None
    began = time.monotonic()
    record = await store.get_integration(sail.owner.identifier) or {}
    try:
        use_mapping_of(sail, record)
    except Exception:
        metrics = sync_metrics(sail, store, record, observer) if full else None
        if metrics is not None:
            await metrics.failed_before_start(time.monotonic() - began)
        raise
    return record


async def run_once(
    sail: Sail,
    store: Store,
    observer: Observer,
    *,
    trigger: str = "manual",
    freshness: Freshness | None = None,
) -> ResyncReport:
    """Take the integration's lease (waiting up to ``OCEAN__RESYNC_LEASE_WAIT_SECONDS``
    while another holds it, then refusing with :class:`~ocean.errors.LeaseHeldError`
    before anything is written), then start, one resync, and the ``on_stop`` hooks."""

    async def whole() -> ResyncReport:
        try:
            started = await start(sail, store, freshness)
            report = await _resync(
                sail, store, observer, trigger=trigger, freshness=freshness,
                incremental=sail.settings.integration.incremental_sync_enabled,
            )  # fmt: skip
        finally:
            await finish(sail)
        report.created_blueprints = started.created
        report.blueprint_notes = started.blueprint_notes
        report.errors = started.errors + report.errors
        return report

    terms = lease_terms(sail, wait=sail.settings.resync_lease_wait_seconds)
    report = await under_lease(store, sail.owner.identifier, terms, whole)
    assert report is not None, "without a standby a resync is never skipped"
    return report


def changelog_destination(listener: EventListenerSettings) -> dict[str, str]:
    """What the original tells Port about where its change log should go."""
    kind = listener.type.upper()
    if kind == "KAFKA":
        return {"type": "KAFKA"}
    if kind == "WEBHOOK" and listener.app_host:
        return {"type": "WEBHOOK", "url": listener.app_host.rstrip("/") + "/resync"}
    return {}
