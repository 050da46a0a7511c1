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
from ocean.cli.watchdog import Watchdog, within_grace
from ocean.monitor.logs import CHOICES as LOG_CHOICES
from ocean.monitor.logs import configure_logging, parse_level
from ocean.store.postgres.ahead import ReadyAhead
from ocean.store.sqlite.spawn import SpareCatalog

if TYPE_CHECKING:
    import asyncio
    import socket

    import uvicorn
    from starlette.types import ASGIApp

    from ocean.job import Observer
    from ocean.live.acceptors import Acceptors
    from ocean.live.service import LiveService
    from ocean.monitor.metrics import Metrics
    from ocean.monitor.report import ResyncReport
    from ocean.sail import Sail
    from ocean.store.base import Store


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
        with Watchdog(loop).watching(signal.SIGTERM, signal.SIGINT):
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

    from ocean.listen.listener import listen
    from ocean.listen.once import finish
    from ocean.listen.open_files import raise_open_files
    from ocean.live.service import LiveService
    from ocean.monitor.metrics import Metrics, ShowsRunning

    raise_open_files()  # before the acceptors start: they inherit it
    metrics = Metrics(CollectorRegistry())  # this process's own, never a global one
    metrics.serve()  # /ready: 200 from now on, whatever the listener; no resync shown yet
    listener = sail.settings.event_listener.type.upper()
    live = await LiveService.open(sail, store, metrics) if listener != "ACTIONS_ONLY" else None
    server = _server(_app(sail, store, metrics, live), address)
    stop = asyncio.Event()
    acceptors = await _acceptors(sail, live, address, stop)
    serving = asyncio.create_task(server.serve(await _sockets(acceptors, live, address)))

    def finished(report: ResyncReport) -> None:
        metrics.finished(report)
        show(report)

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    Watchdog(loop).watch(signal.SIGINT, signal.SIGTERM)  # until they are removed
    working = asyncio.create_task(live.run(stop)) if live else None
    try:
        freshness = live.live.freshness if live else None
        observer = ShowsRunning(progress, metrics)
        listening = listen(
            sail, store, observer, stop=stop, on_report=finished, freshness=freshness
        )
        await within_grace(listening, stop)  # a catalog that hangs holds no stop for long
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
    if acceptors is not None and acceptors.exited is not None:
        raise SystemExit(1)  # a failure: a supervisor restarting on failure restarts it


def _app(sail: Sail, store: Store, metrics: Metrics, live: LiveService | None) -> ASGIApp:
    """The sail's routes: /health, /ready, /metrics, /resync, the integration's own, and the
    live events'."""
    from ocean.listen.http import create_app

    return create_app(
        store=store,
        identifier=sail.owner.identifier,
        metrics=metrics,
        token=sail.settings.event_listener.token,
        extra_routes=[*sail.folder.integration.http_routes(), *(live.routes if live else ())],
        readiness=[live.unready] if live else (),
    )


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
