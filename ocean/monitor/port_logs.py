"""The sail's log, shipped to the Port API it syncs into, as the original ships it.

Where the integration's record names ``logAttributes.ingestUrl`` (Port's, not Ocean's own
catalog server's, which names one and drops what it gets), the records the sail logs are
sent there, and Port's UI shows them on the integration's page: ``POST {ingestUrl}`` with
``{"logs": [{"message", "level", "timestamp", "extra"}, ...]}``, each record masked entirely
(see :mod:`ocean.monitor.port_log_entries`).

Which records:

- INFO and above (the console's level when it is lower, as the original ships at its log
  level), the console keeping its own: the root logger is lowered to INFO while the log is
  shipped (by any shipping of the process, :mod:`ocean.monitor.root_level`: it is put back
  when the last stops), and its handlers are kept at the level they had (not a handler on
  another logger, nor one added to the root later: at no level of their own, they show
  INFO meanwhile);
- below WARNING, Ocean's own and the integration's only (its folder's files, not the
  libraries of a virtualenv there, and what it logs with loguru): the original ships its
  loguru log, never the standard library's, where HTTP clients log a line per request;
- none bound ``local_only=True``, and none logged while shipping (the HTTP client's lines, a
  failure's warning): nothing shipped makes more to ship.

When: as the original, a batch once 100 records wait, else every 5 s, by a task of the
sail's event loop, one call at a time, each given 5 s; at stop what remains is sent within
5 s. The records wait in a buffer of at most 10,000 records and 16 M characters of text (the
oldest dropped and counted when Port does not take them as fast:
:mod:`ocean.monitor.port_log_buffer`). A batch Port does not take is dropped, as the
original drops it: a warning here (the first until a batch is taken again, the others at
DEBUG), never shipped; a record JSON could not carry (which
:mod:`~ocean.monitor.port_log_entries` prevents) would be dropped alone. The record is read
(``GET /v1/integration/{id}``) when the first batch is due, as the original reads its log
attributes, and until the integration is installed at most once each 5 s as batches come
(and at stop). ``OCEAN__ENABLE_HTTP_LOGGING=false`` ships none (so does the original's
``APPLICATION__ENABLE_HTTP_LOGGING=false``).

What it costs: about 25 µs for each record shipped on the thread that logs it (and 15 µs
to mask it as the task sends it), about 7 µs for each record below WARNING it leaves out (a
record the root logger at WARNING would not have made: httpx's line per request, some 1,400
in a resync of 20,000 entities), against a fraction of a microsecond for a record not made.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import orjson

from ocean.config.settings import BOOLEAN_WORDS
from ocean.monitor.port_log_buffer import LEVEL, Pace, PortLogHandler
from ocean.monitor.port_log_entries import LOCAL, Origin, local_only, masked
from ocean.monitor.port_sync_metrics import CallsPort, ReachesPort
from ocean.monitor.root_level import ROOT
from ocean.store.base import InstallsIntegrations

if TYPE_CHECKING:
    from ocean.sail import Sail
    from ocean.store.base import Store

_log = logging.getLogger(__name__)

ORIGINAL_SWITCH = "APPLICATION__ENABLE_HTTP_LOGGING"
"""The original's variable for ``enable_http_logging``: false ships none here too."""


def log_ingest_url(record: Mapping[str, Any] | None) -> str | None:
    """The record's ``logAttributes.ingestUrl`` (None when it names none)."""
    attributes = (record or {}).get("logAttributes")
    url = attributes.get("ingestUrl") if isinstance(attributes, dict) else None
    return url if isinstance(url, str) and url.strip() else None


def enabled(setting: bool, environ: Mapping[str, str]) -> bool:
    """Whether the log is shipped: ``OCEAN__ENABLE_HTTP_LOGGING`` (``setting``) and the
    original's variable, if set, both allow it."""
    original = environ.get(ORIGINAL_SWITCH, "").strip().lower()
    return setting and BOOLEAN_WORDS.get(original, True)


class PortLogs:
    """Ships the log to the Port API ``http`` reaches, at the ``logAttributes.ingestUrl``
    of the integration's record (``read_record``; None while it is not installed).
    :meth:`start` installs its handler on the root logger, :meth:`close` sends what
    remains and removes it."""

    def __init__(
        self,
        http: CallsPort,
        read_record: Callable[[], Awaitable[Mapping[str, Any] | None]],
        *,
        origin: Callable[[logging.LogRecord], bool] | None = None,
        pace: Pace | None = None,
    ) -> None:
        self._http, self._read = http, read_record
        self._origin = origin or Origin()
        self._pace = pace or Pace()
        self._sending: ContextVar[bool] = ContextVar(f"port_logs_{id(self)}", default=False)
        """Set in the task that ships (and the tasks it starts): what they log stays here."""
        context = {"hostname": socket.gethostname(), "instance": str(uuid.uuid4())}
        self.handler = PortLogHandler(self._admits, context, self._pace, self._wake)
        self._full = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = 0
        self._task: asyncio.Task[None] | None = None
        self._holding = False
        """Whether it holds the root logger lowered (:data:`~ocean.monitor.root_level.ROOT`)."""
        self._closing = False
        self._known = False
        """Whether the record was read (then :attr:`url` is where the log goes, if any)."""
        self._next_read = float("-inf")
        """When the record may be read again (loop time) while it is not known."""
        self.url: str | None = None
        self.failed = 0
        """Records in batches Port did not take."""
        self._failing = False
        self._drops_said = 0
        self._in_flight = 0
        """Records of the call under way (lost if the stop cuts it)."""

    def start(self) -> None:
        """Take records from now on (within the running event loop, which ships them)."""
        self._loop, self._thread = asyncio.get_running_loop(), threading.get_ident()
        root = logging.getLogger()
        self.handler.setLevel(min(root.getEffectiveLevel(), LEVEL) or LEVEL)
        ROOT.hold(self.handler.level)
        self._holding = True
        # first (it sees each record as logged); a new list: another thread may be going
        # through the one it replaces, as logging does (Logger.callHandlers)
        root.handlers = [self.handler, *root.handlers]
        self._task = asyncio.create_task(self._run(), name="ocean-port-logs")

    async def close(self) -> None:
        """Take no more records, send those waiting within ``pace.close_seconds`` (then
        the rest is dropped, saying so), and put the root logger back as it was (when no
        other shipping runs); once (a second close does nothing more)."""
        self._stop_taking()
        task = self._task
        if task is None:
            return
        self._closing = True
        self._full.set()
        await asyncio.wait({task}, timeout=self._pace.close_seconds)
        cut = 0
        if not task.done():
            cut = self._in_flight
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        self._task = None
        self._report(unsent=cut + len(self.handler.take(len(self.handler))))

    def _admits(self, record: logging.LogRecord) -> bool:
        return not self._sending.get() and not local_only(record) and self._origin(record)

    def _wake(self) -> None:
        """A batch is full: have the task send it (told from any thread)."""
        if threading.get_ident() == self._thread:
            self._full.set()
        elif self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nothing is sent
                self._loop.call_soon_threadsafe(self._full.set)

    def _stop_taking(self) -> None:
        root = logging.getLogger()
        if self.handler in root.handlers:  # (a new list, as at start)
            root.handlers = [handler for handler in root.handlers if handler is not self.handler]
        if self._holding:
            self._holding = False
            ROOT.release()

    async def _run(self) -> None:
        self._sending.set(True)  # nothing logged from here on (by the calls too) is shipped
        try:
            while await self._round():
                pass
        except Exception:  # a fault here must not stop the sail: the log stays local
            _log.exception("shipping the log to Port failed; it is no longer shipped", extra=LOCAL)
            self._stop_taking()

    async def _round(self) -> bool:
        """Send what waits once a batch is full, ``pace.interval`` passed or the close
        came (what comes meanwhile waits for the next round); whether to go on."""
        closing = await self._due()
        url = await self._target()
        if url is None and self._known:  # the record names no ingest URL (or is Ocean's)
            self._stop_taking()
            self.handler.take(len(self.handler))
            return False
        if url is not None:
            self._note_drops()
            for _ in range(-(-len(self.handler) // self._pace.batch)):  # (what waits now)
                await self._post(url, self.handler.take(self._pace.batch))
        return not closing

    async def _due(self) -> bool:
        await asyncio.sleep(0)  # a turn for the loop's other tasks, whatever the calls await
        if not self._closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._pace.interval):
                    await self._full.wait()
        self._full.clear()
        return self._closing

    async def _target(self) -> str | None:
        """The ingest URL, the record read the first time records wait, and again at most
        once each ``pace.interval`` (and at the close) while it is not known (None: the
        records wait meanwhile, within the buffer's cap)."""
        if self._known or not len(self.handler):
            return self.url
        now = asyncio.get_running_loop().time()
        if now < self._next_read and not self._closing:
            return None
        self._next_read = now + self._pace.interval
        try:
            async with asyncio.timeout(self._pace.call_seconds):
                record = await self._read()
        except Exception as error:
            problem = str(error) or "no answer in time"
            _log.debug("the integration's log attributes were not read: %s", problem, extra=LOCAL)
            return None
        if record is None:  # not installed yet: its log waits
            return None
        self._known = True
        self.url = None if self._http.ocean else log_ingest_url(record)
        if self.url is None:
            _log.debug("the log is not shipped: no logAttributes.ingestUrl", extra=LOCAL)
        return self.url

    async def _post(self, url: str, batch: list[dict[str, Any]]) -> None:
        if not batch:
            return
        logs = [masked(shipped) for shipped in batch]
        self._in_flight = len(logs)
        try:
            try:
                await self._call(url, logs)
            except Exception as error:
                logs = self._writable_only(logs, error)  # (else the error, raised again)
                if not logs:
                    return
                await self._call(url, logs)
        except Exception as error:  # dropped, as the original drops it: never sent again
            self._lost(len(logs), str(error) or f"no answer within {self._pace.call_seconds:g} s")
            return
        finally:
            self._in_flight = 0
        if self._failing:
            self._failing = False
            _log.info("Port takes the log again", extra=LOCAL)

    async def _call(self, url: str, logs: list[dict[str, Any]]) -> None:
        async with asyncio.timeout(self._pace.call_seconds):
            await self._http.ingest("POST", url, {"logs": logs})

    def _writable_only(self, logs: list[dict[str, Any]], error: Exception) -> list[dict[str, Any]]:
        """``logs`` without those JSON cannot carry (records of a kind
        :func:`~ocean.monitor.port_log_entries.entry` missed: dropped, said) when ``error``
        says some could not be written; else ``error`` raised again."""
        kept = [one for one in logs if _writable(one)] if _unwritten(error) else logs
        if len(kept) == len(logs):
            raise error
        self.failed += len(logs) - len(kept)
        _log.warning(
            "%d log record(s) could not be written as JSON, and are dropped: %s",
            len(logs) - len(kept),
            error,
            extra=LOCAL,
        )
        return kept

    def _lost(self, count: int, problem: str) -> None:
        self.failed += count
        level = logging.DEBUG if self._failing else logging.WARNING
        self._failing = True
        _log.log(
            level,
            "%d log record(s) were not shipped to Port, and are dropped: %s; the sail is not "
            "affected, and later records are still shipped (further failures are logged at "
            "DEBUG until Port takes a batch again)",
            count,
            problem,
            extra=LOCAL,
        )

    def _note_drops(self) -> None:
        """Say, once, that records were dropped from the full buffer."""
        if self.handler.dropped and not self._drops_said:
            self._drops_said = self.handler.dropped
            _log.warning(
                "the log waiting for Port reached its cap (%d records, %d characters): the "
                "oldest are dropped (Port takes it slower than it is written, or not at all)",
                self._pace.cap,
                self._pace.cap_text,
                extra=LOCAL,
            )

    def _report(self, unsent: int) -> None:
        """At close: how many records of the run never reached Port, when some were dropped
        unsaid (from the full buffer, or cut by the stop; a refused batch was said)."""
        lost = self.handler.dropped + self.failed + unsent
        if self.url is None or not (self.handler.dropped or unsent):
            return
        _log.warning(
            "%d log record(s) of this run were not shipped to Port: %d dropped from the full "
            "buffer, %d in batches Port did not take, %d not sent within %g s of the stop",
            lost,
            self.handler.dropped,
            self.failed,
            unsent,
            self._pace.close_seconds,
            extra=LOCAL,
        )


def _unwritten(error: BaseException) -> bool:
    """Whether ``error`` says the body could not be written as JSON (orjson's error is a
    TypeError; :meth:`~ocean.store.port.http.PortHTTP.ingest` raises it as its cause)."""
    return isinstance(error, TypeError) or isinstance(error.__cause__, TypeError)


def _writable(shipped: dict[str, Any]) -> bool:
    try:
        orjson.dumps(shipped, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return False
    return True


def ship_logs(sail: Sail, store: Store, environ: Mapping[str, str]) -> PortLogs | None:
    """The sail's log shipping, started: None unless ``store`` is a Port API and shipping
    is enabled (whether the record names where, and whether it is Port's, is known once
    the first batch is due)."""
    if not enabled(sail.settings.enable_http_logging, environ):
        return None
    if not isinstance(store, ReachesPort) or not isinstance(store, InstallsIntegrations):
        return None
    read = functools.partial(store.get_integration, sail.owner.identifier)
    shipping = PortLogs(store.port_http, read, origin=Origin(sail.folder.path))
    shipping.start()
    return shipping
