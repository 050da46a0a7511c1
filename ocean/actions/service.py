"""The execution manager of a long-running ``ocean sail``: started beside the listener
when the integration registered executors, under ACTIONS_ONLY or with
``OCEAN__ACTIONS_PROCESSOR__ENABLED``, as the original allows.

When the manager stops by failing (its credential refused, or a fault), resyncs beside it
go on and the error is logged; under ACTIONS_ONLY, whose only work it is, the sail stops
with it (:func:`until_stopped`) rather than stay up taking no run, its health answering
ok. (The original keeps polling whatever fails once it started: a refused credential is an
error logged every poll interval, for good.)"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from ocean.actions.manager import ExecutionManager, ManagerSettings
from ocean.actions.open import actions_of
from ocean.actions.run import ActionRuns
from ocean.config.settings import Settings
from ocean.errors import OceanError
from ocean.extract.trace import describe_error
from ocean.sail import Sail
from ocean.store.base import Store

_log = logging.getLogger(__name__)


def manager_settings(settings: Settings) -> ManagerSettings:
    """The manager's bounds from ``OCEAN__ACTIONS_PROCESSOR__*``."""
    given = settings.actions_processor
    return ManagerSettings(
        workers_count=given.workers_count,
        runs_buffer_high_watermark=given.runs_buffer_high_watermark,
        poll_check_interval_seconds=given.poll_check_interval_seconds,
        visibility_timeout_ms=given.visibility_timeout_ms,
        max_runs_buffer_util_pct_per_action=given.max_runs_buffer_util_pct_per_action,
        max_wait_seconds_before_shutdown=settings.max_wait_seconds_before_shutdown,
    )


class ActionsStoppedError(OceanError):
    """Under ACTIONS_ONLY, the execution manager stopped by failing: the sail stops too."""


def start_actions(sail: Sail, store: Store, stop: asyncio.Event) -> asyncio.Task[None]:
    """:func:`run_actions` as a task that logs an error when it ends by failing (it is
    otherwise only awaited when Ocean stops; under ACTIONS_ONLY, :func:`until_stopped`)."""
    alone = sail.settings.event_listener.type.upper() == "ACTIONS_ONLY"
    return watched(asyncio.create_task(run_actions(sail, store, stop)), stop, alone=alone)


def watched(
    task: asyncio.Task[None], stop: asyncio.Event, *, alone: bool = False
) -> asyncio.Task[None]:
    """``task`` (running action runs until ``stop``), logging an error if it fails;
    ``alone`` (ACTIONS_ONLY): before ``stop``, the sail stops with its error and reports
    it (:func:`until_stopped`), so only an unexpected error's traceback is logged."""
    task.add_done_callback(partial(_ended, stop, alone))
    return task


async def until_stopped(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    """Under ACTIONS_ONLY, wait until ``stop`` is set; if the execution manager ``task``
    failed by then, raise :class:`ActionsStoppedError` (the sail stops, non-zero). A manager
    that ended by itself without failing (no executor registered: said so) is waited on."""
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    error = task.exception() if task.done() and not task.cancelled() else None
    if error is None:
        await stop.wait()
        return
    cause = (
        str(error)
        if isinstance(error, OceanError)
        else f"{describe_error(error)} (the traceback is logged above)"
    )
    raise ActionsStoppedError(
        "the execution manager stopped, and with it this ACTIONS_ONLY sail (taking action "
        f"runs is all it does; it does not stay up taking none): {cause}"
    ) from error


def _ended(stop: asyncio.Event, alone: bool, task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return  # cancelled by the listener, which reports its own failure
    error = task.exception()
    if error is None:
        return  # no runs to take, or stopped
    if alone and not stop.is_set():
        if not isinstance(error, OceanError):
            _log.error("actions: the execution manager failed", exc_info=error)
        return  # the sail stops with it, saying why (until_stopped)
    _log.error(
        "actions: the execution manager stopped%s: %s. No action run is taken until Ocean "
        "restarts; fix the cause and restart it",
        "" if stop.is_set() else " while Ocean runs on",
        describe_error(error),
        exc_info=None if isinstance(error, OceanError) else error,
    )


async def run_actions(sail: Sail, store: Store, stop: asyncio.Event) -> None:
    """Run the integration's action runs until ``stop`` (nothing when it runs none)."""
    integration, settings = sail.folder.integration, sail.settings
    listener = settings.event_listener.type.upper()
    if not integration.executors:
        if listener == "ACTIONS_ONLY":
            _log.warning(
                "ACTIONS_ONLY: the integration registers no action executor, so no run is "
                "taken; register one with ocean.register_action_executor"
            )
        return
    catalog = actions_of(store)
    integration.attach_actions(ActionRuns(catalog))
    if listener != "ACTIONS_ONLY" and not settings.actions_processor.enabled:
        _log.info(
            "actions: executors are registered but not run under %s; set "
            "OCEAN__ACTIONS_PROCESSOR__ENABLED=true to run them alongside resyncs",
            listener,
        )
        return
    manager = ExecutionManager(
        catalog, sail.owner.identifier, integration.executors, manager_settings(settings)
    )
    await manager.run(stop)
