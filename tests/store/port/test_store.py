"""The Port API client against a fake Port (httpx.MockTransport)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

from ocean.job import ResyncJob
from ocean.resync import run_resync
from ocean.sail import prepare
from ocean.store.base import Owner, now_iso
from ocean.store.port.http import PortAPIError, PortHTTP
from ocean.store.port.limits import OCEAN_SERVER
from ocean.store.port.store import PortAPIStore
from tests.conftest import TEAMS, Workspace, services
from tests.store.port.fake_port import FakePort

OWNER = Owner("github", "gh-1", "1.2.3")


def _store(port: FakePort, **settings: Any) -> PortAPIStore:
    http = PortHTTP(
        "https://port.test",
        "id",
        "secret",
        user_agent="port-ocean/test",
        transport=port.transport(),
        base_delay=0.001,
        **settings,
    )
    return PortAPIStore(http)


def _entities(count: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"identifier": f"svc-{i}", "blueprint": "service", "title": f"S{i}"} | extra
        for i in range(count)
    ]


@pytest.mark.parametrize(
    ("offered", "calls"),
    [
        pytest.param(None, 3, id="port-20-a-call"),
        pytest.param(OCEAN_SERVER.header(), 1, id="oceans-server-offers-more"),
    ],
)
async def test_bulk_upserts_in_batches_the_catalog_takes_with_the_datasource_user_agent(
    offered: str | None, calls: int
) -> None:
    port = FakePort()
    port.offered = offered
    store = _store(port)

    outcomes = await store.upsert_entities(_entities(45), owner=OWNER, merge=True)  # type: ignore[arg-type]

    bulk = [call for call in port.calls if call[1].endswith("/bulk")]
    assert len(bulk) == calls and all(call[2] == OWNER.datasource for call in bulk)
    assert [o.status for o in outcomes] == ["created"] * 45
    assert port.tokens_issued == 1
    # Only a client that was offered more says it may send more.
    assert set(port.client_headers[1:]) == ({"1"} if offered else {None})
    await store.close()


async def test_unchanged_entities_are_not_sent_again() -> None:
    port = FakePort()
    store = _store(port)
    await store.upsert_entities(_entities(30), owner=OWNER, merge=True)  # type: ignore[arg-type]
    changed = _entities(30)
    changed[3]["title"] = "new"
    before = len(port.calls)

    outcomes = await store.upsert_entities(changed, owner=OWNER, merge=True, only_changed=True)  # type: ignore[arg-type]

    assert [o.status for o in outcomes].count("unchanged") == 29
    assert outcomes[3].status == "updated"
    assert len([c for c in port.calls[before:] if c[1].endswith("/bulk")]) == 1


async def test_per_entity_errors_fail_only_those_entities() -> None:
    port = FakePort()
    port.reject = lambda entity: (
        "stars must be a number" if entity["identifier"] == "svc-2" else None
    )
    store = _store(port)

    outcomes = await store.upsert_entities(_entities(5), owner=OWNER, merge=True)  # type: ignore[arg-type]

    assert [o.ok for o in outcomes] == [True, True, False, True, True]
    assert "invalid: stars must be a number" in (outcomes[2].error or "")


async def test_a_too_large_batch_falls_back_to_single_upserts() -> None:
    port = FakePort()
    port.max_bulk_bytes = 200
    store = _store(port)

    outcomes = await store.upsert_entities(_entities(4), owner=OWNER, merge=True)  # type: ignore[arg-type]

    assert all(o.ok for o in outcomes)
    assert len([c for c in port.calls if c[1] == "/blueprints/service/entities"]) == 4


async def test_rate_limits_and_unavailability_are_retried_and_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A call sent again says so once, at WARNING (a wrong URL or a server down was
    silent for the minutes the retries take), and that Port answers again; a rate limit
    alone is Port's normal pace, not warned of."""
    port = FakePort()
    port.failures["POST bulk"] = []
    port.failures["POST /blueprints/service/entities/bulk"] = [
        (429, {"Retry-After": "0"}),
        (503, {}),
    ]
    store = _store(port)

    with caplog.at_level(logging.INFO, logger="ocean.store.port.http"):
        outcomes = await store.upsert_entities(_entities(2), owner=OWNER, merge=True)  # type: ignore[arg-type]

    assert all(o.ok for o in outcomes)
    assert len([c for c in port.calls if c[1].endswith("/bulk")]) == 3
    said = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in said] == ["WARNING", "INFO"]
    assert "failed with 503" in said[0][1] and "sending it again up to 9 more times" in said[0][1]
    assert said[1][1] == "the Port API at https://port.test answers again"


async def test_errors_name_the_call_the_status_and_ports_answer() -> None:
    port = FakePort()
    port.failures["GET /blueprints"] = [(503, {})] * 10
    store = _store(port, attempts=3)

    with pytest.raises(PortAPIError) as raised:
        await store.list_blueprints()

    assert str(raised.value).startswith("Port API GET /blueprints failed with 503:")
    assert "answered 503" in str(raised.value)
    assert len([c for c in port.calls if c[1] == "/blueprints"]) == 3


async def test_non_idempotent_calls_are_sent_once() -> None:
    port = FakePort()
    port.blueprints["service"] = {"identifier": "service"}
    port.failures["PATCH /blueprints/service"] = [(503, {})]
    store = _store(port)

    with pytest.raises(PortAPIError):
        await store.update_blueprint("service", {"title": "Services"})

    assert len([c for c in port.calls if c[:2] == ("PATCH", "/blueprints/service")]) == 1


async def test_an_expired_token_is_refreshed_once() -> None:
    port = FakePort()
    store = _store(port)
    await store.list_blueprints()
    port.expire_token = True

    await store.list_blueprints()

    assert port.tokens_issued == 2


async def test_ownership_pages_through_datasource_entities_and_deletes_in_hundreds() -> None:
    port = FakePort()
    store = _store(port)
    await store.upsert_entities(_entities(250), owner=OWNER, merge=True)  # type: ignore[arg-type]
    await store.upsert_entities(
        [{"identifier": "x", "blueprint": "service"}], owner=Owner("jira", "j"), merge=True
    )  # type: ignore[list-item]

    owned = set()
    cursor = None
    while True:
        page, cursor = await store.owned_page(OWNER, after=cursor, limit=100)
        owned |= set(page)
        if cursor is None:
            break
    result = await store.delete_entities(sorted(owned))

    assert len(owned) == 250 and ("service", "x") not in owned
    assert len(result.deleted) == 250
    assert len([c for c in port.calls if c[1].endswith("/bulk/entities/delete")]) == 3
    assert list(port.entities) == [("service", "x")]


async def test_a_resync_through_the_client_creates_skips_and_deletes(tmp_path: Any) -> None:
    from ocean.job import SilentObserver
    from ocean.listen.once import run_once
    from ocean.sail import prepare
    from tests.conftest import TEAMS, Workspace, services

    workspace = Workspace(tmp_path)
    port = FakePort()
    store = _store(port)
    workspace.set_data(services=[services(25)], teams=TEAMS)
    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})

    first = await run_once(prepared, store, SilentObserver())
    bulk_calls = len([c for c in port.calls if c[1].endswith("/bulk")])
    again = await run_once(prepared, store, SilentObserver())
    workspace.set_data(services=[services(24)], teams=TEAMS)
    shrunk = await run_once(
        prepare(workspace.folder, environ=workspace.environ, overrides={}), store, SilentObserver()
    )

    assert (first.status, first.total("created")) == ("completed", 27)
    assert (
        again.total("unchanged") == 27
        and len([c for c in port.calls if c[1].endswith("/bulk")]) == bulk_calls
    )
    assert shrunk.deleted == 1 and ("service", "svc-24") not in port.entities


async def test_a_resync_reports_running_then_its_end_with_the_originals_field_names(
    workspace: Workspace,
) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS)
    sail = prepare(workspace.folder, environ=workspace.environ, overrides={})
    port = FakePort()
    store = _store(port)
    await store.create_blueprints(sail.folder.blueprints)
    job = ResyncJob(
        integration=sail.folder.integration,
        mapping=sail.folder.mapping,
        resources=sail.resources,
        store=store,
        owner=sail.owner,
        interval_minutes=60,
    )

    report = await run_resync(job)

    states = port.resync_states
    assert [s["status"] for s in states] == ["running", "completed"]
    assert states[0]["lastResyncStart"] == report.started_at and states[0]["lastResyncEnd"] is None
    assert "lastResyncStart" not in states[1] and states[1]["lastResyncEnd"] == report.ended_at
    assert {s["intervalInMinuets"] for s in states} == {60}
    ended = dt.datetime.fromisoformat(report.ended_at.replace("Z", "+00:00"))
    assert states[1]["nextResync"] == (ended + dt.timedelta(hours=1)).isoformat(
        timespec="milliseconds"
    ).replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("offered", "calls_time"),
    [
        pytest.param(None, False, id="port-this-hosts-clock"),
        pytest.param(OCEAN_SERVER.header(), True, id="an-older-ocean-server-without-the-route"),
    ],
)
async def test_the_start_of_a_resync_falls_back_to_this_hosts_clock(
    offered: str | None, calls_time: bool
) -> None:
    port = FakePort()
    port.offered = offered  # an Ocean server that offers its limits, but has no time route
    store = _store(port)
    try:
        before = now_iso()
        started = await store.now()
    finally:
        await store.close()

    assert before <= started <= now_iso()
    assert (("GET", "/ocean/time") in [(m, p) for m, p, _ in port.calls]) is calls_time


async def test_deleting_the_integration_removes_its_record_once(tmp_path: Any) -> None:
    """``DELETE /v1/integration/{id}`` (``defaults clean --destroy``), against Ocean's own
    catalog server reached as a Port API: True while it had a record, False after."""
    from ocean.store.base import RemovesIntegrations
    from tests.store.port.fake_port import oceans_own_server

    async with oceans_own_server(tmp_path) as (served, transport):
        owner = Owner("my-integration", "my-integration-integration", "1.0.0")
        await served.register_integration(owner, changelog_destination=None, config={})
        assert isinstance(served, RemovesIntegrations)
        deleted = [await served.delete_integration(owner.identifier) for _ in range(2)]
        record = await served.get_integration(owner.identifier)

    assert deleted == [True, False]
    assert record is None
    assert ("DELETE", "/v1/integration/my-integration-integration") in transport.calls
