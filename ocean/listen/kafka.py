"""The KAFKA listener: resync when Port's change log asks for it.

It consumes ``{org}.change.log`` (or ``{org}.integration.resync.requests`` when the
organization has the flag ``OCEAN_KAFKA_INTEGRATION_RESYNC_REQUESTS_TOPIC_ENABLED``) in
the group ``{org}.{type}.{identifier}``, and resyncs on a resync request for this
integration or on a change to its configuration (the original's filter,
:func:`wants_resync`). Newest trigger wins, as with polling. A message's offset is
committed only once the resync it triggered has ended (or a newer one replaced it), not
while it stands by to be retried; a message for another integration, or one that is not
JSON or not of the expected shape, is logged, skipped and committed, and never stops the
consumer. Where each partition starts is committed as soon as it is assigned, so a
member that dies mid-resync leaves its message to the partition's next owner even before
the group has committed anything (that owner would otherwise start at the log's end, past
it). aiokafka's own warnings and errors, which repeat at each retry while the broker is
away, are shown once a minute (:mod:`ocean.listen.kafka_logs`). Every
``OCEAN__SCHEDULED_RESYNC_INTERVAL``
minutes, when set, a scheduled resync runs beside the messages
(:mod:`ocean.listen.schedule`, as with polling).

Each resync holds the integration's lease (:mod:`ocean.resync_lease`): refused while
another replica holds it, the listener stands by and retries every third of the lease's
length, dropping the retry once a resync that took the lease after the refusal has
completed (the holder that refused it may have read its data before the request).

Differences from the original, on purpose: the group is ``{org}.{type}.{identifier}``
with security off too (the original then uses the shared group ``no-security``, so two
integrations would steal each other's messages), and a resync runs at start unless
``OCEAN__EVENT_LISTENER__RESYNC_ON_START`` is false.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from ocean.config.settings import EventListenerSettings
from ocean.errors import ConfigError, LeaseHeldError, LeaseLostError, StoreError
from ocean.job import Observer
from ocean.listen.kafka_logs import throttle_kafka_logs
from ocean.listen.once import resync, start
from ocean.listen.schedule import Schedule
from ocean.load.freshness import Freshness
from ocean.monitor.report import ResyncReport
from ocean.process import release_garbage
from ocean.resync_lease import Standby
from ocean.sail import Sail
from ocean.store.base import Owner, Store
from ocean.store.port.store import PortAPIStore

log = logging.getLogger(__name__)

RESYNC_REQUESTS_FLAG = "OCEAN_KAFKA_INTEGRATION_RESYNC_REQUESTS_TOPIC_ENABLED"
COMMIT_WITHIN = 5.0
"""Seconds a commit of offsets may take before it is left for the next try."""


def wants_resync(topic: str, value: bytes | None, identifier: str) -> tuple[bool, str]:
    """Whether a message asks this integration to resync, and why (or why not)."""
    try:
        message = json.loads(value or b"")
    except (ValueError, RecursionError) as error:  # (nested past the parser's depth)
        return False, f"not JSON ({error})"
    if not isinstance(message, dict):
        return False, f"not a JSON object but {type(message).__name__}"
    context = _object(message.get("context"))
    if topic.endswith(".integration.resync.requests"):
        mine = context.get("integrationId") == identifier
        return mine, "resync request" if mine else "a resync request for another integration"
    if message.get("action") == "RESYNC":
        mine = context.get("integrationId") == identifier
        return mine, "manual resync" if mine else "a resync of another integration"
    return _config_change(message, identifier)


def _object(value: Any) -> dict[str, Any]:
    """``value`` when a JSON object, else empty: a foreign message may have any shape."""
    return value if isinstance(value, dict) else {}


def _config_change(message: dict[str, Any], identifier: str) -> tuple[bool, str]:
    after = _object(_object(message.get("diff")).get("after"))
    if after.get("identifier") != identifier:
        return False, "not about this integration"
    if after.get("updatedAt") == _object(after.get("resyncState")).get("updatedAt"):
        return False, "only the resync state changed"
    if _object(message.get("changelogDestination")).get("type") != "KAFKA":
        return False, "the integration's change log does not go to Kafka"
    return True, "configuration changed"


async def connection(
    settings: EventListenerSettings, owner: Owner, store: Store
) -> tuple[Subscription, EventListenerSettings]:
    """The topic and group, and the settings with credentials: what is not configured is
    asked from the Port API when the catalog is one."""
    port = store if isinstance(store, PortAPIStore) else None
    organization = await port.organization() if port is not None else {}
    org_id = settings.org_id or organization.get("id")
    if not org_id:
        raise ConfigError(
            "the KAFKA listener needs the organization id that names its topic and group: "
            "set OCEAN__EVENT_LISTENER__ORG_ID (the catalog is not a Port API to ask)"
        )
    if settings.kafka_security_enabled and not settings.username:
        if port is None:
            raise ConfigError(
                "the KAFKA listener has security on but no credentials: set "
                "OCEAN__EVENT_LISTENER__USERNAME and __PASSWORD, or "
                "OCEAN__EVENT_LISTENER__KAFKA_SECURITY_ENABLED=false"
            )
        username, password = await port.kafka_credentials()
        settings = msgspec.structs.replace(settings, username=username, password=password)
    flags = list(organization.get("featureFlags") or [])
    return subscription(str(org_id), flags, owner), settings


@dataclass(frozen=True)
class Subscription:
    topic: str
    group: str


def subscription(org_id: str, feature_flags: list[str], owner: Owner) -> Subscription:
    topic = (
        f"{org_id}.integration.resync.requests"
        if RESYNC_REQUESTS_FLAG in feature_flags
        else f"{org_id}.change.log"
    )
    return Subscription(topic, f"{org_id}.{owner.integration_type}.{owner.identifier}")


def consumer_options(settings: EventListenerSettings, group: str) -> dict[str, Any]:
    """aiokafka options: manual commits, the original's security settings."""
    brokers = settings.brokers.strip()
    servers = json.loads(brokers) if brokers.startswith("[") else brokers.split(",")
    options: dict[str, Any] = {
        "bootstrap_servers": [server.strip() for server in servers],
        "group_id": group,
        "enable_auto_commit": False,
        "auto_offset_reset": "latest",
        "session_timeout_ms": settings.session_timeout_ms,
        "heartbeat_interval_ms": max(100, settings.session_timeout_ms // 6),
    }
    if settings.kafka_security_enabled:
        options |= {
            "security_protocol": settings.security_protocol,
            "sasl_mechanism": settings.authentication_mechanism,
            "sasl_plain_username": settings.username,
            "sasl_plain_password": settings.password,
        }
    return options


@dataclass
class _Resyncs:
    """The running resync, the offsets to commit once it has ended, the refused
    resync to retry while another process holds the integration's lease, and the
    scheduled resyncs (``OCEAN__SCHEDULED_RESYNC_INTERVAL``) beside the messages."""

    start: Callable[[str, Standby | None, Callable[[], None]], Any]
    """Starts a resync: its trigger, the refused one it retries, and what it calls once it
    is finishing (its kinds synced, its stale entities deleted)."""
    on_report: Callable[[ResyncReport], None]
    retry_every: float = 10.0
    schedule: Schedule = field(default_factory=lambda: Schedule(None))
    task: asyncio.Task[ResyncReport | None] | None = None
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    reason: str = "start"
    standby: Standby | None = None
    retry_at: float = 0.0
    finishing: asyncio.Event = field(default_factory=asyncio.Event)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    """The listener's stop: a wait for a finishing resync ends with it (polling's does)."""

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    async def trigger(self, reason: str, standby: Standby | None = None) -> None:
        """Start a resync, cancelling the one running (it records itself aborted); a new
        trigger (no ``standby``) replaces the retry of a refused one. One that ended since
        it was last settled is reported first."""
        if self.running and self.finishing.is_set():  # (past its deletions: it finishes)
            await self._finished()
            if self.running:  # stopping: the listener cancels it and starts no other
                return
        if self.task is not None and self.task.done():
            self._ended(self.task)
        await self.cancel()
        self.reason, self.standby = reason, standby
        self.finishing = asyncio.Event()
        self.task = asyncio.create_task(self.start(reason, standby, self.finishing.set))

    async def _finished(self) -> None:
        """Wait for the running resync, which has synced its kinds and deleted its stale
        entities: only its ``on_resync_complete`` hooks and its record are left, so a newer
        trigger (one its hook made, say) starts after it rather than losing its report."""
        if self.task is not None:  # (its outcome is settled by _ended)
            stopped = asyncio.ensure_future(self.stop.wait())
            try:
                await asyncio.wait({self.task, stopped}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopped.cancel()

    async def cancel(self) -> None:
        """Cancel the running resync and wait for it to end. One that ends in an error
        instead (the catalog failing to record it aborted, in an outage) is logged: it
        must not end the listener, which goes on to the next."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
            try:
                with contextlib.suppress(asyncio.CancelledError):
                    await self.task
            except Exception as error:
                log.error("the %s resync stopped: %s", self.reason, error)

    def handled(self, partition: TopicPartition, offset: int) -> None:
        self.offsets[partition] = max(offset + 1, self.offsets.get(partition, 0))

    async def settle(self, consumer: AIOKafkaConsumer) -> None:
        """Report an ended resync, and commit what is handled (nothing while one runs or
        one refused stands by: a process that dies meanwhile leaves the messages to the
        partition's next owner);
        start a scheduled resync when one is due (it replaces a retry, as with polling),
        else retry a refused resync when its time has come."""
        if self.running:
            return
        if self.task is not None:
            self._ended(self.task)
            self.task = None
            release_garbage()  # what the resync left in cycles (its error, if any, handled)
        if self.offsets and self.standby is None:  # (a retry pending: once it has run)
            await self._commit(consumer)
        if self.schedule.due():
            await self.trigger("schedule")
        elif self.standby is not None and asyncio.get_running_loop().time() >= self.retry_at:
            await self.trigger(self.standby.trigger, self.standby)

    async def _commit(self, consumer: AIOKafkaConsumer) -> None:
        """Commit what is handled, waiting :data:`COMMIT_WITHIN` seconds at most: aiokafka
        waits for the broker as long as it is away, and the listener would neither stop
        nor run its scheduled resyncs meanwhile. What could not be committed in time is
        tried again at the next settling."""
        held = consumer.assignment()
        offsets = {partition: at for partition, at in self.offsets.items() if partition in held}
        if moved := sorted(set(self.offsets) - held):  # (one of them would fail all)
            log.warning("partitions %s moved to another member before their offsets were "
                        "committed: it handles their last message again", moved)  # fmt: skip
        self.offsets = {}
        if not offsets:  # (aiokafka refuses an empty commit with a ValueError)
            return
        try:
            async with asyncio.timeout(COMMIT_WITHIN):
                await consumer.commit(offsets)
        except TimeoutError:
            log.warning("could not commit %s within %g s (is Kafka reachable?); trying "
                        "again", offsets, COMMIT_WITHIN)  # fmt: skip
            for partition, offset in offsets.items():
                self.offsets[partition] = max(offset, self.offsets.get(partition, 0))
        except KafkaError as error:  # a rebalance moved the partition: its new owner
            log.warning("could not commit %s (%s); it may be handled again", offsets, error)

    def _stand_by(self, error: BaseException) -> None:
        """Try the resync again every ``retry_every`` seconds until one completes: it was
        refused (the lease held), lost its lease, or the catalog failed it. A refusal's
        holder must have taken the lease after it (see :class:`Standby`)."""
        if isinstance(error, LeaseHeldError):
            if self.standby is None:  # the first refusal is what a completion must follow
                log.warning("standing by, retrying every %g s: %s", self.retry_every, error)
                self.standby = Standby(self.reason, error.held_since)
        else:
            log.error("the %s resync stopped: %s; trying again every %g s", self.reason,
                      error, self.retry_every)  # fmt: skip
            held = error.held_since if isinstance(error, LeaseLostError) else None
            self.standby = Standby(self.reason, held)
        self.retry_at = asyncio.get_running_loop().time() + self.retry_every

    def _ended(self, task: asyncio.Task[ResyncReport | None]) -> None:
        if task.cancelled():  # (replaced by a newer one)
            return
        self.schedule.restart()
        error = task.exception()
        if isinstance(error, LeaseHeldError | LeaseLostError | StoreError):
            self._stand_by(error)
            return
        self.standby = None
        if error is not None:
            log.error("the %s resync stopped: %s", self.reason, error)
        elif (report := task.result()) is not None:
            self.on_report(report)


async def consume(  # noqa: PLR0913
    sail: Sail,
    store: Store,
    observer: Observer,
    *,
    stop: asyncio.Event,
    target: Subscription,
    settings: EventListenerSettings,
    on_report: Callable[[ResyncReport], None] = lambda _report: None,
    freshness: Freshness | None = None,
    on_ready: Callable[[], None] = lambda: None,
) -> None:
    """Run until ``stop`` is set (``target`` and ``settings`` from :func:`connection`)."""

    def run(reason: str, standby: Standby | None, finishing: Callable[[], None]) -> Any:
        return resync(sail, store, observer, trigger=reason, freshness=freshness,
                      standby=standby, finishing=finishing)  # fmt: skip

    throttle_kafka_logs()
    consumer = AIOKafkaConsumer(**consumer_options(settings, target.group))
    assigned = _Assigned()
    consumer.subscribe([target.topic], listener=assigned)
    try:
        await consumer.start()
    except KafkaError as error:
        raise ConfigError(
            f"cannot reach Kafka at {settings.brokers} ({error}); check "
            "OCEAN__EVENT_LISTENER__BROKERS and the security settings"
        ) from None
    resyncs = _Resyncs(run, on_report, retry_every=sail.settings.resync_lease_seconds / 3,
                       schedule=Schedule(sail.settings.scheduled_resync_interval),
                       stop=stop)  # fmt: skip
    try:
        started = await start(sail, store, freshness)  # once, whatever triggers come
        for problem in started.errors:
            log.error("%s", problem)
        if settings.resync_on_start:
            await resyncs.trigger("start")
        await _loop(consumer, resyncs, assigned, sail.owner.identifier, stop, settings, on_ready)
    finally:
        await resyncs.cancel()
        await _stop(consumer)


async def _stop(consumer: AIOKafkaConsumer) -> None:
    """Stop ``consumer``, which leaves its group: with the broker away that fails or waits
    for it (the group then drops this member when its session lapses), and aiokafka's
    fetcher, cancelled while it waits to fetch again, lets the cancellation out of its
    ``stop``: the listener would look cancelled, its caller with it."""
    try:
        async with asyncio.timeout(COMMIT_WITHIN):
            await consumer.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():  # (the listener's own cancellation)
            raise
        log.warning("the Kafka consumer stopped uncleanly (was the broker away?)")
    except (KafkaError, TimeoutError) as error:
        log.warning(
            "could not leave the Kafka group cleanly: %s", str(error) or "no answer in time"
        )


class _Assigned(ConsumerRebalanceListener):  # type: ignore[misc]
    """The partitions assigned to this member and not yet anchored (:func:`_anchor`)."""

    def __init__(self) -> None:
        self.fresh: set[TopicPartition] = set()

    async def on_partitions_revoked(self, revoked: Any) -> None:
        self.fresh.difference_update(revoked)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self.fresh.update(assigned)


async def _anchor(
    consumer: AIOKafkaConsumer, assigned: _Assigned, batches: dict[TopicPartition, list[Any]]
) -> None:
    """Commit where each newly assigned partition starts (its first message fetched, else
    its position) before any of its messages is handled. A group without a committed offset
    starts at the log's end (``auto_offset_reset``): a member killed while the resync of the
    group's first message ran left nothing committed, and the partition's next owner
    started past that message, which no resync then ran. Once anchored, the next owner
    starts at the message whose resync did not end (as it does once offsets are committed)."""
    fresh = assigned.fresh & consumer.assignment()
    assigned.fresh.clear()
    if not fresh:
        return
    try:
        async with asyncio.timeout(COMMIT_WITHIN):
            offsets = {
                partition: batches[partition][0].offset
                if batches.get(partition)
                else await consumer.position(partition)
                for partition in fresh
            }
            await consumer.commit(offsets)
    except (KafkaError, TimeoutError) as error:
        assigned.fresh |= fresh  # anchored at the next fetch (unless revoked meanwhile)
        log.warning("could not commit where partitions %s start (%s); trying again at the "
                    "next fetch", sorted(fresh), str(error) or "no answer in time")  # fmt: skip


async def _loop(
    consumer: AIOKafkaConsumer,
    resyncs: _Resyncs,
    assigned: _Assigned,
    identifier: str,
    stop: asyncio.Event,
    settings: EventListenerSettings,
    on_ready: Callable[[], None],
) -> None:
    ready = False
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=int(settings.consumer_poll_timeout * 1000))
        await _anchor(consumer, assigned, batches)
        if not ready and consumer.assignment():
            ready = True
            on_ready()
        for partition, messages in batches.items():
            for message in messages:
                await _handle(message, partition, resyncs, identifier)
        await resyncs.settle(consumer)


async def _handle(message: Any, partition: TopicPartition, resyncs: _Resyncs, me: str) -> None:
    """Trigger a resync, or log why not; either way the message counts as handled once
    the running resync (if any) has ended."""
    wanted, why = wants_resync(message.topic, message.value, me)
    if wanted:
        log.info("resync requested on %s: %s", message.topic, why)
        await resyncs.trigger("kafka")
    else:
        log.warning("skipped message %s@%s: %s", partition, message.offset, why)
    resyncs.handled(partition, message.offset)
