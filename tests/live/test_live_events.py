"""Live events end to end: a real HTTP server on loopback, real SQLite and real Redis."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.live.signature import sign
from ocean.sail import prepare
from tests.conftest import TEAMS, Workspace, resource, services
from tests.live.harness import SECRET, live_server, service_event, signed, with_processors


@pytest.fixture
def live(workspace: Workspace) -> Workspace:
    return with_processors(workspace)


async def test_an_event_is_queued_then_applied_through_the_mapping(live: Workspace) -> None:
    async with live_server(live) as server:
        response = await server.post(service_event("svc-1", stars=7))
        assert response.status_code == 202 and response.json()["status"] == "queued"
        await server.settled()
    entity = (await live.entities("service"))["svc-1"]
    assert entity["properties"] == {"url": "https://x", "stars": 7}


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "says"),
    [
        ("/webhook", *signed(service_event("a", 1), secret="wrong"), 401, "authenticate"),
        ("/webhook", b"{not json", {}, 400, "not JSON"),
        ("/webhook", b"[1, 2]", {}, 400, "not an object"),
        ("/webhook", *signed(service_event("a", 1, action="moved")), 400, "invalid"),
        ("/elsewhere", *signed(service_event("a", 1)), 404, "'/webhook'"),
        ("/webhook", *signed(service_event("a", 1, padding="x" * 500)), 413, "limit"),
    ],
    ids=["bad-signature", "not-json", "not-object", "invalid-payload", "unknown-path", "too-big"],
)
async def test_a_rejected_event_is_answered_with_the_reason_and_nothing_is_queued(
    live: Workspace, path: str, body: bytes, headers: dict[str, str], status: int, says: str
) -> None:
    async with live_server(live, {"OCEAN__LIVE_EVENTS__MAX_BODY_BYTES": "400"}) as server:
        response = await server.client.post(
            f"{server.base}/integration{path}", content=body, headers=headers
        )
        assert response.status_code == status
        assert says in response.json()["message"]
        assert await server.service.queue.depth() == 0
    assert await live.entities("service") == {}


async def test_an_event_no_processor_wants_is_acknowledged_and_dropped(live: Workspace) -> None:
    async with live_server(live) as server:
        response = await server.post({"action": "updated", "something": "else"})
        assert response.status_code == 200 and response.json()["status"] == "ignored"
        assert await server.service.queue.depth() == 0


async def test_events_about_one_resource_apply_in_arrival_order_under_concurrent_posts(
    live: Workspace, backend_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "events.jsonl"
    monkeypatch.setenv("OCEAN_TEST_EVENT_LOG", str(log))
    keys, per_key = ["svc-a", "svc-b", "svc-c"], 15
    payloads = [
        service_event(key, stars=n, delay=random.random() / 100)
        for n in range(per_key)
        for key in keys
    ]
    random.shuffle(payloads)
    env = backend_env | {"OCEAN__EVENT_WORKERS_COUNT": "4"}
    async with live_server(live, env) as server:
        responses = await asyncio.gather(*(server.post(p) for p in payloads))
        assert {r.status_code for r in responses} == {202}
        await server.settled()
    order = _queue_order(responses, payloads)
    for key in keys:
        applied = [p["service"]["stars"] for p in _log(log) if p["service"]["id"] == key]
        assert applied == order[key]
    entities = await live.entities("service")
    assert {key: entities[key]["properties"]["stars"] for key in keys} == {
        key: order[key][-1] for key in keys
    }


def _queue_order(responses: list[Any], payloads: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Per key, the stars of its events in the order the queue accepted them."""
    accepted = sorted(zip(responses, payloads, strict=True), key=lambda rp: _id(rp[0].json()["id"]))
    order: dict[str, list[int]] = {}
    for _response, payload in accepted:
        order.setdefault(payload["service"]["id"], []).append(payload["service"]["stars"])
    return order


def _id(queued: str) -> tuple[int, ...]:
    return tuple(int(part) for part in queued.split("-"))


def _log(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_events_still_queued_at_a_stop_are_applied_once_after_a_restart(
    live: Workspace, backend_env: dict[str, str], tmp_path: Path
) -> None:
    """One worker applies svc-0 to svc-9, then holds svc-10 until the stop (however slowly a
    loaded machine posts and applies them): svc-10 to svc-19 are still queued."""
    env = backend_env | {"OCEAN__EVENT_WORKERS_COUNT": "1"}
    hold = tmp_path / "hold"
    hold.touch()
    async with live_server(live, env) as server:
        for n in range(20):
            extra = {"hold_while": str(hold)} if n == 10 else {}
            posted = await server.post(service_event(f"svc-{n}", stars=n, **extra))
            assert posted.status_code == 202
        async with asyncio.timeout(30):
            while len(await live.entities("service")) < 10:
                await asyncio.sleep(0.02)
        left = await server.service.queue.depth()
    hold.unlink()
    assert left == 10
    assert sorted(await live.entities("service")) == sorted(f"svc-{n}" for n in range(10))
    async with live_server(live, env) as server:
        await server.settled()
    entities = await live.entities("service")
    assert {k: e["properties"]["stars"] for k, e in entities.items()} == {
        f"svc-{n}": n for n in range(20)
    }


async def test_a_failing_event_is_retried_with_backoff_then_dead_lettered_and_can_be_replayed(
    live: Workspace,
    backend_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    log, flag = tmp_path / "events.jsonl", tmp_path / "upstream-down"
    flag.touch()
    monkeypatch.setenv("OCEAN_TEST_EVENT_LOG", str(log))
    async with live_server(live, backend_env) as server:
        await server.post(service_event("svc-1", stars=3, fail_while=str(flag)))
        await server.post(service_event("svc-2", stars=4))
        await server.settled()
        [dead] = await server.service.queue.dead()
        assert dead.payload["service"]["id"] == "svc-1" and dead.attempts == 3
        assert "upstream said no to svc-1" in (dead.error or "") and "3 attempt" in (
            dead.error or ""
        )
        assert "in handle_event: raise RuntimeError(" in (dead.error or "")  # file:line
        assert len([p for p in _log(log) if p["service"]["id"] == "svc-1"]) == 3
        assert set(await live.entities("service")) == {"svc-2"}
        said = [r.getMessage() for r in caplog.records if "dead-letter list" in r.getMessage()]
        assert len(said) == 1 and "upstream said no to svc-1" in said[0]

        flag.unlink()
        assert await server.service.queue.revive() == 1
        await server.settled()
        assert await server.service.queue.dead() == []
    assert set(await live.entities("service")) == {"svc-1", "svc-2"}


@pytest.mark.parametrize(
    ("path", "status"),
    [("/hook/42", 202), ("/hook/group-a", 202), ("/hook", 404), ("/hook/42/more", 404)],
)
async def test_a_path_template_takes_events_for_any_value_of_its_parameters(
    live: Workspace, path: str, status: int
) -> None:
    async with live_server(live) as server:
        response = await server.post(service_event("svc-9", stars=9), path=path)
        await server.settled()
        metrics = (await server.client.get(f"{server.base}/metrics")).text

    assert response.status_code == status, response.text
    applied = 'ocean_live_events_total{outcome="applied",path="/hook/{group_id}"} 1.0'
    assert (applied in metrics, "svc-9" in await live.entities("service")) == (
        (True, True) if status == 202 else (False, False)
    )


async def test_a_processor_checks_the_request_s_signature_in_the_worker_and_after_a_replay(
    live: Workspace, backend_env: dict[str, str], tmp_path: Path
) -> None:
    flag = tmp_path / "upstream-down"
    flag.touch()
    async with live_server(live, backend_env) as server:
        body = json.dumps(service_event("svc-1", 5, fail_while=str(flag)), indent=1).encode()
        headers = {"x-hub-signature-256": sign(SECRET, body)}  # the bytes as sent are signed
        response = await server.client.post(
            f"{server.base}/integration/signed", content=body, headers=headers
        )
        assert response.status_code == 202, response.text
        await server.settled()
        assert [event.body for event in await server.service.queue.dead()] == [body]

        flag.unlink()
        assert await server.service.queue.revive() == 1
        await server.settled()
    assert set(await live.entities("service")) == {"svc-1"}


@pytest.mark.parametrize(
    ("second", "left"),
    [
        (service_event("svc-1", stars=1, action="deleted"), set()),
        (service_event("svc-1", stars=-1), set()),
        (service_event("svc-1", stars=9), {"svc-1"}),
    ],
    ids=["deleted-item", "selector-rejects-update", "kept"],
)
async def test_deleted_items_and_items_the_selector_rejects_are_deleted(
    live: Workspace, second: dict[str, Any], left: set[str]
) -> None:
    live.set_mapping({"resources": [resource("service", "service", properties={"stars": ".stars"})
                                     | {"selector": {"query": ".stars >= 0"}}]})  # fmt: skip
    async with live_server(live) as server:
        await server.post(service_event("svc-1", stars=1))
        await server.settled()
        await server.post(second)
        await server.settled()
    assert set(await live.entities("service")) == left


@pytest.mark.parametrize("forgotten_at_once", [False, True])
async def test_a_live_event_racing_a_resync_of_the_same_kind_ends_in_the_newest_state(
    live: Workspace, request: pytest.FixtureRequest, forgotten_at_once: bool
) -> None:
    if forgotten_at_once:
        request.getfixturevalue("forgetful_freshness")
    live.set_data(services=[services(2, stars=1)], teams=TEAMS, slow=0.5)
    async with live_server(live) as server:
        sail = prepare(live.folder, environ=live.environ, overrides={})
        freshness = server.service.live.freshness
        resyncing = asyncio.create_task(
            run_once(sail, server.store, SilentObserver(), freshness=freshness)
        )
        await asyncio.sleep(0.2)  # the resync has read svc-0 with 1 star and is still paging
        await server.post(service_event("svc-0", stars=5))
        await server.settled()
        report = await resyncing
    assert report.status == "completed"
    entities = await live.entities("service")
    assert {k: e["properties"]["stars"] for k, e in entities.items()} == {"svc-0": 5, "svc-1": 1}


@pytest.mark.usefixtures("forgetful_freshness")
async def test_a_slow_live_event_does_not_undo_a_resync_page_fetched_after_it_started(
    live: Workspace,
) -> None:
    live.set_data(services=[services(2, stars=1)], teams=TEAMS)
    async with live_server(live) as server:
        sail = prepare(live.folder, environ=live.environ, overrides={})
        freshness = server.service.live.freshness
        await server.post(service_event("svc-0", stars=5, delay=1.5))
        await asyncio.sleep(0.1)  # its handler runs: what it returns is older than the resync's
        report = await run_once(sail, server.store, SilentObserver(), freshness=freshness)
        await server.settled()
    assert report.status == "completed"
    entities = await live.entities("service")
    assert {k: e["properties"]["stars"] for k, e in entities.items()} == {"svc-0": 1, "svc-1": 1}


async def test_a_live_event_equal_to_the_stored_entity_keeps_it_from_a_running_resync(
    live: Workspace,
) -> None:
    live.set_data(services=[services(1, stars=1)], teams=TEAMS, slow=0.5)  # svc-1 vanished
    async with live_server(live) as server:
        await server.post(service_event("svc-1", stars=1))
        await server.settled()
        sail = prepare(live.folder, environ=live.environ, overrides={})
        resyncing = asyncio.create_task(run_once(sail, server.store, SilentObserver()))
        async with asyncio.timeout(10):  # until the resync has started (its first page: 0.5 s)
            while not any(run.status == "running" for run in await server.store.list_runs(1)):
                await asyncio.sleep(0.01)
        await server.post(service_event("svc-1", stars=1))  # the source says it exists
        await server.settled()
        report = await resyncing
    assert report.status == "completed" and report.deleted == 0
    assert "svc-1" in await live.entities("service")


TEAM_PROCESSOR = """
class TeamProcessor(ServiceProcessor):
    async def should_process_event(self, event):
        return "team" in event.payload

    async def get_matching_kinds(self, event):
        return ["team"]

    def group_key(self, event):
        return None

    async def handle_event(self, payload, resource_config):
        return WebhookEventRawResults(updated_raw_results=[payload["team"]])

ocean.add_webhook_processor("/webhook", TeamProcessor)
"""


async def test_every_processor_of_a_path_that_wants_the_event_handles_it(live: Workspace) -> None:
    main = live.folder / "main.py"
    main.write_text(main.read_text() + TEAM_PROCESSOR)
    async with live_server(live) as server:
        event = service_event("svc-1", stars=2) | {"team": {"id": "core", "name": "Core"}}
        assert (await server.post(event)).status_code == 202
        assert (
            await server.post({"action": "updated", "team": {"id": "edge", "name": "Edge"}})
        ).status_code == 202
        await server.settled()
    assert set(await live.entities("service")) == {"svc-1"}
    assert set(await live.entities("team")) == {"core", "edge"}


@pytest.mark.parametrize(
    ("first_good", "status", "applied"), [(True, 202, {"svc-2"}), (False, 200, set())]
)
async def test_a_header_sent_twice_is_read_as_its_first_value(
    live: Workspace, backend_env: dict[str, str], first_good: bool, status: int, applied: set[str]
) -> None:
    async with live_server(live, backend_env) as server:
        body = json.dumps(service_event("svc-2", 5)).encode()
        good, bad = sign(SECRET, body), "sha256=" + "0" * 64
        signatures = [good, bad] if first_good else [bad, good]
        headers = [("x-hub-signature-256", value) for value in signatures]
        response = await server.client.post(
            f"{server.base}/integration/signed", content=body, headers=headers
        )
        assert response.status_code == status, response.text  # a bad signature: ignored
        await server.settled()
    assert set(await live.entities("service")) == applied


async def _in_pieces(body: bytes, size: int) -> AsyncIterator[bytes]:
    """A body streamed in pieces without a Content-Length (chunked transfer)."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def test_an_event_streamed_in_pieces_is_queued_whole_and_one_past_the_limit_refused(
    live: Workspace,
) -> None:
    async with live_server(live, {"OCEAN__LIVE_EVENTS__MAX_BODY_BYTES": "400"}) as server:
        url = f"{server.base}/integration/webhook"
        body, headers = signed(service_event("svc-1", stars=3))
        sent = await server.client.post(url, content=_in_pieces(body, 16), headers=headers)
        assert sent.status_code == 202, sent.text
        await server.settled()

        body, headers = signed(service_event("svc-2", stars=3, padding="x" * 500))
        refused = await server.client.post(url, content=_in_pieces(body, 64), headers=headers)
        assert refused.status_code == 413 and "over the limit of 400" in refused.json()["message"]
    assert list(await live.entities("service")) == ["svc-1"]
