"""The resync lease's renewals against a real catalog's errors (the rest of the lease:
tests/test_resync_lease.py)."""

from __future__ import annotations

import asyncio

import pytest

from ocean.monitor.report import ResyncReport
from ocean.resync_lease import LeaseTerms, under_lease
from ocean.store.lease import LeaseHolder, LeasesResyncs
from ocean.store.open import open_store
from tests.conftest import TEAMS, Workspace, services
from tests.store.postgres import connected
from tests.test_resync_lease import opened, polling

ME = "my-integration-integration"
HERE = LeaseHolder(id="this-process", host="here", pid=1)
OTHER = LeaseHolder(id="another-process", host="elsewhere", pid=4242)


async def test_a_renewal_the_catalog_refuses_with_a_lock_timeout_is_tried_again(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A catalog whose sessions have a ``lock_timeout`` (set on the role, the database or
    the URL) answers a renewal that waits behind another writer of the lease's row (another
    replica taking it, a fenced deletion's commit) with an error that is not an outage:
    the heartbeat tries again, as after any failed renewal, and the lease is kept. (It
    used to end the heartbeat silently: the lease lapsed while the resync ran on, and
    another replica took it; two resyncs ran at once.)"""
    url = f"{postgres_url}&lock_timeout=200ms"
    terms = LeaseTerms(seconds=3.0, holder=HERE)
    taken: list[bool] = []
    store, other = await open_store(url), await open_store(url)
    assert isinstance(store, LeasesResyncs) and isinstance(other, LeasesResyncs)
    writer = await connected(postgres_url)

    async def work() -> ResyncReport:
        async with writer.transaction():  # another writer holds the row past a renewal
            await writer.execute("SELECT * FROM resync_leases FOR UPDATE")
            await asyncio.sleep(terms.renew_every + 0.6)
        await asyncio.sleep(terms.seconds)  # past the lease, had it not been renewed
        taken.append((await other.acquire_lease(ME, OTHER, 30)).held_by(OTHER))
        return ResyncReport(integration=ME, trigger="manual", started_at="now")

    try:
        report = await under_lease(store, ME, terms, work)
    finally:
        await writer.close()
        await other.close()
        await store.close()

    assert report is not None and taken == [False]
    assert "renewing the resync lease of my-integration-integration failed" in caplog.text


def _failing_update(name: str, when: str) -> str:
    """SQL making updates of ``resync_leases`` fail ``when`` (a DBA's audit trigger)."""
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {when} THEN
        RAISE EXCEPTION 'the audit of resync_leases failed';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER {name} BEFORE UPDATE ON resync_leases FOR EACH ROW EXECUTE FUNCTION {name}();
"""


_RENEWALS_FAIL = "CREATE SEQUENCE renewals_failed;" + _failing_update(
    "renewal_fails", "nextval('renewals_failed') <= 2"
)


async def test_a_renewal_failing_with_any_error_of_the_catalog_is_tried_again(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever a renewal raises (here an error of the server that Ocean does not know
    as an outage: a trigger of the catalog's administrator failing twice), the heartbeat
    tries again and the lease is kept. (An error outside those it expected ended the
    heartbeat unseen, the resync running on without a lease another then took.)"""
    terms = LeaseTerms(seconds=3.0, holder=HERE)
    store, other = await open_store(postgres_url), await open_store(postgres_url)
    assert isinstance(store, LeasesResyncs) and isinstance(other, LeasesResyncs)
    taken: list[bool] = []

    async def work() -> ResyncReport:
        await asyncio.sleep(terms.seconds + 1.0)  # past the lease, had it not been renewed
        taken.append((await other.acquire_lease(ME, OTHER, 30)).held_by(OTHER))
        return ResyncReport(integration=ME, trigger="manual", started_at="now")

    try:
        await store.list_runs()  # (the tables made)
        admin = await connected(postgres_url)
        await admin.execute(_RENEWALS_FAIL)
        await admin.close()
        report = await under_lease(store, ME, terms, work)
    finally:
        await other.close()
        await store.close()

    assert report is not None and taken == [False]
    assert "the audit of resync_leases failed" in caplog.text


async def test_a_polling_listener_whose_lease_try_meets_a_lock_timeout_tries_again(
    workspace: Workspace, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The try for the lease waits behind another writer of its row past the sessions'
    ``lock_timeout``: the catalog was busy, not the resync wrong, so the listener tries
    again at its next interval. (It used to take it for a bug: the start resync was
    dropped, not run until the next request; a Kafka listener committed the message.)"""
    url = f"{postgres_url}&lock_timeout=200ms"
    workspace.set_data(services=[services(2)], teams=TEAMS)
    async with opened(url) as store:  # the lease's row, held once, released
        await store.acquire_lease(ME, OTHER, 30)
        await store.release_lease(ME, OTHER, completed=False)
    writer = await connected(postgres_url)
    try:
        async with polling(workspace, url) as reports:
            async with writer.transaction():
                await writer.execute("SELECT * FROM resync_leases FOR UPDATE")
                for _ in range(200):
                    if "lock timeout" in caplog.text:
                        break
                    await asyncio.sleep(0.05)
            for _ in range(200):
                if reports:
                    break
                await asyncio.sleep(0.05)
    finally:
        await writer.close()

    assert "lock timeout" in caplog.text
    assert [(report.trigger, report.status) for report in reports] == [("start", "completed")]


_RELEASES_FAIL = _failing_update("release_fails", "NEW.holder IS NULL")


async def test_a_lease_the_catalog_fails_to_give_up_does_not_cost_the_resync_its_report(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Giving the lease up fails with an error Ocean does not know (a trigger of the
    catalog's administrator): the resync's report stands, the failure is logged, and the
    lease lapses by itself. (The error replaced the completed report.)"""
    terms = LeaseTerms(seconds=3.0, holder=HERE)
    store = await open_store(postgres_url)
    assert isinstance(store, LeasesResyncs)

    async def work() -> ResyncReport:
        return ResyncReport(integration=ME, trigger="manual", started_at="now")

    try:
        await store.list_runs()  # (the tables made)
        admin = await connected(postgres_url)
        await admin.execute(_RELEASES_FAIL)
        await admin.close()
        report = await under_lease(store, ME, terms, work)
    finally:
        await store.close()

    assert report is not None and report.trigger == "manual"
    assert "could not give up the resync lease" in caplog.text
