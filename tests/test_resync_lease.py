"""One resync at a time per integration: real resyncs (SQLite and PostgreSQL) under the
catalog's lease, in one process (two processes: tests/reliability/test_concurrent_sails.py)."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

from ocean.errors import LeaseHeldError, LeaseLostError
from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.listen.polling import poll
from ocean.monitor.report import ResyncReport
from ocean.resync_lease import LeaseTerms, Standby, under_lease
from ocean.sail import Sail, prepare
from ocean.store.base import Store
from ocean.store.lease import LeaseHolder, LeasesResyncs
from ocean.store.open import open_store
from ocean.store.postgres.store import PostgresStore
from ocean.store.sqlite.store import SQLiteStore
from tests.conftest import TEAMS, Workspace, services
from tests.store.postgres import connected, until_waiting

OTHER = LeaseHolder(id="another-process", host="elsewhere", pid=4242)
ME = "my-integration-integration"


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request: pytest.FixtureRequest, workspace: Workspace, postgres_url: str) -> str:
    return str(workspace.catalog) if request.param == "sqlite" else postgres_url


@asynccontextmanager
async def opened(catalog: str) -> AsyncIterator[LeasesResyncs]:
    store = await open_store(catalog)
    assert isinstance(store, LeasesResyncs)
    try:
        yield store
    finally:
        await store.close()


def prepared(workspace: Workspace) -> Sail:
    return prepare(workspace.folder, environ=workspace.environ, overrides={})


async def sail(workspace: Workspace, catalog: str, sail: Sail | None = None) -> ResyncReport:
    store = await open_store(catalog)
    try:
        return await run_once(sail or prepared(workspace), store, SilentObserver())
    finally:
        await store.close()


async def runs(catalog: str) -> list[tuple[str, str]]:
    store = await open_store(catalog)
    try:
        return [(run.trigger, run.status) for run in reversed(await store.list_runs())]
    finally:
        await store.close()


async def test_of_two_resyncs_at_once_one_completes_and_the_other_is_refused_writing_nothing(
    workspace: Workspace, catalog: str
) -> None:
    workspace.set_data(services=[services(2), services(2, start=2)], teams=TEAMS, slow=0.3)

    results = await asyncio.gather(
        sail(workspace, catalog), sail(workspace, catalog), return_exceptions=True
    )

    reports = [r for r in results if isinstance(r, ResyncReport)]
    refused = [r for r in results if isinstance(r, LeaseHeldError)]
    assert len(reports) == 1 and len(refused) == 1, results
    assert reports[0].status == "completed"
    message = str(refused[0])
    assert f"another resync of integration {ME!r} is running on this catalog" in message
    assert f"host {socket.gethostname()}, pid {os.getpid()}, since " in message
    assert "wrote nothing" in message and "OCEAN__RESYNC_LEASE_WAIT_SECONDS" in message
    assert await runs(catalog) == [("manual", "completed")]
    assert len(await workspace.entities("service", catalog)) == 4


async def test_a_lease_left_by_a_dead_holder_refuses_until_it_lapses_then_is_taken_over(
    workspace: Workspace, catalog: str
) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS)
    async with opened(catalog) as store:
        await store.acquire_lease(ME, OTHER, 1)  # never renewed: its holder is gone

    with pytest.raises(LeaseHeldError, match=r"host elsewhere, pid 4242, since .* lease until"):
        await sail(workspace, catalog)
    assert await runs(catalog) == []
    await asyncio.sleep(1.1)

    assert (await sail(workspace, catalog)).status == "completed"
    assert await runs(catalog) == [("manual", "completed")]


async def test_a_lease_left_by_a_process_of_this_host_that_ended_says_it_ended(
    workspace: Workspace, catalog: str
) -> None:
    """As after a resync killed, or stopped by a full disk: its process is gone here."""
    workspace.set_data(services=[services(2)], teams=TEAMS)
    ended = await asyncio.create_subprocess_exec("true")
    await ended.wait()
    here = LeaseHolder(id="ended", host=socket.gethostname(), pid=ended.pid)
    async with opened(catalog) as store:
        await store.acquire_lease(ME, here, 60)

    with pytest.raises(LeaseHeldError) as refused:
        await sail(workspace, catalog)

    said = str(refused.value)
    assert f"No process {ended.pid} runs on this host" in said, said
    assert "ended without giving its lease up" in said and "is running" not in said


async def test_a_resync_waits_for_the_holder_up_to_the_setting(
    workspace: Workspace, catalog: str
) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS)
    workspace.environ["OCEAN__RESYNC_LEASE_WAIT_SECONDS"] = "10"
    async with opened(catalog) as store:
        await store.acquire_lease(ME, OTHER, 30)

        async def give_up_soon() -> None:
            await asyncio.sleep(0.6)
            await store.release_lease(ME, OTHER, completed=True)

        report, _ = await asyncio.gather(sail(workspace, catalog), give_up_soon())

    assert report.status == "completed"


async def test_a_resync_that_loses_its_lease_stops_is_recorded_aborted_and_deletes_nothing(
    workspace: Workspace, catalog: str
) -> None:
    workspace.set_data(services=[services(3, start=100)], teams=TEAMS)
    await sail(workspace, catalog)
    pages = [services(1, start=n) for n in range(8)]
    workspace.set_data(services=pages, teams=TEAMS, slow=0.25)
    workspace.environ["OCEAN__RESYNC_LEASE_SECONDS"] = "1"
    running = prepared(workspace)
    resync = asyncio.create_task(sail(workspace, catalog, running))
    await asyncio.sleep(0.5)
    async with opened(catalog) as store:  # it lapsed while the holder was stalled; taken
        await store.release_lease(ME, running.lease_holder, completed=False)
        await store.acquire_lease(ME, OTHER, 30)

    with pytest.raises(LeaseLostError, match="another process took it after it lapsed"):
        await asyncio.wait_for(resync, timeout=10)

    assert await runs(catalog) == [("manual", "completed"), ("manual", "aborted")]
    assert {f"svc-{n}" for n in range(100, 103)} <= set(
        await workspace.entities("service", catalog)
    )


async def test_a_resync_held_up_past_its_lease_deletes_nothing_once_another_took_it(
    workspace: Workspace, catalog: str
) -> None:
    """The lease is taken over while the resync runs, long before its next renewal (a
    process frozen past its lease): its stale deletion is refused in the deleting
    transaction, the run is recorded aborted, and the stale entities stay."""
    workspace.set_data(services=[services(3, start=100)], teams=TEAMS)
    await sail(workspace, catalog)
    pages = [services(1, start=n) for n in range(4)]
    workspace.set_data(services=pages, teams=TEAMS, slow=0.25)
    running = prepared(workspace)  # a 30 s lease: renewed only after 10 s
    resync = asyncio.create_task(sail(workspace, catalog, running))
    await asyncio.sleep(0.4)
    async with opened(catalog) as store:
        await store.release_lease(ME, running.lease_holder, completed=False)
        await store.acquire_lease(ME, OTHER, 30)

    with pytest.raises(LeaseLostError, match="no longer holds its lease"):
        await asyncio.wait_for(resync, timeout=10)

    assert await runs(catalog) == [("manual", "completed"), ("manual", "aborted")]
    kept = set(await workspace.entities("service", catalog))
    assert {f"svc-{n}" for n in range(100, 103)} | {f"svc-{n}" for n in range(4)} <= kept


@asynccontextmanager
async def polling(
    workspace: Workspace, catalog: str, sail: Sail | None = None
) -> AsyncIterator[list[ResyncReport]]:
    workspace.environ["OCEAN__EVENT_LISTENER__INTERVAL"] = "0.05"
    store: Store = await open_store(catalog)
    reports: list[ResyncReport] = []
    stop = asyncio.Event()
    listener = poll(sail or prepared(workspace), store, SilentObserver(), stop=stop,
                    on_report=reports.append)  # fmt: skip
    task = asyncio.create_task(listener)
    try:
        yield reports
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        await store.close()


async def test_a_polling_listener_stands_by_and_runs_once_the_holder_that_refused_it_completes(
    workspace: Workspace, catalog: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The holder may have read its data before the listener's trigger: its completion
    does not make the listener's resync unneeded."""
    workspace.set_data(services=[services(2)], teams=TEAMS)
    async with opened(catalog) as store:
        await store.acquire_lease(ME, OTHER, 30)  # held before the listener starts
        async with polling(workspace, catalog) as reports:
            for _ in range(100):  # a loaded machine may take a while to start the listener
                if "standing by" in caplog.text:
                    break
                await asyncio.sleep(0.05)
            assert reports == []
            assert "standing by, retrying every 0.05 s: another resync" in caplog.text
            await store.release_lease(ME, OTHER, completed=True)
            for _ in range(100):
                if reports:
                    break
                await asyncio.sleep(0.05)

    assert [(report.trigger, report.status) for report in reports] == [("start", "completed")]


ME_HERE = LeaseHolder(id="me", host="here", pid=1)
THIRD = LeaseHolder(id="a-third-process", host="elsewhere", pid=4343)


@pytest.mark.parametrize(
    ("later", "runs_again"),
    [
        pytest.param([], True, id="the-holder-that-refused-it-completes"),
        pytest.param([THIRD], False, id="one-that-took-the-lease-after-the-refusal-completes"),
    ],
)
async def test_a_refused_resync_is_dropped_only_when_one_started_after_the_refusal_completes(
    catalog: str, later: list[LeaseHolder], runs_again: bool
) -> None:
    """The holder that refused it may have read its data before the trigger (a change Kafka
    asked for would be lost); one that took the lease after the refusal read it after."""
    async with opened(catalog) as store:
        standby = await _refused_by_another(store)
        await store.release_lease(ME, OTHER, completed=True)
        for holder in later:
            await asyncio.sleep(0.01)  # times are in milliseconds: a tie counts as earlier
            assert (await store.acquire_lease(ME, holder, 30)).held_by(holder)
            await store.release_lease(ME, holder, completed=True)

        report = await under_lease(store, ME, _TERMS, _done, standby=standby)

    assert (report is not None) is runs_again


async def test_an_incremental_sync_completing_does_not_drop_a_refused_full_resync(
    catalog: str,
) -> None:
    """An incremental sync reads changes only and deletes nothing: a full resync refused
    before it still has to run."""
    async with opened(catalog) as store:
        standby = await _refused_by_another(store)
        await store.release_lease(ME, OTHER, completed=False)
        await asyncio.sleep(0.01)

        async def incremental() -> ResyncReport:
            return ResyncReport(integration=ME, trigger="incremental", started_at="now",
                                status="completed", mode="incremental")  # fmt: skip

        assert await under_lease(store, ME, LeaseTerms(holder=THIRD), incremental) is not None
        report = await under_lease(store, ME, _TERMS, _done, standby=standby)

    assert report is not None


_TERMS = LeaseTerms(holder=ME_HERE)


async def _refused_by_another(store: LeasesResyncs) -> Standby:
    """A request resync refused, OTHER holding the lease: its standby."""
    await store.acquire_lease(ME, OTHER, 30)
    with pytest.raises(LeaseHeldError) as refused:
        await under_lease(store, ME, _TERMS, _done)
    return Standby("request", refused.value.held_since)


async def _done() -> ResyncReport:
    return ResyncReport(integration=ME, trigger="request", started_at="now", status="completed")


async def test_a_polling_listener_sees_a_request_stamped_earlier_than_the_last_one(
    workspace: Workspace,
) -> None:
    """The last request was stamped by a clock that ran ahead (another host, before the
    catalog's clock stamped requests): a new one, stamped earlier, is still a request."""
    workspace.set_data(services=[services(2)], teams=TEAMS)
    catalog = str(workspace.catalog)
    async with opened(catalog) as store:
        await store.request_resync(ME)  # type: ignore[attr-defined]  # makes the catalog
    with sqlite3.connect(catalog) as db:
        db.execute("UPDATE resync_requests SET requested_at = '2099-01-01T00:00:00.000Z'")
    async with polling(workspace, catalog) as reports:
        for _ in range(100):
            if reports:
                break
            await asyncio.sleep(0.05)
        async with opened(catalog) as store:
            await store.request_resync(ME)  # type: ignore[attr-defined]
        for _ in range(100):
            if len(reports) == 2:
                break
            await asyncio.sleep(0.05)

    assert [report.trigger for report in reports] == ["start", "request"]


async def test_a_polling_listener_takes_over_when_the_holder_dies(
    workspace: Workspace, catalog: str
) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS)
    async with opened(catalog) as store:
        await store.acquire_lease(ME, OTHER, 1)  # its holder died mid-resync
    async with polling(workspace, catalog) as reports:
        await asyncio.sleep(0.5)
        assert reports == []
        for _ in range(100):
            if reports:
                break
            await asyncio.sleep(0.05)

    assert [(report.trigger, report.status) for report in reports] == [("start", "completed")]


class _Hangs:
    """The catalog, whose first ``times`` lease renewals never answer (a dropped connection)."""

    def __init__(self, store: LeasesResyncs, times: int = 1) -> None:
        self.store, self.renewals, self.times = store, 0, times

    async def acquire_lease(self, *args: object, **kwargs: object) -> object:
        return await self.store.acquire_lease(*args, **kwargs)  # type: ignore[arg-type]

    async def release_lease(self, *args: object, **kwargs: object) -> None:
        await self.store.release_lease(*args, **kwargs)  # type: ignore[arg-type]

    async def renew_lease(self, *args: object) -> bool:
        self.renewals += 1
        if self.renewals <= self.times:
            await asyncio.Event().wait()
        return await self.store.renew_lease(*args)  # type: ignore[arg-type]


async def test_a_renewal_that_hangs_once_does_not_lose_the_lease(catalog: str) -> None:
    async with opened(catalog) as store:
        hangs = _Hangs(store)
        terms = LeaseTerms(seconds=1.5, holder=OTHER)

        async def work() -> ResyncReport:
            await asyncio.sleep(2.0)  # longer than the lease: renewed twice at least
            return ResyncReport(integration=ME, trigger="manual", started_at="now")

        report = await under_lease(hangs, ME, terms, work)  # type: ignore[arg-type]

    assert report is not None and hangs.renewals >= 3


async def test_a_lease_lost_to_renewals_that_never_answer_says_so(catalog: str) -> None:
    async with opened(catalog) as store:
        hangs = _Hangs(store, times=100)
        terms = LeaseTerms(seconds=0.6, holder=OTHER)

        async def work() -> ResyncReport:
            await asyncio.sleep(5)
            return ResyncReport(integration=ME, trigger="manual", started_at="now")

        with pytest.raises(LeaseLostError, match=r"before it lapsed \(no answer in time\)"):
            await under_lease(hangs, ME, terms, work)  # type: ignore[arg-type]


async def test_a_polling_listener_resyncs_again_after_losing_its_lease(
    workspace: Workspace, catalog: str
) -> None:
    pages = [services(1, start=n) for n in range(8)]
    workspace.set_data(services=pages, teams=TEAMS, slow=0.25)
    workspace.environ["OCEAN__RESYNC_LEASE_SECONDS"] = "1"
    workspace.environ["OCEAN__EVENT_LISTENER__INTERVAL"] = "0.05"
    listening = prepared(workspace)
    async with polling(workspace, catalog, listening) as reports:
        for _ in range(200):  # the resync holds the lease once it is recorded running
            if await runs(catalog) == [("start", "running")]:
                break
            await asyncio.sleep(0.05)
        async with opened(catalog) as store:  # taken while it stalled, by one that then dies
            await store.release_lease(ME, listening.lease_holder, completed=False)
            await store.acquire_lease(ME, OTHER, 1)
        for _ in range(300):
            if reports:
                break
            await asyncio.sleep(0.05)

    assert [(report.trigger, report.status) for report in reports] == [("start", "completed")]
    assert await runs(catalog) == [("start", "aborted"), ("start", "completed")]


class _LeaseWriteHeld:
    """Another writer that the catalog's next lease write waits behind until
    :meth:`release`: SQLite's write lock taken by another connection; on PostgreSQL, a
    commit of the lease's row that waits for a lock the test holds and goes on through a
    cancellation (as a commit the server made just before the cancellation reached it)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._sqlite: sqlite3.Connection | None = None
        self._postgres: asyncpg.Connection | None = None

    async def __aenter__(self) -> _LeaseWriteHeld:
        await self._store.list_runs()  # opened (a child process opens after its start)
        if isinstance(self._store, SQLiteStore):
            self._sqlite = sqlite3.connect(self._store.path, isolation_level=None)
            self._sqlite.execute("BEGIN IMMEDIATE")
            return self
        assert isinstance(self._store, PostgresStore)
        self._postgres = db = await connected(self._store.url)
        await db.execute(_COMMIT_HELD)
        await db.execute("SELECT pg_advisory_lock($1)", _HELD_KEY)
        return self

    async def taking(self) -> None:
        """Until the catalog's lease write waits."""
        if self._postgres is not None:
            await until_waiting(self._postgres)
        else:  # (its busy handler waits, unseen from here)
            await asyncio.sleep(0.3)

    async def release(self) -> None:
        if self._sqlite is not None:
            self._sqlite.execute("COMMIT")
        if self._postgres is not None:
            await self._postgres.execute("SELECT pg_advisory_unlock($1)", _HELD_KEY)

    async def __aexit__(self, *exc: object) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._postgres is not None:
            await self._postgres.close()


_HELD_KEY = 730_194_518
_COMMIT_HELD = f"""
CREATE FUNCTION commit_held() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    LOOP
        BEGIN
            PERFORM pg_advisory_xact_lock({_HELD_KEY});
            RETURN NULL;
        EXCEPTION WHEN query_canceled THEN
            NULL;
        END;
    END LOOP;
END $$;
CREATE CONSTRAINT TRIGGER commit_held AFTER INSERT OR UPDATE ON resync_leases
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION commit_held();
"""


async def test_a_resync_stopped_while_it_takes_the_lease_leaves_the_lease_free(
    store: Store,
) -> None:
    """SIGTERM (or a newer trigger) cancels the resync while the catalog takes its lease:
    the catalog takes it all the same (SQLite's thread or process runs a call to its end;
    PostgreSQL may have committed when the cancellation reaches it), so the resync gives it
    up, rather than leave the other replicas and runs waiting until it lapses."""
    assert isinstance(store, LeasesResyncs)
    worked: list[ResyncReport] = []

    async def work() -> ResyncReport:
        worked.append(await _done())
        return worked[-1]

    async with _LeaseWriteHeld(store) as held:
        taking = asyncio.create_task(under_lease(store, ME, _TERMS, work))
        await held.taking()
        taking.cancel()
        await held.release()
        with pytest.raises(asyncio.CancelledError):
            await taking

    assert worked == []
    assert (await store.acquire_lease(ME, OTHER, 30)).held_by(OTHER)


async def test_a_resync_stopped_while_its_lease_try_hangs_stops_within_the_lease(
    store: Store,
) -> None:
    """The catalog does not answer the lease write (a connection gone silent): the stop
    waits for the try as long as the lease would last at most, then ends (whatever the
    try took lapses), rather than wait for ever."""
    assert isinstance(store, LeasesResyncs)

    async with _LeaseWriteHeld(store) as held:
        taking = asyncio.create_task(under_lease(store, ME, LeaseTerms(seconds=1.0), _done))
        await held.taking()
        taking.cancel()
        with pytest.raises(asyncio.CancelledError):
            async with asyncio.timeout(10):
                await asyncio.shield(taking)
        await held.release()
