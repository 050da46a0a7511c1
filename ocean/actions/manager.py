"""The execution manager: takes this integration's action runs (and, from Port, its
workflow node runs) from the catalog and runs them with the executors registered for them.

It polls (``claim_runs``, then ``claim_node_runs``, or the other way round: the first kind
alternates from poll to poll, as the original's) for runs of its installation, at most
``runs_buffer_high_watermark`` waiting at a time, leaving out an action (a workflow node)
that holds more than ``max_runs_buffer_util_pct_per_action`` % of them. A workflow node run
goes to the executor of its node's ``integrationInvocationType`` and is reported on its own
routes (:mod:`ocean.actions.run`); only Port has them, and a failed claim of them (a Port
without workflows) is logged once and leaves the action runs running. A run whose action
has no executor is acknowledged and failed, saying so. Runs with the same partition key
(the executor's :meth:`~ocean.actions.Executor.partition_key`) run one after another in
claim order, the others alongside, ``workers_count`` at a time. Before a run starts, an
executor near its rate limit is waited for (a log line on the run each time, at most 10 s
per wait); then the run is acknowledged with a lease of the visibility timeout: the one atomic step that makes
it this replica's (another replica's acknowledgement first: skipped). While it executes its
lease is renewed every third of the visibility timeout, and the renewal is stopped before
the run is reported; a replica killed mid-run lets the lease lapse and the run is failed by
the next claim (:mod:`ocean.actions.catalog`); a node run holds no lease (Port has none),
and as a node run cannot be read back, what its executor reported is what the run
remembers (:attr:`~ocean.actions.run.Run.status`). A run's last line is only a line:
one that cannot be sent is a warning, and the run is ended all the same, by a PATCH sent
again when it fails (:func:`~ocean.actions.run.ending`). On stop, polling ends and
running runs get ``max_wait_seconds_before_shutdown`` to finish; those still running are
failed, saying so.

The manager outlives what goes wrong with one run (its error is logged with the run's id;
a run claimed but not acknowledged is claimed again when the claim lapses) and with one
poll (polled again, waiting twice as long after each failure in a row, at most
``MAX_POLL_BACKOFF_SECONDS``). Only a refusal of its credential ends it, as retrying
cannot help: a claim the catalog refuses (403: the credential may not take these runs)
raises :class:`~ocean.errors.ForbiddenError`; a token request it refuses (401: the client
id and secret are not accepted; 403: they may not sign in) raises
:class:`~ocean.actions.catalog.CredentialRefusedError`, each saying what to check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import Counter, deque
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from ocean.actions.catalog import ActionsCatalog, CredentialRefusedError
from ocean.actions.executor import Executor
from ocean.actions.run import ACTION, IN_PROGRESS, WORKFLOW_NODE, Run
from ocean.errors import (
    ActionError,
    ActionFailedError,
    ForbiddenError,
    RunAlreadyAcknowledgedError,
)
from ocean.extract.trace import describe_error, source_folder, with_frames

_log = logging.getLogger(__name__)
RATE_LIMIT_MAX_BACKOFF_SECONDS = 10.0
MAX_POLL_BACKOFF_SECONDS = 60.0
"""The longest wait between polls that fail in a row (the poll interval, if longer)."""


@dataclass(frozen=True)
class ManagerSettings:
    """The original's ``OCEAN__ACTIONS_PROCESSOR__*`` settings (and its shutdown wait)."""

    workers_count: int = 3
    runs_buffer_high_watermark: int = 300
    poll_check_interval_seconds: float = 10.0
    visibility_timeout_ms: int = 60_000
    max_runs_buffer_util_pct_per_action: int | None = 30
    max_wait_seconds_before_shutdown: float = 30.0

    @property
    def visibility_seconds(self) -> float:
        return self.visibility_timeout_ms / 1000

    def per_action_cap(self) -> int | None:
        """How many runs of one action may wait at once (None: no cap)."""
        pct = self.max_runs_buffer_util_pct_per_action
        return None if pct is None else max(1, self.runs_buffer_high_watermark * pct // 100)


class ExecutionManager:
    """Runs the action runs of ``installation`` (the integration's identifier) found in
    ``catalog`` with ``executors`` (by ``ACTION_NAME``), until :meth:`run`'s ``stop``."""

    def __init__(
        self,
        catalog: ActionsCatalog,
        installation: str,
        executors: Mapping[str, Executor],
        settings: ManagerSettings | None = None,
    ) -> None:
        self.catalog, self.installation = catalog, installation
        self.executors = dict(executors)
        self.settings = settings or ManagerSettings()
        self.runner = f"{socket.gethostname()} pid {os.getpid()}"
        self._slots = asyncio.Semaphore(max(1, self.settings.workers_count))
        self._held: set[str] = set()
        """Runs claimed and not yet done here (queued or executing)."""
        self._per_action: Counter[tuple[str, str]] = Counter()
        """Runs held per (kind, action or node)."""
        self._nodes_first = False
        """Which kind of run the next poll claims first (they alternate)."""
        self._node_claim_failure: str | None = None
        """How the last workflow claim failed (said once until one succeeds)."""
        self._partitions: dict[str, deque[tuple[Run, Executor]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Poll and run until ``stop`` is set, then let running runs finish (bounded);
        :class:`ForbiddenError` when the catalog refuses this credential the runs,
        :class:`CredentialRefusedError` when it refuses the credential a token."""
        _log.info("actions: running %s for %s", sorted(self.executors), self.installation)
        failures = 0
        try:
            while not stop.is_set():
                try:
                    claimed, failures = await self.poll_once(), 0
                except (ForbiddenError, CredentialRefusedError):
                    raise
                except Exception as error:
                    failures += 1
                    wait = poll_backoff(self.settings.poll_check_interval_seconds, failures)
                    _log.warning(
                        "actions: claiming runs of %s failed (%s); polling again in %g s",
                        self.installation, describe_error(error), wait,
                    )  # fmt: skip
                    await _idle(stop, wait)
                    continue
                if not claimed:
                    await _idle(stop, self.settings.poll_check_interval_seconds)
        finally:
            await self._drain()

    async def poll_once(self) -> int:
        """Claim what there is room for and start or queue it; how many were claimed. A
        failed claim raises (a refused one :class:`ForbiddenError`, a refused token
        :class:`CredentialRefusedError`); a run that cannot be taken is logged and left to
        be claimed again."""
        room = self.settings.runs_buffer_high_watermark - len(self._held)
        if room <= 0:
            return 0
        kinds = (WORKFLOW_NODE, ACTION) if self._nodes_first else (ACTION, WORKFLOW_NODE)
        self._nodes_first = not self._nodes_first
        taken = 0
        for kind in kinds:
            if room - taken <= 0:
                break
            claim = self._claim_nodes if kind == WORKFLOW_NODE else self._claim_actions
            bodies = await claim(room - taken)
            for body in bodies:
                await self._take(body, kind)
            taken += len(bodies)
        return taken

    async def _claim_actions(self, room: int) -> list[dict[str, Any]]:
        try:
            return await self.catalog.claim_runs(
                self.installation, room, self.settings.visibility_seconds, self._saturated(ACTION)
            )
        except CredentialRefusedError as error:
            raise CredentialRefusedError(
                refused_token(self.installation, error), error.status
            ) from error
        except ActionError as error:
            if error.status != 403:
                raise
            raise ForbiddenError(
                f"the catalog refused to hand out the action runs of {self.installation!r} "
                f"(403), so this integration runs none: {error}. Give Ocean a credential "
                "that may (OCEAN__PORT__CLIENT_ID/_SECRET: one of this integration, `ocean "
                f"catalog credentials create NAME --role integration --integration "
                f"{self.installation}`, or an admin one) and restart it"
            ) from error

    async def _claim_nodes(self, room: int) -> list[dict[str, Any]]:
        """Workflow node runs; a failed claim (other than a refused token) is none, said
        once until a claim succeeds again, as action runs must go on without them."""
        try:
            bodies = await self.catalog.claim_node_runs(
                self.installation, room, self.settings.visibility_seconds,
                self._saturated(WORKFLOW_NODE),
            )  # fmt: skip
        except CredentialRefusedError as error:
            raise CredentialRefusedError(
                refused_token(self.installation, error), error.status
            ) from error
        except Exception as error:
            failure = describe_error(error)
            level = logging.DEBUG if failure == self._node_claim_failure else logging.WARNING
            self._node_claim_failure = failure
            _log.log(
                level,
                "actions: claiming the workflow node runs of %s failed (%s); action runs go "
                "on, and the claim is tried again every poll", self.installation, failure,
            )  # fmt: skip
            return []
        self._node_claim_failure = None
        return bodies

    async def _take(self, body: dict[str, Any], kind: str = ACTION) -> None:
        """Start or queue the claimed run ``body``; whatever fails is logged with its id."""
        try:
            of = Run.of_node if kind == WORKFLOW_NODE else Run.of
            await self._accept(of(body, self.catalog))
        except Exception as error:
            named = (body.get("id") or body.get("identifier")) if isinstance(body, dict) else body
            _log.error(
                "actions: taking run %s failed (%s); it was claimed, not acknowledged, so it "
                "is claimed again once the claim lapses", named, describe_error(error),
                exc_info=error,
            )  # fmt: skip

    def _saturated(self, kind: str) -> list[str]:
        """The actions (node uids) of ``kind`` that hold their share of the buffer."""
        cap = self.settings.per_action_cap()
        if cap is None:
            return []
        held = self._per_action.items()
        return sorted(name for (of, name), count in held if of == kind and count >= cap)

    async def _accept(self, run: Run) -> None:
        if run.id in self._held:
            return
        executor = self.executors.get(run.action_type)
        if executor is None:
            await self._refuse(run)
            return
        try:
            key = await executor.partition_key(run)
        except Exception as error:
            _log.warning("actions: partition key of run %s failed: %s", run.id, error)
            return  # claimed, not acknowledged: retried when the claim lapses
        self._held.add(run.id)
        self._per_action[run.kind, run.action] += 1
        if key is None:
            self._spawn(self._execute(run, executor))
            return
        queue_name = f"{run.action_type}:{key}"
        queue = self._partitions.get(queue_name)
        if queue is not None:
            queue.append((run, executor))
            return
        self._partitions[queue_name] = deque([(run, executor)])
        self._spawn(self._drain_partition(queue_name))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain_partition(self, name: str) -> None:
        queue = self._partitions[name]
        try:
            while queue:
                run, executor = queue.popleft()
                await self._execute(run, executor)
        finally:
            del self._partitions[name]

    async def _refuse(self, run: Run) -> None:
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

    async def _execute(self, run: Run, executor: Executor) -> None:
        try:
            async with self._slots:
                if await self._wait_for_rate_limit(run, executor) and await self._ack(run):
                    await self._perform(run, executor)
        finally:
            self._held.discard(run.id)
            self._per_action[run.kind, run.action] -= 1
            if self._per_action[run.kind, run.action] <= 0:
                del self._per_action[run.kind, run.action]

    async def _wait_for_rate_limit(self, run: Run, executor: Executor) -> bool:
        """Whether to go on (False: stopping, or the executor failed to say)."""
        while not self._stopping.is_set():
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
                await run.log(message, "WARNING")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), wait)
        return False

    async def _acknowledge(self, run: Run) -> None:
        """Take ``run`` for good: an action run with a lease, a node run without (Port's)."""
        if run.is_node:
            await self.catalog.ack_node_run(run.id)
        else:
            await self.catalog.ack_run(run.id, self.settings.visibility_seconds)

    async def _ack(self, run: Run) -> bool:
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
            wait = self.settings.max_wait_seconds_before_shutdown
            message = f"Ocean stopped while the run was executing (it had {wait:g} s to end)"
            await asyncio.shield(self._end(run, False, message))
            raise
        finally:
            renewing.cancel()  # whichever way it ends
        await _stopped(renewing)  # before reporting: no renewal is sent after the report
        if failure is None:
            await self._settle(run)
        else:
            await self._end(run, False, failure)

    async def _performed(self, run: Run, executor: Executor) -> str | None:
        """Run ``executor`` on ``run``: None when it returned, else the failure's message."""
        try:
            await run.log(f"Started by {self.installation} on {self.runner}")
        except Exception as error:  # only a log line: the run goes on
            _log.warning("actions: logging the start of run %s failed: %s", run.id, error)
        try:
            await executor.perform(run)
        except ActionFailedError as error:
            return str(error)
        except Exception as error:
            _log.warning("actions: run %s failed", run.id, exc_info=error)
            folder = source_folder(type(executor))
            return with_frames(f"Failed to execute run: {describe_error(error)}", error, folder)
        return None

    async def _renew(self, run: Run) -> None:
        if run.is_node:
            return  # it holds no lease
        every = max(self.settings.visibility_seconds / 3, 0.05)
        while True:
            await asyncio.sleep(every)
            try:
                await self.catalog.lease_run(run.id, self.settings.visibility_seconds)
            except Exception as error:
                _log.warning("actions: renewing the lease of run %s failed: %s", run.id, error)

    async def _settle(self, run: Run) -> None:
        """After ``perform`` returned: SUCCESS, unless it ended or waits for an external run."""
        if run.is_node:
            await self._settle_node(run)
            return
        try:
            fresh = await self.catalog.get_run(run.id)
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

    async def _end(self, run: Run, success: bool, message: str) -> None:
        """Log ``message`` (if it can be) and end the run, unless it ended already."""
        try:
            if await self._in_progress(run):
                await run.finish(success, message)
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

    async def _drain(self) -> None:
        self._stopping.set()
        if not self._tasks:
            return
        _, late = await asyncio.wait(
            set(self._tasks), timeout=self.settings.max_wait_seconds_before_shutdown
        )
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)


def refused_token(installation: str, error: CredentialRefusedError) -> str:
    """What to say when the catalog refused the credential a token (``error``)."""
    if error.status == 401:
        what = (
            "the catalog did not accept Ocean's client id and secret when it asked for a "
            "token (POST /auth/access_token answered 401)"
        )
        check = (
            "that they are typed right and that the credential was not revoked, nor its "
            "secret rotated, since Ocean started"
        )
    else:
        what = (
            "the catalog refused Ocean a token for its client id and secret (POST "
            "/auth/access_token answered 403: signing in with them is forbidden)"
        )
        check = (
            "that the credential is still enabled and its permissions allow it to use this "
            "API (in Port: the organization's credentials from Port's UI), and that no proxy "
            "in front of the API refuses it"
        )
    return (
        f"{what}, so Ocean cannot claim the action runs of {installation!r} and runs none. "
        f"Check the credential in OCEAN__PORT__CLIENT_ID and OCEAN__PORT__CLIENT_SECRET: "
        f"{check}; then restart Ocean. The catalog's answer: {error}"
    )


def poll_backoff(interval: float, failures: int) -> float:
    """The wait after ``failures`` failed polls in a row: the poll ``interval``, doubled
    after each, at most ``MAX_POLL_BACKOFF_SECONDS`` (or the interval, if longer)."""
    cap = max(interval, MAX_POLL_BACKOFF_SECONDS)
    return float(min(interval * 2 ** min(max(failures, 1) - 1, 30), cap))


async def _stopped(task: asyncio.Task[None]) -> None:
    """Cancel ``task`` and wait until it ended (a cancellation of the caller still
    propagates)."""
    task.cancel()
    await asyncio.wait([task])


async def _idle(stop: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
