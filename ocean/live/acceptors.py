"""Acceptor processes (``OCEAN__LIVE_EVENTS__ACCEPTORS=N``): N children of ``ocean sail``
accept live events on the integration's port while its own process applies them.

The sail binds the port and hands the listening socket to each child
(:mod:`ocean.live.acceptor`), so the kernel spreads the connections over them; the sail's
own server moves to a loopback port of its own, to which the children hand every request
that is not a live event (``/health``, ``/ready``, ``/metrics``, ``POST /resync``, the
integration's routes). Each child checks an event and puts it in the same queue (Redis,
or the SQLite file: see :mod:`ocean.live.sqlite_queue`) before it answers 202, and tells
the sail through a pipe that events arrived, and what it counted (see
:mod:`ocean.live.told`). The children hold the read end of a second
pipe whose only write end the sail holds: when the sail stops or dies, they see its end
and stop too. A child that exits on its own stops the sail (logged; the sail exits 1), so that
whatever supervises it restarts the whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import socket
import sys
from dataclasses import dataclass, field

from ocean.errors import OceanError
from ocean.live.open import queue_url
from ocean.live.queue import EventQueue
from ocean.live.sqlite_queue import SQLiteEventQueue
from ocean.live.told import Told
from ocean.monitor.logs import console_level
from ocean.monitor.metrics import Metrics
from ocean.sail import Sail
from ocean.server.bind import bound

_log = logging.getLogger(__name__)
START_SECONDS = 60.0
NICENESS = 10
"""The acceptors yield the cores to the sail: when they are short, events wait to be
accepted (the sender sees it) rather than pile up accepted and unapplied. Measured on 2
busy cores at 5,000/s offered, Redis queue: median p50 accepted-to-applied 3.2 s at the
same niceness, 0.1 s at 10, for the same events/s."""
STOP_SECONDS = 10.0


@dataclass
class Acceptors:
    """Started with :meth:`start`; :meth:`stop` ends them."""

    processes: list[asyncio.subprocess.Process]
    internal: socket.socket
    """Where the sail's own server listens (loopback, a port of its own)."""
    lifeline: int
    pipe: asyncio.ReadTransport
    told: Told
    stopping: bool = field(default=False)
    watching: asyncio.Task[None] | None = None
    exited: int | None = None
    """The code of an acceptor that exited on its own (and stopped the sail), if one did."""

    @classmethod
    async def start(
        cls,
        sail: Sail,
        queue: EventQueue,
        metrics: Metrics,
        address: tuple[str, int],
        stop: asyncio.Event,
    ) -> Acceptors:
        """N acceptors (``sail.settings.live_events.acceptors``) serving ``address``, ready;
        one that exits before :meth:`stop` sets ``stop`` (logged). The events they count
        are added to ``metrics``."""
        public, internal = _listening(address), _listening(("127.0.0.1", 0))
        lifeline, lifeline_out = os.pipe()
        notified, notify = os.pipe()
        os.set_blocking(notify, False)
        spec = _spec(sail, internal.getsockname()[1], public, lifeline, notify)
        fds = (public.fileno(), lifeline, notify)
        processes: list[asyncio.subprocess.Process] = []
        try:
            for _ in range(sail.settings.live_events.acceptors):
                processes.append(await _spawn(spec, fds))
        except BaseException:  # those started see their lifeline end, and stop
            os.close(lifeline_out)
            os.close(notified)
            internal.close()
            raise
        finally:
            for fd in (lifeline, notify):
                os.close(fd)
            public.close()
        told = Told(queue.arrived if isinstance(queue, SQLiteEventQueue) else None, metrics)
        pipe, _ = await asyncio.get_running_loop().connect_read_pipe(
            lambda: told, os.fdopen(notified, "rb", buffering=0)
        )
        acceptors = cls(processes, internal, lifeline_out, pipe, told)
        try:
            await acceptors._until_ready(told)
        except BaseException:
            await acceptors.stop()
            raise
        acceptors.watching = asyncio.create_task(acceptors._watch(stop))
        _log.info("%d acceptor processes serve live events on %s:%d", len(processes), *address)
        return acceptors

    async def _until_ready(self, told: Told) -> None:
        deadline = asyncio.get_running_loop().time() + START_SECONDS
        while told.ready < len(self.processes):
            if any(process.returncode is not None for process in self.processes):
                raise OceanError(_failed("exited while starting"))
            if asyncio.get_running_loop().time() > deadline:
                raise OceanError(_failed(f"did not start within {START_SECONDS:g} s"))
            told.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(told.changed.wait(), 0.1)

    async def _watch(self, stop: asyncio.Event) -> None:
        done, _ = await asyncio.wait(
            [asyncio.create_task(process.wait()) for process in self.processes],
            return_when=asyncio.FIRST_COMPLETED,
        )
        if not self.stopping and not stop.is_set():
            code = next(iter(done)).result()
            self.exited = code
            _log.error("an acceptor process exited (code %s); stopping the sail", code)
            stop.set()

    async def stop(self) -> None:
        """End the children (the lifeline's end) and wait for them, then kill the late."""
        if self.stopping:
            return
        self.stopping = True
        os.close(self.lifeline)
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), STOP_SECONDS)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self.watching is not None:
            await self.watching
        with contextlib.suppress(TimeoutError):  # read what they told last (their counts)
            await asyncio.wait_for(self.told.ended.wait(), STOP_SECONDS)
        self.pipe.close()
        self.internal.close()


def _failed(what: str) -> str:
    return (
        f"an acceptor process {what} (OCEAN__LIVE_EVENTS__ACCEPTORS); its error is logged "
        "above. Fix it, or set OCEAN__LIVE_EVENTS__ACCEPTORS=0 to accept in this process"
    )


def _listening(address: tuple[str, int]) -> socket.socket:
    host, port = address
    listening = bound(
        host,
        port,
        lambda why: OceanError(
            f"the live-event acceptors cannot listen on {host}:{port}: {why}; free that port, "
            "choose another (--port), or set OCEAN__LIVE_EVENTS__ACCEPTORS=0"
        ),
    )
    listening.listen(2048)
    listening.setblocking(False)
    return listening


def _spec(sail: Sail, internal: int, public: socket.socket, lifeline: int, notify: int) -> str:
    settings = sail.settings.live_events
    return json.dumps(
        {
            "folder": str(sail.folder.path.resolve()),
            "identifier": sail.owner.identifier,
            "queue": queue_url(settings.queue_url, sail.catalog_url),
            "consumer": settings.consumer,
            "max_body": settings.max_body_bytes,
            "retry_after": max(1, math.ceil(settings.retry_max_seconds)),
            "internal": internal,
            "socket": public.fileno(),
            "lifeline": lifeline,
            "notify": notify,
            "log_level": console_level() or None,
            "niceness": NICENESS,
        }
    )


async def _spawn(spec: str, fds: tuple[int, ...]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ocean.live.acceptor",
        spec,
        pass_fds=fds,
        stdin=asyncio.subprocess.DEVNULL,
    )
