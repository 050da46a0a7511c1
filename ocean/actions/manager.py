"""The execution manager: takes this integration's action runs (and, from Port, its
workflow node runs) from the catalog and runs them with the executors registered for them.

It polls (:mod:`ocean.actions.claims`) for runs of its installation, at most
``runs_buffer_high_watermark`` waiting at a time, leaving out an action (a workflow node)
that holds more than ``max_runs_buffer_util_pct_per_action`` % of them. A workflow node run
goes to the executor of its node's ``integrationInvocationType`` and is reported on its own
routes (:mod:`ocean.actions.run`). A run whose action has no executor is acknowledged and
failed, saying so. Runs with the same partition key (the executor's
:meth:`~ocean.actions.Executor.partition_key`) run one after another in claim order, the
others alongside, ``workers_count`` at a time, each as :mod:`ocean.actions.execution` says
(rate limit, acknowledgement and lease, report). On stop, polling ends and running runs get
``max_wait_seconds_before_shutdown`` to finish; those still running are failed, saying so.

The manager outlives what goes wrong with one run (its error is logged with the run's id;
a run claimed but not acknowledged is claimed again when the claim lapses) and with one
poll (polled again, waiting twice as long after each failure in a row, at most
:data:`~ocean.actions.claims.MAX_POLL_BACKOFF_SECONDS`). Only a refusal of its credential ends it,
:data:`REFUSALS_BEFORE_STOP` in a row, as retrying then cannot help
(:class:`~ocean.errors.ForbiddenError`, :class:`~ocean.actions.catalog.CredentialRefusedError`,
each saying what to check).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from ocean.actions.catalog import ActionsCatalog, CredentialRefusedError
from ocean.actions.claims import Claims, poll_backoff
from ocean.actions.execution import Execution
from ocean.actions.executor import Executor
from ocean.actions.run import ACTION, WORKFLOW_NODE, Run
from ocean.errors import ForbiddenError
from ocean.extract.trace import describe_error

_log = logging.getLogger(__name__)
REFUSALS_BEFORE_STOP = 3
"""Refusals in a row (of the claim, or of the credential's token) before the manager stops:
one may pass (a proxy's hiccup, a permission still spreading); three, spaced as failed
polls are, do not."""


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
        self.settings = settings = settings or ManagerSettings()
        self._claims = Claims(catalog, installation, settings.visibility_seconds)
        self._stopping = asyncio.Event()
        self._execution = Execution(
            catalog, installation, visibility_seconds=settings.visibility_seconds,
            shutdown_seconds=settings.max_wait_seconds_before_shutdown, stopping=self._stopping,
            taking=self._taking,
        )  # fmt: skip
        self._slots = asyncio.Semaphore(max(1, settings.workers_count))
        self._held: set[str] = set()
        """Runs claimed and not yet done here (queued or executing)."""
        self._unacknowledged: dict[str, Run] = {}
        """Runs held here and not yet acknowledged: their claims are kept (:meth:`_keep_claims`)."""
        self._per_action: Counter[tuple[str, str]] = Counter()
        """Runs held per (kind, action or node)."""
        self._partitions: dict[str, deque[tuple[Run, Executor]]] = {}
        self._leasing = asyncio.Lock()
        """Held while claims are kept: runs let go behind a failed run are renewed in their
        order, with no renewal landing between or after them."""
        self._tasks: set[asyncio.Task[object]] = set()
        self._failures = self._refusals = 0
        """Polls failed in a row; of those, refused (their credential)."""

    async def run(self, stop: asyncio.Event) -> None:
        """Poll and run until ``stop`` is set, then let running runs finish (bounded);
        :class:`ForbiddenError` when the catalog refuses this credential the runs,
        :class:`CredentialRefusedError` when it refuses the credential a token, each
        :data:`REFUSALS_BEFORE_STOP` polls in a row."""
        _log.info("actions: running %s for %s", sorted(self.executors), self.installation)
        self._failures = self._refusals = 0
        keeping = asyncio.create_task(self._keep_claims())
        try:
            while not stop.is_set():
                await self._poll(stop)
        finally:
            try:
                await self._drain()
            finally:
                keeping.cancel()
                await asyncio.wait([keeping])

    async def _poll(self, stop: asyncio.Event) -> None:
        """One poll and the wait after it: the poll interval when it claimed nothing, a
        longer one after each failure in a row."""
        try:
            claimed = await self.poll_once()
        except (ForbiddenError, CredentialRefusedError) as error:
            self._refusals += 1
            if self._refusals >= REFUSALS_BEFORE_STOP:
                raise
            self._failures += 1
            await self._failed(stop, f"{error} (refusal {self._refusals} in a row)")
            return
        except Exception as error:
            self._failures += 1
            self._refusals = 0  # (refusals in a row: another failure between breaks them)
            await self._failed(stop, describe_error(error))
            return
        self._failures = self._refusals = 0
        if not claimed:
            await _idle(stop, self.settings.poll_check_interval_seconds)

    async def _failed(self, stop: asyncio.Event, why: str) -> None:
        """Say why the poll failed, then wait the longer the more failed in a row."""
        wait = poll_backoff(self.settings.poll_check_interval_seconds, self._failures)
        _log.warning(
            "actions: claiming runs of %s failed (%s); polling again in %g s",
            self.installation, why, wait,
        )  # fmt: skip
        await _idle(stop, wait)

    async def poll_once(self) -> int:
        """Claim what there is room for and start or queue it; how many were claimed. A
        failed claim raises (a refused one :class:`ForbiddenError`, a refused token
        :class:`CredentialRefusedError`); a run that cannot be taken is logged and left to
        be claimed again."""
        room = self.settings.runs_buffer_high_watermark - len(self._held)
        if room <= 0:
            return 0
        taken = 0
        for kind in self._claims.next_order():
            if room - taken <= 0:
                break
            bodies = await self._claims.claim(kind, room - taken, self._saturated(kind))
            for body in bodies:
                await self._take(body, kind)
            taken += len(bodies)
        return taken

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
            await self._execution.refuse(run)
            return
        try:
            key = await executor.partition_key(run)
        except Exception as error:
            _log.warning("actions: partition key of run %s failed: %s", run.id, error)
            return  # claimed, not acknowledged: retried when the claim lapses
        self._held.add(run.id)
        self._unacknowledged[run.id] = run
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

    def _spawn(self, work: Coroutine[Any, Any, object]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain_partition(self, name: str) -> None:
        """The partition's runs one after another. A run not taken at its turn (its
        acknowledgement failed, say) is claimed again once its claim lapses: the runs
        queued behind it are let go too, to be claimed again after it, in their order."""
        queue = self._partitions[name]
        try:
            while queue:
                run, executor = queue.popleft()
                if not await self._execute(run, executor):
                    await self._let_go_all(queue)
        finally:
            del self._partitions[name]

    async def _execute(self, run: Run, executor: Executor) -> bool:
        try:
            async with self._slots:
                return await self._execution.execute(run, executor)
        finally:
            self._let_go(run)

    async def _let_go_all(self, queue: deque[tuple[Run, Executor]]) -> None:
        """The runs of ``queue`` are no longer held here, to be claimed again in order: their
        claims are kept once more one after another, so that each lapses after the one
        before it (a renewal that was under way could have kept a later one's longer). At a
        failed renewal the rest are left to lapse as they stand."""
        runs = [run for run, _ in queue]
        queue.clear()
        async with self._leasing:
            for run in runs:
                self._let_go(run)
            for run in runs:  # (a node's claim Port keeps as it stands: it lapses first)
                if not run.is_node and not await self._keep_claim(run):
                    break

    async def _keep_claim(self, run: Run) -> bool:
        try:
            await self.catalog.lease_run(run.id, self.settings.visibility_seconds)
        except Exception as error:
            _log.debug("actions: keeping the claim of run %s failed: %s", run.id, error)
            return False
        return True

    def _let_go(self, run: Run) -> None:
        """``run`` is no longer held here (done, or left to be claimed again)."""
        self._held.discard(run.id)
        self._unacknowledged.pop(run.id, None)
        self._per_action[run.kind, run.action] -= 1
        if self._per_action[run.kind, run.action] <= 0:
            del self._per_action[run.kind, run.action]

    def _taking(self, run: Run) -> None:
        """``run`` is about to be acknowledged: its lease, not its claim, holds it now."""
        self._unacknowledged.pop(run.id, None)

    async def _keep_claims(self) -> None:
        """Every third of the visibility timeout, keep the claims of the runs held here and
        not yet acknowledged (queued behind a run of their partition, or waiting for a
        worker or a rate limit), so that no other replica claims one meanwhile and runs it
        beside, or before, the runs its partition runs here first. Where the catalog keeps
        no such claims (Port), a claim lapses as before; a failed renewal is tried again."""
        every = max(self.settings.visibility_seconds / 3, 0.05)
        while True:
            await asyncio.sleep(every)
            async with self._leasing:
                await self._keep_claims_once()

    async def _keep_claims_once(self) -> None:
        for run in list(self._unacknowledged.values()):
            if not run.is_node and run.id in self._unacknowledged:
                await self._keep_claim(run)

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


async def _idle(stop: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
