"""A resync's sync metrics, reported to a Port API as the original reports them.

Where the integration's record (``GET /v1/integration/{id}``, read before each resync)
names ``metricAttributes.ingestUrl``, each full resync tells that URL how it goes:

- when it starts, ``POST {ingestUrl}/syncMetrics`` with ``{"syncKindsMetrics": [...]}``:
  one object per resource of the mapping (``pending``, every count 0), then one for
  ``__runtime__``, the run as a whole (``syncing``);
- as each kind starts and ends, ``PUT {ingestUrl}/syncMetrics/resync/{eventId}/kind/
  {kind}-{index}`` with ``{"syncKindMetrics": {...}}``: ``syncing``, then ``completed`` or
  ``failed`` with its counts and durations;
- once every kind has ended, ``__reconciliation__`` (the stale deletion) is ``syncing``,
  then ``completed`` or ``failed`` with the entities deleted; when the run stops before
  (a newer trigger, a shutdown, an error), the kinds that had not ended and the
  reconciliation are ``aborted``;
- when it ends, ``__runtime__`` again, with the run's state; a resync that fails before
  its kinds are known (the mapping of record cannot be used) sends only that, ``failed``,
  as the original's failed run sends only its ``__runtime__``;
- every ``status_heartbeat_interval_seconds`` (10) while it runs,
  ``POST {ingestUrl}/heartbeat`` with ``{"eventId": ...}``.

Each object carries the original's fields, and its ``metrics`` the original's nesting:
``{"phase": {phase: {"object_count_type": {type: {"object_count": n}},
"duration_seconds": s}}}``, the ``resync`` phase holding ``success`` (1 or 0). Each kind's
end adds, beside ``phase``, what the process used while it ran, sampled as the original
samples it (:mod:`ocean.monitor.process_usage`: ``cpu_max_percent``,
``memory_median_bytes``, ``event_loop_latency_avg_ms``, ...). The ``eventId`` is the
resync's own (the ``ocean_info_resync_id`` its entity writes carry, see
:mod:`ocean.store.port.events`), known once the run is recorded as running: the start is
sent then, before the ``on_resync_start`` hooks, as the original sends it. Incremental runs
send nothing, as the original's.

Nothing here can fail or hold up a resync: the calls are made through the store's client
(its token) by a task of their own, in order, each given :data:`CALL_SECONDS`; the run's
end waits for the last of them at most :data:`FINISH_SECONDS`; a failure is logged (the
first of a run as a warning) and the next call is sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import quote_plus

from ocean.errors import LeaseLostError
from ocean.job import Observer
from ocean.monitor.process_usage import UsageSampler
from ocean.monitor.report import ORIGINAL_OBJECT_COUNTS, KindReport, ResyncReport, tell_stopped
from ocean.store.port.events import event_params
from ocean.version import __version__

if TYPE_CHECKING:
    from ocean.sail import Sail
    from ocean.store.base import Store
    from ocean.transform.mapper import CompiledResource

_log = logging.getLogger(__name__)

CALL_SECONDS = 5.0
"""How long one metrics call may take."""
FINISH_SECONDS = 10.0
"""How long the end of a resync waits for its last metrics calls."""
RUNTIME = "__runtime__"
RECONCILIATION = "__reconciliation__"
EXECUTION_MODE = "single_process"
"""What the original reports as its ``executionMode``."""
_PHASES = ("extract", "transform", "load")
_STATES = {"completed": "completed", "failed": "failed", "aborted": "aborted"}
"""A report's status as a ``syncState`` (any other: the kind never ended, ``aborted``)."""


class CallsPort(Protocol):
    """How a call reaches Port (:class:`ocean.store.port.http.PortHTTP`)."""

    ocean: bool
    """Whether the API is Ocean's own catalog server (known once a token is held)."""

    async def ingest(self, method: str, url: str, body: Any) -> None: ...


@runtime_checkable
class ReachesPort(Protocol):
    """A catalog on a Port API, whose client other Port calls may go through."""

    @property
    def port_http(self) -> CallsPort: ...


@dataclass(frozen=True)
class Identity:
    """Who reports: the fields every metrics object carries."""

    integration_type: str
    identifier: str
    version: str
    installation_type: str = "Unknown"


def kind_metrics(kind: KindReport, seconds: float) -> dict[str, Any]:
    """A kind's metrics in the original's nesting: its counts and durations per phase,
    and, in ``resync``, its whole duration (``seconds``) and whether it succeeded."""
    success = float(kind.status == "completed")
    phases: dict[str, dict[str, Any]] = {
        "resync": {"duration_seconds": float(seconds), "success": success}
    }
    for phase, name, counts in ORIGINAL_OBJECT_COUNTS:
        if phase in _PHASES:
            value = float(sum(int(getattr(kind, count)) for count in counts))
            types = phases.setdefault(phase, {}).setdefault("object_count_type", {})
            types[name] = {"object_count": value}
    for phase in _PHASES:
        phases[phase]["duration_seconds"] = float(getattr(kind, f"{phase}_seconds"))
    return {"phase": phases}


def run_metrics(
    success: bool, seconds: float | None = None, deleted: int | None = None
) -> dict[str, Any]:
    """The metrics of ``__runtime__`` or ``__reconciliation__``: whether it succeeded, how
    long it took and (the reconciliation's) the entities it deleted, where known."""
    resync: dict[str, float] = {"success": float(success)}
    if seconds is not None:
        resync["duration_seconds"] = float(seconds)
    phases: dict[str, Any] = {"resync": resync}
    if deleted is not None:
        phases["delete"] = {"object_count_type": {"deleted": {"object_count": float(deleted)}}}
    return {"phase": phases}


def ingest_url(record: Mapping[str, Any] | None) -> str | None:
    """The record's ``metricAttributes.ingestUrl`` (None when it names none)."""
    attributes = (record or {}).get("metricAttributes")
    url = attributes.get("ingestUrl") if isinstance(attributes, dict) else None
    return url.rstrip("/") if isinstance(url, str) and url.strip() else None


class Sender:
    """One resync's metrics calls, sent in order by a task of their own, and its heartbeat."""

    def __init__(
        self,
        http: CallsPort,
        url: str,
        *,
        heartbeat_seconds: float,
        call_seconds: float = CALL_SECONDS,
    ) -> None:
        self._http, self._url = http, url.rstrip("/")
        self._heartbeat_seconds, self._call_seconds = heartbeat_seconds, call_seconds
        self._queue: asyncio.Queue[tuple[str, str, Any] | None] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._heart: asyncio.Task[None] | None = None
        self._warned = False

    def send(self, method: str, path: str, body: Any) -> None:
        """Queue a call of ``path`` under the ingest URL (sent after those queued before)."""
        if self._worker is None:
            self._worker = asyncio.create_task(self._work())
        self._queue.put_nowait((method, path, body))

    def beat(self, event_id: str) -> None:
        """Start sending the heartbeat of ``event_id``."""
        if self._heart is None:
            self._heart = asyncio.create_task(self._beat(event_id))

    async def close(self, within: float = FINISH_SECONDS) -> None:
        """Stop the heartbeat and wait for the calls queued, at most ``within`` seconds
        (then those not sent are dropped, saying so)."""
        if self._heart is not None:
            self._heart.cancel()  # (none is sent once it is: it stops at its next await)
        worker = self._worker
        if worker is None:
            return
        self._queue.put_nowait(None)
        try:
            await asyncio.wait({worker}, timeout=within)
        finally:
            if not worker.done():
                worker.cancel()
                self._note(f"its last calls were not sent within {within:g} s, and are dropped")

    async def _work(self) -> None:
        while (call := await self._queue.get()) is not None:
            await self._call(*call)

    async def _beat(self, event_id: str) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            await self._call("POST", "/heartbeat", {"eventId": event_id})

    async def _call(self, method: str, path: str, body: Any) -> None:
        try:
            async with asyncio.timeout(self._call_seconds):
                await self._http.ingest(method, self._url + path, body)
        except Exception as error:  # never the resync's concern: logged, and on to the next
            problem = str(error) or f"no answer within {self._call_seconds:g} s"
            self._note(f"{method} {self._url}{path} failed: {problem}")

    def _note(self, problem: str) -> None:
        """Log a problem: the first of the resync as a warning, the others at DEBUG."""
        if self._warned:
            _log.debug("sync metrics: %s", problem)
            return
        self._warned = True
        _log.warning(
            "could not send the resync's sync metrics to Port: %s; the resync is not "
            "affected, and its next metrics are still sent (their problems logged at DEBUG)",
            problem,
        )


def _resync_id() -> str | None:
    return event_params().get("ocean_info_resync_id")


class SyncMetrics:
    """An :class:`~ocean.job.Observer` (around ``inner``, which it tells first) that
    reports a resync's sync metrics through ``sender``; :meth:`around` runs the resync
    and reports its end."""

    def __init__(
        self,
        sender: Sender,
        identity: Identity,
        resources: Sequence[CompiledResource],
        *,
        inner: Observer,
        resync_id: Callable[[], str | None] = _resync_id,
        clock: Callable[[], float] = time.monotonic,
        usage: UsageSampler | None = None,
    ) -> None:
        self._sender, self._identity, self._inner = sender, identity, inner
        self._usage = usage if usage is not None else UsageSampler()
        self._kinds = [(resource.kind, resource.index) for resource in resources]
        self._blueprints = {r.index: r.resource.port.entity.mappings.blueprint for r in resources}
        self._resync_id, self._clock = resync_id, clock
        self._event_id: str | None = None
        self._began: dict[int, float] = {}
        self._sent: dict[int, str] = {}
        """The last state sent of each kind, by index."""
        self._took: dict[int, float] = {}
        """The seconds each kind that ended took, by index."""
        self._used: dict[int, dict[str, float]] = {}
        """What the process used while each kind that ended ran, by index."""
        self._reconciling: float | None = None
        """When the reconciliation started (every kind having ended)."""

    def kind_started(self, kind: KindReport) -> None:
        self._inner.kind_started(kind)
        self.start()
        self._began[kind.index] = self._clock()
        self._usage.open(kind.index)
        self._put(kind.kind, kind.index, "syncing", kind_metrics(_blank(kind), 0.0))

    def batch_done(self, kind: KindReport) -> None:
        self._inner.batch_done(kind)

    def resync_stopped(self, report: ResyncReport) -> None:
        """Pass on to ``inner`` (when it takes it) the report of a resync that raised."""
        tell_stopped(self._inner, report)

    def kind_finished(self, kind: KindReport) -> None:
        self._inner.kind_finished(kind)
        seconds = self._clock() - self._began.get(kind.index, self._clock())
        self._took[kind.index] = seconds
        used = self._used[kind.index] = self._usage.close(kind.index)
        self._put(kind.kind, kind.index, _state(kind), kind_metrics(kind, seconds) | used)
        if len(self._sent) == len(self._kinds) and "syncing" not in self._sent.values():
            self._reconciling = self._clock()
            self._post(RECONCILIATION, "syncing", run_metrics(False))

    async def around(self, run: Awaitable[ResyncReport]) -> ResyncReport:
        """Await the resync ``run`` and report how it ended (the calls left are given
        :data:`FINISH_SECONDS` at most); its outcome or error is passed on as it was."""
        began = self._clock()
        try:
            report = await run
        except (asyncio.CancelledError, LeaseLostError):
            await self._end("aborted", None, began)
            raise
        except Exception:
            await self._end("failed", None, began)
            raise
        await self._end(_STATES.get(report.status, "failed"), report, began)
        return report

    def start(self) -> None:
        """Report every kind pending and the run syncing, once, and start the heartbeat
        (as the run starts, before its ``on_resync_start`` hooks; else as its first kind
        starts)."""
        if self._event_id is not None:
            return
        self._event_id = event_id = self._resync_id() or str(uuid.uuid4())
        pending = [
            self._event(kind, index, "pending", kind_metrics(KindReport(kind, index), 0.0))
            for kind, index in self._kinds
        ]
        self._sender.send("POST", "/syncMetrics", {"syncKindsMetrics": pending})
        self._post(RUNTIME, "syncing", run_metrics(False))
        self._sender.beat(event_id)
        self._usage.start()

    async def failed_before_start(self, seconds: float) -> None:
        """Report a resync that failed ``seconds`` after it began, before its kinds were
        known: only ``__runtime__``, ``failed`` (no kind pending, no heartbeat), as the
        original reports a run that fails before its mapping is read."""
        if self._event_id is not None:
            return
        self._event_id = self._resync_id() or str(uuid.uuid4())
        self._post(RUNTIME, "failed", run_metrics(False, seconds))
        await self._sender.close(FINISH_SECONDS)

    async def _end(self, state: str, report: ResyncReport | None, began: float) -> None:
        try:
            self.start()  # (no kind ran)
            self._end_kinds(report)
            self._end_reconciliation(state, report)
            self._post(RUNTIME, state, run_metrics(state == "completed", self._clock() - began))
        except Exception:  # a fault here must not change how the resync went
            _log.exception("reporting the end of the resync to Port's sync metrics failed")
        try:
            await self._usage.stop()
        finally:  # a cancel while it stops still ends the heartbeat and the sender
            await self._sender.close(FINISH_SECONDS)

    def _end_kinds(self, report: ResyncReport | None) -> None:
        """Report each kind whose last state sent is not how it ended: ``aborted`` when
        it did not (or the run stopped), else as the report has it now (entities held for
        their relation targets may fail a kind after it ended)."""
        ended = {kind.index: kind for kind in report.kinds} if report is not None else {}
        for kind, index in self._kinds:
            final = ended.get(index)
            state = _state(final) if final is not None else "aborted"
            if state == "aborted" and self._sent.get(index) in ("completed", "failed"):
                continue  # it ended before the run stopped
            if self._sent.get(index) != state:
                metrics = kind_metrics(final or KindReport(kind, index), self._took.get(index, 0))
                used = self._used.get(index) or self._usage.close(index)
                self._put(kind, index, state, metrics | used)

    def _end_reconciliation(self, state: str, report: ResyncReport | None) -> None:
        if self._reconciling is not None:
            seconds = self._clock() - self._reconciling
            deleted = report.deleted if report is not None else None
            metrics = run_metrics(state == "completed", seconds, deleted)
            self._put(RECONCILIATION, None, state, metrics)
        elif report is None:  # stopped before it: as the original, aborted
            self._post(RECONCILIATION, "aborted", run_metrics(False))
        else:  # no kind to end first (a mapping without resources): said at once
            self._post(RECONCILIATION, "syncing", run_metrics(False))
            self._put(
                RECONCILIATION, None, state, run_metrics(state == "completed", 0.0, report.deleted)
            )

    def _event(
        self, kind: str, index: int | None, state: str, metrics: dict[str, Any]
    ) -> dict[str, Any]:
        """One metrics object, with the original's fields."""
        identity = self._identity
        return {
            "integrationType": identity.integration_type,
            "installationType": identity.installation_type,
            "executionMode": EXECUTION_MODE,
            "integrationIdentifier": identity.identifier,
            "integrationVersion": identity.version,
            "oceanVersion": __version__,
            "kindIdentifier": kind if index is None else f"{kind}-{index}",
            "kind": kind,
            "kindIndex": index or 0,
            "eventId": self._event_id,
            "syncState": state,
            "blueprint": self._blueprints.get(index, "") if index is not None else "",
            "metrics": metrics,
        }

    def _post(self, kind: str, state: str, metrics: dict[str, Any]) -> None:
        event = self._event(kind, None, state, metrics)
        self._sender.send("POST", "/syncMetrics", {"syncKindsMetrics": [event]})

    def _put(self, kind: str, index: int | None, state: str, metrics: dict[str, Any]) -> None:
        event = self._event(kind, index, state, metrics)
        if index is not None:
            self._sent[index] = state
        path = (
            f"/syncMetrics/resync/{quote_plus(str(self._event_id))}"
            f"/kind/{quote_plus(event['kindIdentifier'])}"
        )
        self._sender.send("PUT", path, {"syncKindMetrics": event})


def _state(kind: KindReport) -> str:
    return _STATES.get(kind.status, "aborted")


def _blank(kind: KindReport) -> KindReport:
    """``kind`` before it counted anything (what a kind starting reports)."""
    return KindReport(kind=kind.kind, index=kind.index)


def sync_metrics(
    sail: Sail, store: Store, record: Mapping[str, Any] | None, observer: Observer
) -> SyncMetrics | None:
    """The sync metrics of a full resync of ``sail`` around ``observer``: None unless
    ``store`` is a Port API whose integration record names ``metricAttributes.ingestUrl``
    (Ocean's own catalog server names one and drops what it is sent: it is sent none)."""
    url = ingest_url(record)
    if url is None or not isinstance(store, ReachesPort) or store.port_http.ocean:
        return None
    assert record is not None
    identity = Identity(
        integration_type=sail.owner.integration_type,
        identifier=sail.owner.identifier,
        version=sail.owner.version,
        installation_type=str(record.get("installationType") or "Unknown"),
    )
    heartbeat = sail.settings.status_heartbeat_interval_seconds
    sender = Sender(store.port_http, url, heartbeat_seconds=heartbeat)
    return SyncMetrics(sender, identity, sail.resources, inner=observer)
