"""Accept a live event at the route, and apply it in a worker.

:func:`accept` runs before anything is queued: the path must have processors, the body
must be a JSON object, and every processor that wants the event must authenticate it and
find its payload valid. :func:`process` runs in a worker: each processor that wants the
event handles it once per mapping resource of each kind it names (retrying with its own
backoff), and what they return is mapped and written as a resync would
(:mod:`ocean.live.apply`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ocean.errors import OceanError
from ocean.extract.trace import describe_error, source_folder, with_frames
from ocean.integration import Integration
from ocean.live.apply import LiveWriter, changes_of
from ocean.live.processor import (
    ProcessorType,
    ReceivedRequest,
    WebhookEvent,
    WebhookEventRawResults,
    WebhookProcessor,
    new_trace_id,
)
from ocean.live.queue import QueuedEvent, read_json, storable
from ocean.load.freshness import Freshness
from ocean.load.under_way import stopping
from ocean.mapping import PortAppConfig, ResourceConfig
from ocean.store.base import Owner, Store
from ocean.transform.mapper import CompiledResource

T = TypeVar("T")
_log = logging.getLogger(__name__)


@dataclass
class Checks:
    """What accepting an event needs (:func:`accept`): the integration's processors, and
    the mapping their checks run under. An acceptor process has only this."""

    integration: Integration
    mapping: PortAppConfig

    def route_of(self, path: str) -> str | None:
        """The registered path ``path`` is posted to: itself, or a template whose ``{name}``
        segments match any one segment (GitLab registers ``/hook/{group_id}``)."""
        registered = self.integration.webhook_processors
        if path in registered:
            return path
        return next((template for template in registered if _fits(template, path)), None)

    def processors(self, path: str) -> list[type[WebhookProcessor]]:
        route = self.route_of(path)
        return self.integration.webhook_processors[route] if route is not None else []


@dataclass
class LiveEvents(Checks):
    """What applying live events needs, passed in once."""

    resources: list[CompiledResource]
    store: Store
    owner: Owner
    timeout: float = 90.0
    """Seconds one ``handle_event`` call may take (``max_event_processing_seconds``)."""
    freshness: Freshness = field(default_factory=Freshness)
    """Shared with the resyncs of the same process, so the newest data wins."""
    workers: int = 4
    """Events whose processors run at once (``OCEAN__EVENT_WORKERS_COUNT``); their writes
    are not counted: they wait for the catalog together, in one transaction."""
    write_patience: float = 60.0
    """Seconds a failing catalog write is made again before the event fails."""
    retry_max: float = 10.0
    """The longest wait between two of those writes."""

    def __post_init__(self) -> None:
        self.handling = asyncio.Semaphore(self.workers)
        # an event holds its data from its start to its write's end: its handling, then its
        # write's retries (a write remembered for less could be undone by its older data)
        self.freshness.outlast(self.timeout + self.write_patience + self.retry_max + 60)
        self.writer = LiveWriter(
            store=self.store, owner=self.owner, mapping=self.mapping, freshness=self.freshness,
            patience=self.write_patience, retry_max=self.retry_max,
        )  # fmt: skip


def _fits(template: str, path: str) -> bool:
    wanted, given = template.strip("/").split("/"), path.strip("/").split("/")
    return len(wanted) == len(given) and all(
        part == segment or (part[:1] == "{" and part[-1:] == "}" and segment != "")
        for part, segment in zip(wanted, given, strict=True)
    )


class Rejected(OceanError):
    """The route refuses an event: nothing is queued."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Accepted:
    payload: dict[str, Any]
    key: str | None


async def accept(live: Checks, path: str, body: bytes, headers: dict[str, str]) -> Accepted | None:
    """Check an event before it is queued; None when no processor wants it."""
    route = live.route_of(path)
    if route is None:
        known = sorted(live.integration.webhook_processors)
        raise Rejected(404, f"no webhook processor is registered for {path!r}; registered: {known}")
    try:
        payload = read_json(body)
    except ValueError as error:  # orjson's JSONDecodeError
        raise Rejected(400, f"the body is not JSON ({error}); send a JSON object") from None
    if not isinstance(payload, dict):
        raise Rejected(400, f"the body is JSON {type(payload).__name__}, not an object")
    request = ReceivedRequest(path, headers, body)
    event = WebhookEvent(new_trace_id(), payload, headers, request, body=body)
    with live.integration.request_scope(live.mapping):
        return await _checked(live.integration.webhook_processors[route], event, route)


async def _checked(
    classes: list[type[WebhookProcessor]], event: WebhookEvent, route: str
) -> Accepted | None:
    """The processors' own checks of an event, before it is queued."""
    payload, headers = event.payload, event.headers
    wanting = [p for p in (cls(event.clone()) for cls in classes) if await _wants(p)]
    for processor in wanting:
        name = type(processor).__name__
        if not await _ask(processor.authenticate(payload, headers), name, "authenticate"):
            raise Rejected(
                401, f"{name} could not authenticate the event; check the signature secret"
            )
        if not await _ask(processor.validate_payload(payload), name, "validate_payload"):
            raise Rejected(
                400, f"{name} found the payload invalid (validate_payload returned false)"
            )
    return Accepted(payload, _key(classes, wanting, route)) if wanting else None


def _key(
    classes: list[type[WebhookProcessor]], wanting: list[WebhookProcessor], route: str
) -> str | None:
    """What the event is queued under (events with the same key apply in arrival order):
    the route when one of its processors does not define ``group_key`` (written for the
    original, which applies a path's events one at a time), else the first key one of
    those that want it names (None: no ordering)."""
    if any(cls.group_key is WebhookProcessor.group_key for cls in classes):
        return route
    for processor in wanting:
        try:
            key = processor.group_key(processor.event)
        except Exception as error:
            name = type(processor).__name__
            raise Rejected(
                500, f"{name}.group_key raised {type(error).__name__}: {error}"
            ) from error
        if key is not None:
            # (as text: a key read back from the queue's file is text, and 42 must be '42'
            # in memory; one the queue can store)
            return storable(str(key))
    return None


async def _wants(processor: WebhookProcessor) -> bool:
    return await _ask(
        processor.should_process_event(processor.event),
        type(processor).__name__,
        "should_process_event",
    )


async def _ask(call: Any, name: str, method: str) -> bool:
    try:
        return bool(await call)
    except Exception as error:
        raise Rejected(500, f"{name}.{method} raised {type(error).__name__}: {error}") from error


@dataclass
class _Job:
    processor: WebhookProcessor
    resource: CompiledResource | None
    raw: WebhookEventRawResults | None = None
    error: str | None = None
    fetched_at: float = 0.0
    """When the attempt that returned ``raw`` started (:meth:`Freshness.now`)."""


async def process(live: LiveEvents, queued: QueuedEvent) -> str | None:
    """Apply one queued event; returns None, or why it failed for good."""
    request = ReceivedRequest(queued.path, queued.headers, queued.body)
    event = WebhookEvent(
        queued.id, queued.payload, queued.headers, request, group_id=queued.key, body=queued.body
    )
    # what it fetches is in flight from now to its write's end; its write waits for the
    # catalog outside its handling slot, with the writes of the events beside it (one
    # transaction: the slots bound the processors at work, not the events being written)
    with live.freshness.holding(Freshness.now()):
        jobs, started = await _handled(live, queued.path, event)
        return await _written(live, queued, jobs, started)


async def _handled(live: LiveEvents, path: str, event: WebhookEvent) -> tuple[list[_Job], float]:
    """The event's processors run, in a handling slot: its jobs, and when they started."""
    async with live.handling:
        started = Freshness.now()
        with live.integration.request_scope(live.mapping):
            jobs = await _jobs(live, path, event)
            if len(jobs) == 1:
                await _run(live, jobs[0])  # the common case, without a task of its own
            else:
                await asyncio.gather(*(_run(live, job) for job in jobs))
    return jobs, started


async def _written(
    live: LiveEvents, queued: QueuedEvent, jobs: list[_Job], started: float
) -> str | None:
    """Write what the event's ``jobs`` fetched; why it failed for good, if it did."""
    queued.attempts = max((job.processor.retry_count + 1 for job in jobs), default=1)
    done = [(job.resource, job.raw) for job in jobs if job.resource and job.raw is not None]
    errors = [job.error for job in jobs if job.error]
    # the data is as old as the earliest of the attempts that fetched it (not as the event's
    # first attempt: a retried one fetched later, and a resync's page from between must not
    # win over it)
    fetched_at = min((job.fetched_at for job in jobs if job.raw is not None), default=started)
    errors += await live.writer.write(await changes_of(done, fetched_at))
    return "; ".join(errors) or None


async def _jobs(live: LiveEvents, path: str, event: WebhookEvent) -> list[_Job]:
    """One job per (wanting processor, resource of a kind it names); actions have no resource."""
    jobs = []
    for cls in live.processors(path):
        probe = cls(event.clone())
        if not await _bounded(live, probe.should_process_event(probe.event)):
            continue
        if cls.get_processor_type() == ProcessorType.ACTION:
            jobs.append(_Job(probe, None))
            continue
        kinds = set(await _bounded(live, probe.get_matching_kinds(probe.event)))
        jobs += [_Job(cls(event.clone()), r) for r in live.resources if r.kind in kinds]
    return jobs


async def _run(live: LiveEvents, job: _Job) -> None:
    """The processor's hooks around :func:`_attempts`, each bounded by the processing
    timeout; a cancelled job calls ``cancel``. A ``CancelledError`` raised inside while the
    event is not being stopped (a task a hook awaited was cancelled by something else)
    fails the job, as an error would: its key must not stay held."""
    processor = job.processor
    try:
        await _bounded(live, processor.before_processing())
        await _attempts(live, job)
        await _bounded(live, processor.after_processing())
    except asyncio.CancelledError as cancelled:
        await processor.cancel()
        if stopping():
            raise
        job.error = (
            f"{_where(job)}: processing raised CancelledError ({cancelled}) though not stopped"
        )
    except Exception as error:
        raised = (
            f"took longer than {live.timeout:g} s (OCEAN__MAX_EVENT_PROCESSING_SECONDS)"
            if isinstance(error, TimeoutError)
            else f"raised {type(error).__name__}: {error}"
        )
        job.error = f"{_where(job)}: a processing hook {raised}"


async def _attempts(live: LiveEvents, job: _Job) -> None:
    """``handle_event`` with the processor's retry policy; the last error is kept."""
    processor = job.processor
    resource = job.resource.resource if job.resource else None
    while True:
        try:
            job.fetched_at = Freshness.now()
            raw = await _handle(live, processor, resource)
            wrong = _wrong_results(raw)
            if wrong is not None:  # a mistake in the processor: no retry returns more
                job.error = f"{_where(job)}: {type(processor).__name__}.handle_event {wrong}"
            else:
                job.raw = raw
            return
        except Exception as error:
            await _bounded(live, processor.on_error(error))
            if processor.retry_count >= processor.max_retries or not processor.should_retry(error):
                job.error = (
                    f"{_where(job)} failed after {processor.retry_count + 1} attempt(s): "
                    f"{_describe(error, live.timeout, processor)}"
                )
                return
        processor.retry_count += 1  # before the delay, as the original: 2, 4, 8 s by default
        await asyncio.sleep(processor.calculate_retry_delay())


async def _bounded(live: LiveEvents, call: Awaitable[T]) -> T:
    """A processor's call, bounded by the processing timeout (a hung hook holds one of the
    handling slots, as a hung ``handle_event`` would)."""
    async with asyncio.timeout(live.timeout):  # no task per call, as wait_for's
        return await call


async def _handle(
    live: LiveEvents, processor: WebhookProcessor, resource: ResourceConfig | None
) -> WebhookEventRawResults:
    """One ``handle_event`` call, in the integration's scope for ``resource``."""
    scope = (
        live.integration.resource_scope(resource, live.mapping)
        if resource is not None
        else contextlib.nullcontext()
    )
    with scope:
        given = resource.for_integration if resource is not None else None
        return await _bounded(live, processor.handle_event(processor.event.payload, given))


def _wrong_results(raw: Any) -> str | None:
    """What is wrong with what ``handle_event`` returned (None: nothing)."""
    fix = (
        "it must return WebhookEventRawResults(updated_raw_results=[...], "
        "deleted_raw_results=[...]), with empty lists when nothing changed"
    )
    if not isinstance(raw, WebhookEventRawResults):
        return f"returned {_shown(raw)}, not WebhookEventRawResults: {fix}"
    for name in ("updated_raw_results", "deleted_raw_results"):
        items = getattr(raw, name)
        if not isinstance(items, list | tuple):
            return f"returned {name}={_shown(items)}, not a list of raw items: {fix}"
        where = next((i for i, item in enumerate(items) if not isinstance(item, dict)), None)
        if where is not None:
            shown = _shown(items[where])
            return f"returned {name}[{where}]={shown}, not a raw item (a dict): {fix}"
    return None


def _shown(value: Any) -> str:
    return "None" if value is None else f"a {type(value).__name__} ({value!r:.60})"


def _where(job: _Job) -> str:
    name = type(job.processor).__name__
    return f"{name} (kind {job.resource.kind!r})" if job.resource else name


def _describe(error: Exception, timeout: float, processor: WebhookProcessor) -> str:
    """What ``handle_event`` raised, with the integration's frames (the whole traceback is
    logged at DEBUG)."""
    if isinstance(error, TimeoutError):
        return f"handle_event took longer than {timeout:g} s (OCEAN__MAX_EVENT_PROCESSING_SECONDS)"
    _log.debug("%s.handle_event raised", type(processor).__name__, exc_info=error)
    folder = source_folder(type(processor).handle_event)
    return with_frames(describe_error(error), error, folder)
