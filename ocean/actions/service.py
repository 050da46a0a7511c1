"""The execution manager of a long-running ``ocean sail``: started beside the listener
when the integration registered executors, under ACTIONS_ONLY or with
``OCEAN__ACTIONS_PROCESSOR__ENABLED``, as the original allows."""

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


def start_actions(sail: Sail, store: Store, stop: asyncio.Event) -> asyncio.Task[None]:
    """:func:`run_actions` as a task that logs an error when it ends by failing (it is
    otherwise only awaited when Ocean stops)."""
    return watched(asyncio.create_task(run_actions(sail, store, stop)), stop)


def watched(task: asyncio.Task[None], stop: asyncio.Event) -> asyncio.Task[None]:
    """``task`` (running action runs until ``stop``), logging an error if it fails."""
    task.add_done_callback(partial(_ended, stop))
    return task


def _ended(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return  # cancelled by the listener, which reports its own failure
    error = task.exception()
    if error is None:
        return  # no runs to take, or stopped
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
