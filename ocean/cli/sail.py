"""``ocean sail PATH``: run an integration folder against the catalog."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ocean.cli.options import catalog_option, run
from ocean.cli.options import catalog_url as chosen_catalog
from ocean.monitor.logs import CHOICES as LOG_CHOICES
from ocean.monitor.logs import configure_logging, parse_level
from ocean.store.postgres.ahead import ReadyAhead
from ocean.store.sqlite.spawn import SpareCatalog

if TYPE_CHECKING:
    import asyncio
    import socket
    import threading
    from types import FrameType

    import uvicorn
    from starlette.types import ASGIApp

    from ocean.job import Observer
    from ocean.live.acceptors import Acceptors
    from ocean.live.service import LiveService
    from ocean.monitor.report import ResyncReport
    from ocean.sail import Sail
    from ocean.store.base import Store

STOP_GRACE = 10.0
"""Seconds the event loop has to take a stop signal before the process exits anyway
(:class:`_Watchdog`)."""


@click.command()
@click.argument("path", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-O", "--once", is_flag=True, help="Run one resync, then exit (non-zero if it failed)."
)
@catalog_option
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the resync summary as JSON to this file (the last one when polling).",
)
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@click.option(
    "-l",
    "--log-level",
    type=click.Choice([*LOG_CHOICES, "WARN", "FATAL"], case_sensitive=False),
    default=None,
    help="Log level (default: OCEAN__LOG_LEVEL, else WARNING).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address of the integration's HTTP server (not with --once).",
)
@click.option(
    "-p",
    "--port",
    type=int,
    default=8000,
    envvar="APPLICATION__PORT",
    show_default=True,
    help="Port of the integration's HTTP server (not with --once; default: APPLICATION__PORT).",
)
@click.option(
    "-i",
    "--initialize-port-resources",
    type=bool,
    default=None,
    help="false: create none of the folder's default resources (default: "
    "OCEAN__INITIALIZE_PORT_RESOURCES, else true).",
)
def sail(  # noqa: PLR0913 (one per option)
    path: Path,
    once: bool,
    catalog_url: str | None,
    report_path: Path | None,
    quiet: bool,
    log_level: str | None,
    host: str,
    port: int,
    initialize_port_resources: bool | None,
) -> None:
    """Sync the integration in PATH (default: the current folder) into the catalog.

    With --once (or OCEAN__EVENT_LISTENER__TYPE=ONCE) one resync runs; with the POLLING
    listener (the default, as in the original) Ocean resyncs at start and whenever
    `ocean catalog resync IDENTIFIER` asks, until interrupted.
    """
    if log_level is not None:
        configure_logging(parse_level(log_level))
    overrides: dict[str, Any] = {}
    if once:
        overrides["event_listener"] = {"type": "ONCE"}
    if catalog_url:
        overrides["catalog"] = {"url": catalog_url}
    if initialize_port_resources is not None:
        overrides["initialize_port_resources"] = initialize_port_resources
    sail_folder(path, overrides, report_path=report_path, quiet=quiet, address=(host, port))


def sail_folder(
    path: Path,
    overrides: dict[str, Any],
    *,
    report_path: Path | None = None,
    quiet: bool = False,
    address: tuple[str, int] = ("127.0.0.1", 8000),
) -> None:
    """Run the integration in ``path`` with its listener (``ocean sail``, and the
    original's ``port_ocean.run``), the settings under ``overrides``."""
    url = chosen_catalog((overrides.get("catalog") or {}).get("url"))  # made ready beside it
    spare = SpareCatalog.start_for(url) or ReadyAhead.start_for(url)
    try:
        _sail_command(path, overrides, report_path, quiet, address, spare)
    finally:
        if spare is not None:
            spare.close()


def _sail_command(
    path: Path,
    overrides: dict[str, Any],
    report_path: Path | None,
    quiet: bool,
    address: tuple[str, int],
    spare: SpareCatalog | ReadyAhead | None,
) -> None:
    render = _renderer(quiet)
    reports: list[ResyncReport] = []

    def show(report: ResyncReport) -> None:
        reports.append(report)
        if report_path is not None:
            report_path.write_text(json.dumps(report.to_dict(), indent=2))
        render(report)

    run(lambda: _sail(path, overrides, quiet, show, address, spare))
    if reports and reports[-1].status != "completed":
        raise SystemExit(1)


def _renderer(quiet: bool) -> Callable[[ResyncReport], None]:
    """How a report is shown: a table on stdout, or (``--quiet``) only its errors, on
    stderr, without loading the terminal library."""
    if quiet:
        return _print_failures
    from rich.console import Console

    from ocean.monitor.render import render_report

    output = Console()
    output = output if output.is_terminal else Console(width=160)
    return lambda report: render_report(report, output)


def _print_failures(report: ResyncReport) -> None:
    """What went wrong in a resync, one line per error (nothing when it completed)."""
    if report.status == "completed":
        return
    click.echo(f"resync of {report.integration}: {report.status}", err=True)
    for kind in report.kinds:
        for error in kind.errors:
            click.echo(f"error {kind.kind}: {error}", err=True)
    for error in report.errors:
        click.echo(f"error {error}", err=True)


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[Observer]:
    """Progress bars on a terminal's stderr; none with ``--quiet``."""
    from ocean.job import SilentObserver

    if quiet:
        yield SilentObserver()
        return
    from rich.console import Console

    from ocean.monitor.render import ProgressDisplay

    with ProgressDisplay(Console(stderr=True)) as display:
        yield display


async def _sail(
    path: Path,
    overrides: dict[str, Any],
    quiet: bool,
    show: Any,
    address: tuple[str, int],
    spare: SpareCatalog | ReadyAhead | None,
) -> None:
    from ocean.errors import ConfigError
    from ocean.extras import require
    from ocean.listen.listener import LISTENERS
    from ocean.listen.once import run_once
    from ocean.monitor.port_logs import ship_logs
    from ocean.sail import prepare
    from ocean.store.open import open_store

    prepared = prepare(path, environ=os.environ, overrides=overrides)
    listener = prepared.settings.event_listener.type.upper()
    if listener not in LISTENERS:
        raise ConfigError(
            f"event listener {listener!r} does not exist; set OCEAN__EVENT_LISTENER__TYPE to "
            f"one of {', '.join(LISTENERS)} (or pass --once)."
        )
    if listener == "KAFKA":
        require("kafka")  # before anything starts
    store = await open_store(
        prepared.catalog_url,
        credentials=prepared.credentials,
        own_process=True,
        spare=spare,
        owner=prepared.owner,
    )
    logs = ship_logs(prepared, store, os.environ)  # to a Port API that takes them
    try:
        with _progress(quiet) as progress, _terminable(listener == "ONCE"):
            if listener == "ONCE":
                show(await run_once(prepared, store, progress))
            else:
                await _serve(prepared, store, progress, show, address)
    finally:
        try:
            if logs is not None:
                await logs.close()  # what remains sent, within its bound
        finally:
            await store.close()  # (even when the close above is interrupted)


@contextlib.contextmanager
def _terminable(once: bool) -> Iterator[None]:
    """With ``once``, SIGTERM stops the block as an interrupt does (a Job's deadline,
    ``docker stop``): the resync under way is cancelled, recorded ``aborted`` and its lease
    released, rather than the process killed; the command then exits 143. (A listener
    handles its signals itself, see :func:`_serve`.)"""
    import asyncio  # (as in _serve)

    if not once:
        yield
        return
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    terminated = False

    def terminate() -> None:
        nonlocal terminated
        terminated = True
        if task is not None:
            task.cancel()

    loop.add_signal_handler(signal.SIGTERM, terminate)
    try:
        with _Watchdog(loop).watching(signal.SIGTERM, signal.SIGINT):
            yield
    except asyncio.CancelledError:
        if not terminated or task is None:
            raise
        task.uncancel()
        raise SystemExit(128 + signal.SIGTERM) from None
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


async def _serve(
    sail: Sail,
    store: Store,
    progress: Observer,
    show: Any,
    address: tuple[str, int],
) -> None:
    """Serve /health, /ready, /metrics, /resync, live events; resync as told, to a signal."""
    import asyncio  # not at the module's top: ocean sail starts the catalog's process first

    from prometheus_client import CollectorRegistry

    from ocean.listen.http import create_app
    from ocean.listen.listener import listen
    from ocean.listen.once import finish
    from ocean.live.service import LiveService
    from ocean.monitor.metrics import Metrics, ShowsRunning

    metrics = Metrics(CollectorRegistry())  # this process's own, never a global one
    metrics.serve()  # /ready: 200 from now on, whatever the listener; no resync shown yet
    listener = sail.settings.event_listener.type.upper()
    live = await LiveService.open(sail, store, metrics) if listener != "ACTIONS_ONLY" else None
    app = create_app(
        store=store,
        identifier=sail.owner.identifier,
        metrics=metrics,
        token=sail.settings.event_listener.token,
        extra_routes=[*sail.folder.integration.http_routes(), *(live.routes if live else ())],
        readiness=[live.unready] if live else (),
    )
    server = _server(app, address)
    stop = asyncio.Event()
    acceptors = await _acceptors(sail, live, address, stop)
    serving = asyncio.create_task(server.serve(await _sockets(acceptors, live, address)))

    def finished(report: ResyncReport) -> None:
        metrics.finished(report)
        show(report)

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    _Watchdog(loop).watch(signal.SIGINT, signal.SIGTERM)  # until they are removed
    working = asyncio.create_task(live.run(stop)) if live else None
    try:
        freshness = live.live.freshness if live else None
        observer = ShowsRunning(progress, metrics)
        await listen(sail, store, observer, stop=stop, on_report=finished, freshness=freshness)
    finally:
        if acceptors is not None:
            await acceptors.stop()  # first: no event is accepted that the workers miss
        if working is not None and live is not None:
            stop.set()
            await working
            await live.close()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        server.should_exit = True
        await serving
        await finish(sail)  # last: live events and routes may use the clients it closes


class _Watchdog:
    """Ends the process when the event loop has not taken a stop signal (SIGTERM, Ctrl-C)
    within :data:`STOP_GRACE` seconds: something blocks it (a handler calling
    ``time.sleep`` or a synchronous client), and nothing else would stop the sail. What was
    written stays; the resync's run stays ``running`` and its lease lapses on its own (the
    next resync takes it over)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: threading.Event | None = None
        self._handlers: list[Callable[[int, FrameType | None], None]] = []

    def watch(self, *signums: int) -> None:
        """Have each of ``signums``, whose handler is set (the loop's, or asyncio's for
        Ctrl-C), also arm the watchdog, until its handler is set again."""
        for signum in signums:
            previous = signal.getsignal(signum)
            if callable(previous):
                signal.signal(signum, self._noticing(previous))

    @contextlib.contextmanager
    def watching(self, *signums: int) -> Iterator[None]:
        """:meth:`watch` within the block; then the handlers as they were (unless they
        were set again meanwhile)."""
        previous = {signum: signal.getsignal(signum) for signum in signums}
        self.watch(*signums)
        try:
            yield
        finally:
            for signum, handler in previous.items():
                if signal.getsignal(signum) in self._handlers:
                    signal.signal(signum, handler)

    def _noticing(
        self, previous: Callable[[int, FrameType | None], Any]
    ) -> Callable[[int, FrameType | None], None]:
        def noticed(signum: int, frame: FrameType | None) -> None:
            self._arm(signum)
            previous(signum, frame)

        self._handlers.append(noticed)
        return noticed

    def _arm(self, signum: int) -> None:
        """Wait, on a thread, for the loop to run a callback posted now (this runs in the
        main thread, between two instructions of whatever it runs, the loop blocked or not)."""
        import threading

        if self._waiting is not None:
            return  # armed already
        waiting = self._waiting = threading.Event()
        self._loop.call_soon_threadsafe(self._answered, waiting)
        watch = threading.Thread(target=self._expire, args=(waiting, signum), daemon=True)
        watch.start()

    def _answered(self, waiting: threading.Event) -> None:
        waiting.set()
        self._waiting = None  # the next signal arms it again

    @staticmethod
    def _expire(waiting: threading.Event, signum: int) -> None:
        import logging

        if waiting.wait(STOP_GRACE):
            return
        logging.getLogger(__name__).error(
            "%s was not taken within %g s, so the sail cannot stop: the event loop is "
            "blocked%s. Exiting now. A handler must not block the loop: await "
            "asyncio.sleep, run blocking calls with asyncio.to_thread. What was written "
            "stays; the resync's lease lapses on its own.",
            signal.Signals(signum).name,
            STOP_GRACE,
            _blocked_at(),
        )
        os._exit(128 + signum)


def _blocked_at() -> str:
    """Where the main thread is, outside Ocean and Python's own files (the integration's
    code, usually), as `` at /…/main.py:9 in things (time.sleep(1))``."""
    import sys
    import sysconfig
    import threading
    import traceback

    frame = sys._current_frames().get(threading.main_thread().ident or 0)
    if frame is None:
        return ""
    stack = traceback.extract_stack(frame)
    paths = sysconfig.get_paths()
    skipped = [str(Path(__file__).parents[1]), *(paths[k] for k in ("stdlib", "purelib"))]
    own = [f for f in stack if not f.filename.startswith(tuple(skipped))]
    shown = (own or stack)[-1]
    return f" at {shown.filename}:{shown.lineno} in {shown.name} ({shown.line})"


async def _sockets(
    acceptors: Acceptors | None, live: LiveService | None, address: tuple[str, int]
) -> list[socket.socket]:
    """The sockets the sail's server serves, bound before the first resync: a taken port
    is a message, not a traceback after a resync (the live service closed then)."""
    from ocean.errors import ConfigError
    from ocean.server.bind import serving_at

    if acceptors is not None:
        return [acceptors.internal]
    try:
        return [serving_at(*address)]
    except ConfigError:
        if live is not None:
            await live.close()
        raise


def _server(app: ASGIApp, address: tuple[str, int]) -> uvicorn.Server:
    """The integration's server, whose signals are the sail's."""
    import uvicorn  # imported on use: `ocean sail --once` starts faster without it

    config = uvicorn.Config(  # its log through the root logger's handlers, which mask secrets
        app,
        host=address[0],
        port=address[1],
        log_level="warning",
        access_log=False,  # INFO lines, dropped at WARNING, but each formatted first
        lifespan="off",
        log_config=None,
    )
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    return server


async def _acceptors(
    sail: Sail, live: LiveService | None, address: tuple[str, int], stop: asyncio.Event
) -> Acceptors | None:
    """The acceptor processes ``OCEAN__LIVE_EVENTS__ACCEPTORS`` asks for, if live events
    are served (else None, and the sail's own server takes the port); one that exits on
    its own sets ``stop``."""
    import logging

    from ocean.live.acceptors import Acceptors

    count = sail.settings.live_events.acceptors
    if count and live is None:
        logging.getLogger(__name__).warning(
            "OCEAN__LIVE_EVENTS__ACCEPTORS=%d is ignored: this sail serves no live events", count
        )
    if not count or live is None:
        return None
    try:
        return await Acceptors.start(sail, live.queue, live.metrics, address, stop)
    except BaseException:  # the sail stops: its live service with it
        await live.close()
        raise
