"""How one claimed run is executed and reported, once the execution manager
(:mod:`ocean.actions.manager`) gives it a worker.

Before a run starts, an executor near its rate limit is waited for (a log line on the run
each time, at most :data:`RATE_LIMIT_MAX_BACKOFF_SECONDS` per wait); then the run is
acknowledged with a lease of the visibility timeout: the one atomic step that makes it this
replica's (another replica's acknowledgement first: skipped). While it executes its lease
is renewed every third of the visibility timeout until the run is reported (a read-back or
a PATCH sent again does not outlast it; a renewal landing after the report gives no lease
back); a replica killed mid-run lets the lease lapse and the run is failed by the
next claim (:mod:`ocean.actions.catalog`). A node run holds no lease (Port has none), and as
a node run cannot be read back, what its executor reported is what the run remembers
(:attr:`~ocean.actions.run.Run.status`). A run's last line is only a line: one that cannot
be sent is a warning, and the run is ended all the same, by a PATCH sent again when it
fails (:func:`~ocean.actions.run.ending`). A run stopped while it executes (Ocean stopping)
is failed, saying so. Whatever goes wrong is logged with the run's id, never raised.

All of it happens within the executor's :meth:`~ocean.actions.Executor.run_scope`. A run
that failed is ended with a status label, as the original's: the executor's
(:class:`~ocean.errors.ActionFailedError`'s ``status_label``), else
:data:`DEFAULT_FAILURE_STATUS_LABEL`; its last line is the original's, the error's message
alone (``Failed to execute run: <message>`` for an unexpected error, whose traceback goes
to Ocean's own log only: a run's log is shown to Port's users). A wait for the rate limit
labels the run :data:`RATE_LIMITED_STATUS_LABEL`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable

from ocean.actions.catalog import ActionsCatalog
from ocean.actions.executor import Executor
from ocean.actions.run import IN_PROGRESS, Run, ending
from ocean.errors import ActionError, ActionFailedError, RunAlreadyAcknowledgedError
from ocean.extract.trace import describe_error

_log = logging.getLogger(__name__)
RATE_LIMIT_MAX_BACKOFF_SECONDS = 10.0
"""The longest wait for an executor near its rate limit before it is asked again."""
DEFAULT_FAILURE_STATUS_LABEL = "Execution failed"
"""The status label of a run that failed, unless its executor gave one (the original's)."""
RATE_LIMITED_STATUS_LABEL = "Rate limited"
"""The status label of a run waiting for its executor's rate limit (the original's)."""


class Execution:
    """Executes runs of ``installation`` from ``catalog``: each acknowledged with a lease
    of ``visibility_seconds``; one stopped while it executes was given ``shutdown_seconds``
    to end; ``stopping`` (set) stops waiting for a rate limit."""

    def __init__(
        self,
        catalog: ActionsCatalog,
        installation: str,
        *,
        visibility_seconds: float,
        shutdown_seconds: float,
        stopping: asyncio.Event,
        taking: Callable[[Run], None] | None = None,
    ) -> None:
        self.catalog, self.installation = catalog, installation
        self.visibility_seconds, self.shutdown_seconds = visibility_seconds, shutdown_seconds
        self.stopping = stopping
        self.taking = taking
        """Told just before a run is acknowledged (the manager stops keeping its claim)."""
        self.runner = f"{socket.gethostname()} pid {os.getpid()}"

    async def execute(self, run: Run, executor: Executor) -> bool:
        """Wait for ``executor``'s rate limit, take ``run`` and execute it, reporting how
        it ended (skipped when another runner took it first), all within the executor's
        ``run_scope``; whether it was taken here (False: not acknowledged, it is claimed
        again once its claim lapses)."""
        taken = False
        try:
            async with executor.run_scope(run):
                if await self._wait_for_rate_limit(run, executor) and await self._ack(run):
                    taken = True
                    await self._perform(run, executor)
        except Exception as error:  # entering or leaving the scope: nothing else raises
            _log.error("actions: the run scope of run %s failed: %s", run.id,
                       describe_error(error), exc_info=error)  # fmt: skip
        return taken

    async def refuse(self, run: Run) -> None:
        """Take ``run`` and fail it: no executor is registered for its action."""
        message = (
            f"No executor is registered for the action type {run.action_type!r} in "
            f"{self.installation}; register one with ocean.register_action_executor"
        )
        _log.warning("actions: %s (run %s)", message, run.id)
        try:
            await self._acknowledge(run)
        except ActionError as error:
            if not isinstance(error, RunAlreadyAcknowledgedError):
                _log.warning("actions: acknowledging run %s failed: %s", run.id, error)
            return
        except Exception as error:
            _log.warning(
                "actions: acknowledging run %s failed (%s); it is refused again once its "
                "claim lapses", run.id, describe_error(error),
            )  # fmt: skip
            return
        await self._end(run, False, message)

    async def _wait_for_rate_limit(self, run: Run, executor: Executor) -> bool:
        """Whether to go on (False: stopping, or the executor failed to say)."""
        while not self.stopping.is_set():
            try:
                delay = await executor.rate_limit_delay(run)
            except Exception as error:
                _log.warning("actions: rate limit check of run %s failed: %s", run.id, error)
                return False  # not acknowledged: retried when the claim lapses
            if delay <= 0:
                return True
            wait = min(delay, RATE_LIMIT_MAX_BACKOFF_SECONDS)
            message = f"Delayed: the rate limit is close; trying again in {wait:g} s"
            with contextlib.suppress(Exception):
                await run.log(message, "WARNING", status_label=RATE_LIMITED_STATUS_LABEL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), wait)
        return False

    async def _acknowledge(self, run: Run) -> None:
        """Take ``run`` for good: an action run with a lease, a node run without (Port's)."""
        if run.is_node:
            await self.catalog.ack_node_run(run.id)
        else:
            await self.catalog.ack_run(run.id, self.visibility_seconds)

    async def _ack(self, run: Run) -> bool:
        if self.taking is not None:
            self.taking(run)
        try:
            await self._acknowledge(run)
        except RunAlreadyAcknowledgedError:
            _log.info("actions: run %s was taken by another runner; skipped", run.id)
            return False
        except Exception as error:
            _log.warning("actions: acknowledging run %s failed: %s", run.id, error)
            return False
        return True

    async def _perform(self, run: Run, executor: Executor) -> None:
        renewing = asyncio.create_task(self._renew(run))
        try:
            failure = await self._performed(run, executor)
        except asyncio.CancelledError:
            await _stopped(renewing)
            wait = self.shutdown_seconds
            message = f"Ocean stopped while the run was executing (it had {wait:g} s to end)"
            await asyncio.shield(self._end(run, False, message))
            raise
        except BaseException:
            renewing.cancel()
            raise
        # Renewed until reported: a report slowed or sent again (a failed read-back, a PATCH
        # retried) must not outlast the lease, or the next claim ends the run FAILURE as if
        # its runner had died. A renewal landing after the report gives no lease back (the
        # catalog renews only a run in progress that still holds one).
        try:
            if failure is None:
                await self._settle(run)
            else:
                await self._end(run, False, *failure)
        finally:
            await _stopped(renewing)

    async def _performed(self, run: Run, executor: Executor) -> tuple[str, str] | None:
        """Run ``executor`` on ``run``: None when it returned, else the failure's message
        and status label."""
        try:
            await run.log(f"Started by {self.installation} on {self.runner}")
        except Exception as error:  # only a log line: the run goes on
            _log.warning("actions: logging the start of run %s failed: %s", run.id, error)
        try:
            await executor.perform(run)
        except ActionFailedError as error:
            _log.warning("actions: run %s failed: %s", run.id, error)
            return str(error), error.status_label or DEFAULT_FAILURE_STATUS_LABEL
        except Exception as error:
            _log.warning("actions: run %s failed", run.id, exc_info=error)  # the traceback
            return f"Failed to execute run: {error}", DEFAULT_FAILURE_STATUS_LABEL
        return None

    async def _renew(self, run: Run) -> None:
        if run.is_node:
            return  # it holds no lease
        every = max(self.visibility_seconds / 3, 0.05)
        while True:
            await asyncio.sleep(every)
            try:
                await self.catalog.lease_run(run.id, self.visibility_seconds)
            except Exception as error:
                _log.warning("actions: renewing the lease of run %s failed: %s", run.id, error)

    async def _settle(self, run: Run) -> None:
        """After ``perform`` returned: SUCCESS, unless it ended or waits for an external run."""
        if run.is_node:
            await self._settle_node(run)
            return
        try:
            try:
                fresh = await ending(run.id, lambda: self.catalog.get_run(run.id), "reading")
            except Exception as error:  # as its executor left it: ended, handed on, or not
                _log.warning("actions: reading run %s back failed (%s); reporting it by what "
                             "its executor did", run.id, describe_error(error))  # fmt: skip
                fresh = dict(run.body, status=run.status, externalRunId=run.external_run_id)
            if fresh is None or fresh.get("status") != IN_PROGRESS:
                return
            external = fresh.get("externalRunId")
            if external:
                await self.catalog.lease_run(run.id, 0)
                await self.catalog.add_log(run.id, f"Waiting for {external} to report its end")
                return
            await run.finish(True, "Run executed successfully")
        except Exception as error:
            _log.error("actions: reporting run %s failed: %s", run.id, describe_error(error))

    async def _settle_node(self, run: Run) -> None:
        """:meth:`_settle` of a node run, by what its executor reported of it."""
        try:
            if not run.in_progress:
                return
            if run.external_run_id:
                await run.log(f"Waiting for {run.external_run_id} to report its end")
                return
            await run.finish(True, "Run executed successfully")
        except Exception as error:
            _log.error("actions: reporting run %s failed: %s", run.id, describe_error(error))

    async def _end(
        self, run: Run, success: bool, message: str, status_label: str | None = None
    ) -> None:
        """Log ``message`` (if it can be) and end the run with ``status_label``, unless it
        ended already."""
        try:
            if await self._in_progress(run):
                await run.finish(success, message, status_label=status_label)
        except Exception as error:
            _log.error("actions: reporting run %s failed: %s", run.id, describe_error(error))

    async def _in_progress(self, run: Run) -> bool:
        """Whether ``run`` has not ended: a node run by what its executor reported, an
        action run as the catalog has it (one it cannot read back is taken to be running,
        as the original ends a failed run without asking)."""
        if run.is_node:
            return run.in_progress
        try:
            fresh = await self.catalog.get_run(run.id)
        except Exception as error:
            _log.warning("actions: reading run %s back failed (%s); ending it all the same",
                         run.id, describe_error(error))  # fmt: skip
            return True
        return fresh is None or fresh.get("status") == IN_PROGRESS


async def _stopped(task: asyncio.Task[None]) -> None:
    """Cancel ``task`` and wait until it ended (a cancellation of the caller still
    propagates)."""
    task.cancel()
    await asyncio.wait([task])
