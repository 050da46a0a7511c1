"""One resync's inputs and running tally, shared by the resync (:mod:`ocean.resync`) and
its kinds (:mod:`ocean.kind_sync`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ocean.integration import Integration
from ocean.load.freshness import Freshness
from ocean.load.missing_targets import HeldForTargets
from ocean.mapping import PortAppConfig
from ocean.monitor.report import KindReport
from ocean.produced import Produced
from ocean.store.base import Owner, Store
from ocean.store.lease import Fence
from ocean.transform.mapper import CompiledResource
from ocean.transform.pool import TransformPool


class Observer(Protocol):
    """Told about progress as the resync runs (a progress bar, metrics)."""

    def kind_started(self, kind: KindReport) -> None: ...
    def batch_done(self, kind: KindReport) -> None: ...
    def kind_finished(self, kind: KindReport) -> None: ...


class SilentObserver:
    """An observer that ignores progress (tests, library use)."""

    def kind_started(self, kind: KindReport) -> None: ...
    def batch_done(self, kind: KindReport) -> None: ...
    def kind_finished(self, kind: KindReport) -> None: ...


@dataclass
class ResyncJob:
    """Everything one resync needs, passed explicitly."""

    integration: Integration
    mapping: PortAppConfig
    resources: list[CompiledResource]
    store: Store
    owner: Owner
    observer: Observer = field(default_factory=SilentObserver)
    pool: TransformPool | None = None
    """Worker processes for jq-heavy batches; None maps everything in-process."""
    concurrent_kinds: int = 1
    """Resources synced at the same time (1: one after another, in mapping order, as the
    original; more lets a slow kind not hold the others up)."""
    freshness: Freshness | None = None
    """Shared with the live-event workers of the same process, so the newest data wins."""
    interval_minutes: float | None = None
    """The scheduled-resync interval, reported with each run's state (``nextResync``)."""
    incremental: bool = False
    """An incremental run (see :mod:`ocean.incremental`): each kind's
    ``on_incremental_resync`` handlers, no page memo, no deletion."""
    skip_unchanged_pages: bool = True
    """Skip raw pages synced cleanly last time and unchanged since, where the catalog
    remembers pages (see :mod:`ocean.load.page_memo`)."""
    started: Callable[[], None] = lambda: None
    """Called once the run is recorded as running, before its ``on_resync_start`` hooks
    (its sync metrics' start, :mod:`ocean.monitor.port_sync_metrics`)."""
    finishing: Callable[[], None] = lambda: None
    """Called once a full resync's kinds are synced and its stale entities deleted, before
    its ``on_resync_complete`` hooks: only finishing it is left, which a newer request no
    longer cancels (:mod:`ocean.listen.polling`)."""
    send_examples: bool = False
    """Give the catalog each resource's first raw items for its mapping editor, where it
    takes them (a Port API: :mod:`ocean.extract.examples`)."""
    fence: Fence | None = None
    """The lease the resync runs under (see :mod:`ocean.resync_lease`): its stale deletion
    is made only while it still holds it. None where the catalog keeps no leases."""


@dataclass
class Tally:
    """What the kinds produced, for stale deletion."""

    produced: Produced | None = None
    """The keys the kinds produced (in the catalog where it keeps them); None when the run
    deletes nothing (an incremental run)."""
    protected_blueprints: set[str] = field(default_factory=set)
    mapped_blueprints: set[str] = field(default_factory=set)
    """The blueprints the kinds produce (or name literally): each keeps its own threshold."""
    blueprints: dict[str, dict[str, Any]] = field(default_factory=dict)
    held: HeldForTargets | None = None
    """Entities refused for a missing relation target, written once every kind has run
    (``createMissingRelatedEntities: false`` in a full resync); None: none held."""
    state_known: bool = True
    recalls_asked: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once a kind has asked the catalog for its page records: the ownership is read
    after them, as the handler's pages wait for the records and not for the ownership."""
