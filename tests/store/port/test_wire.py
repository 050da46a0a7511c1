"""What the Port API client says about itself: the integration in each call's User-Agent,
the resync an entity write belongs to, and its resync state (at best)."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.store.base import Owner, RunRecord
from ocean.store.port.http import PortHTTP
from ocean.store.port.store import PortAPIStore
from tests.store.port.fake_port import FakePort, client

OWNER = Owner("github", "gh-1", "1.2.3")
AGENT = "port-ocean/github/1.2.3/gh-1"
TEAM: Any = {"identifier": "core", "blueprint": "team", "title": "Core"}
QUERY = {"combinator": "and", "rules": []}


def _run(status: str, trigger: str = "manual") -> RunRecord:
    return RunRecord("gh-1", trigger, "2026-01-01T00:00:00.000Z", None, status, {})


@pytest.mark.parametrize(
    ("call", "agent"),
    [
        pytest.param(("POST", "/auth/access_token"), AGENT, id="token"),
        pytest.param(("GET", "/integration/gh-1"), AGENT, id="integration"),
        pytest.param(("POST", "/blueprints/team/entities/bulk"), f"{AGENT}/exporter", id="upsert"),
        pytest.param(("POST", "/entities/search"), f"{AGENT}/exporter", id="search"),
        pytest.param(
            ("POST", "/blueprints/team/bulk/entities/delete"), f"{AGENT}/exporter", id="delete"
        ),
    ],
)
async def test_each_call_names_the_integration_and_entity_calls_say_exporter(
    call: tuple[str, str], agent: str
) -> None:
    port = FakePort()
    store = client(port)
    await store.register_integration(OWNER, changelog_destination={}, config={})
    await store.upsert_entities([TEAM], owner=OWNER, merge=True)
    await store.search(QUERY)
    await store.delete_entities([("team", "core")])

    assert {ua for method, path, ua in port.calls if (method, path) == call} == {agent}


@pytest.mark.parametrize(
    ("trigger", "event"),
    [
        pytest.param("manual", "resync", id="a-resync-names-itself"),
        pytest.param("incremental", "incremental_resync", id="an-incremental-one-without-id"),
    ],
)
async def test_entity_writes_within_a_resync_carry_its_event(trigger: str, event: str) -> None:
    port = FakePort()
    store = client(port)
    await store.record_run(_run("running", trigger))
    await store.upsert_entities([TEAM], owner=OWNER, merge=True)
    await store.delete_entities([("team", "core")])
    await store.record_run(_run("completed", trigger))
    await store.upsert_entities([TEAM], owner=OWNER, merge=True)  # after it: none

    sent = [p for _, path, p in port.params if path.endswith(("/bulk", "/delete"))]
    events = [{k: v for k, v in p.items() if k.startswith("ocean_info_")} for p in sent]
    assert [e.get("ocean_info_event_type") for e in events] == [event, event, None]
    resync_ids = {e.get("ocean_info_resync_id") for e in events[:2]}
    assert len(resync_ids) == 1 and (None in resync_ids) is (event != "resync")


@pytest.mark.parametrize(
    ("status", "failures", "sends"),
    [
        pytest.param("running", [(503, {})] * 2, 3, id="retried-through-an-outage"),
        pytest.param("completed", [(503, {})] * 2, 3, id="the-final-one-too"),
        pytest.param("completed", [(503, {})] * 3, 3, id="an-outage-longer-than-the-retries"),
        pytest.param("running", [(500, {})], 1, id="an-error"),
        pytest.param("aborted", [(503, {})], 1, id="aborted-sent-once-as-the-process-stops"),
    ],
)
async def test_a_resync_state_report_port_cannot_take_is_logged_not_raised(
    status: str,
    failures: list[tuple[int, dict[str, str]]],
    sends: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = FakePort()
    port.failures["PATCH /integration/gh-1/resync-state"] = list(failures)
    store = client(port, attempts=3)

    await store.record_run(_run(status))

    recorded = [s["status"] for s in port.resync_states]
    assert len([c for c in port.calls if c[1].endswith("/resync-state")]) == sends
    assert recorded == [status] or "could not report the resync's state" in caplog.text
    assert (recorded == [status]) is (len(failures) < sends)


@pytest.mark.parametrize(("mode", "reports"), [("full", 2), ("incremental", 0)])
async def test_only_a_full_resync_reports_the_resync_state(mode: str, reports: int) -> None:
    """The original's incremental sync never touches the resync state: a failed one
    marked the integration's resync failed, and its start replaced the full resync's."""
    port = FakePort()
    store = client(port)

    for status in ("running", "failed"):
        run = RunRecord("gh-1", "manual", "2026-01-01T00:00:00.000Z", None, status, {"mode": mode})
        await store.record_run(run)

    assert len(port.resync_states) == reports


async def test_an_integration_installed_meanwhile_by_another_replica_is_patched() -> None:
    port = FakePort()
    port.integrations["gh-1"] = {"installationId": "gh-1", "version": "1.0.0"}
    port.failures = {"GET /integration/gh-1": [(404, {})], "POST /integration": [(409, {})]}
    store = client(port)

    await store.register_integration(OWNER, changelog_destination={}, config={})

    assert port.integrations["gh-1"]["version"] == "1.2.3"
    assert [m for m, path, _ in port.calls if path.startswith("/integration")] == [
        "GET", "POST", "GET", "PATCH"
    ]  # fmt: skip


async def test_a_base_url_given_with_its_v1_is_the_same_api() -> None:
    """``ocean catalog serve`` printed ``.../v1``; either form reaches the same routes."""
    port = FakePort()
    port.blueprints["team"] = {"identifier": "team", "title": "Team"}
    http = PortHTTP("https://port.test/v1/", "id", "secret", user_agent="port-ocean/test",
                    transport=port.transport(), base_delay=0.001)  # fmt: skip

    blueprints = await PortAPIStore(http).list_blueprints()

    assert [bp["identifier"] for bp in blueprints] == ["team"]
