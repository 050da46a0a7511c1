"""A processor's mistakes are named: ``handle_event`` returning something other than
``WebhookEventRawResults`` (or lists of something other than raw items) fails the event,
without retries, saying what to return; a ``group_key`` that raises is the route's JSON
500, as any other check that raises."""

from __future__ import annotations

import pytest

from tests.conftest import MAIN_PY, Workspace
from tests.live.harness import PROCESSORS, live_server, service_event

MISTAKES = """
from ocean.live.processor import WebhookEventRawResults

CALLS = []

class ReturnsNothing(ServiceProcessor):
    async def handle_event(self, payload, resource_config):
        CALLS.append(payload)
        if payload.get("returns") == "none":
            return None
        if payload.get("returns") == "none lists":
            return WebhookEventRawResults(updated_raw_results=None, deleted_raw_results=None)
        if payload.get("returns") == "list of none":
            return WebhookEventRawResults(updated_raw_results=[None])
        return await super().handle_event(payload, resource_config)

    def group_key(self, event):
        if event.payload.get("no_key"):
            raise KeyError("repository")
        return super().group_key(event)

ocean.add_webhook_processor("/mistakes", ReturnsNothing)


DELAYS_ASKED_AT = []

class RecordsDelays(ServiceProcessor):
    def calculate_retry_delay(self):
        DELAYS_ASKED_AT.append(self.retry_count)
        return 0.0

    async def handle_event(self, payload, resource_config):
        if payload.get("delays"):
            raise RuntimeError(f"delays asked at retry counts {DELAYS_ASKED_AT}")
        return await super().handle_event(payload, resource_config)

ocean.add_webhook_processor("/delays", RecordsDelays)
"""


@pytest.fixture
def mistakes(workspace: Workspace) -> Workspace:
    (workspace.folder / "main.py").write_text(MAIN_PY + PROCESSORS + MISTAKES)
    return workspace


@pytest.mark.parametrize(
    ("returns", "says"),
    [
        ("none", "returned None, not WebhookEventRawResults"),
        ("none lists", "returned updated_raw_results=None, not a list of raw items"),
        ("list of none", "returned updated_raw_results[0]=None, not a raw item (a dict)"),
    ],
)
async def test_handle_event_returning_no_raw_results_fails_the_event_saying_what_to_return(
    mistakes: Workspace, backend_env: dict[str, str], returns: str, says: str
) -> None:
    async with live_server(mistakes, backend_env) as server:
        await server.post(service_event("svc-1", 1, returns=returns), path="/mistakes")
        await server.post(service_event("svc-1", 2), path="/mistakes")
        await server.settled()
        (dead,) = await server.service.queue.dead()

    assert dead.error is not None
    assert f"ReturnsNothing.handle_event {says}" in dead.error
    assert "return WebhookEventRawResults(updated_raw_results=[...]" in dead.error
    assert dead.attempts == 1  # a mistake is not retried
    assert (await mistakes.entities("service"))["svc-1"]["properties"]["stars"] == 2


async def test_a_group_key_that_raises_is_answered_with_the_route_s_json_500(
    mistakes: Workspace,
) -> None:
    async with live_server(mistakes) as server:
        response = await server.post(service_event("svc-1", 1, no_key=True), path="/mistakes")
        assert await server.service.queue.depth() == 0

    assert response.status_code == 500
    assert response.json() == {
        "ok": False,
        "message": "ReturnsNothing.group_key raised KeyError: 'repository'",
    }


async def test_a_retry_s_delay_is_asked_once_its_retry_is_counted_as_the_original_does(
    mistakes: Workspace,
) -> None:
    """The first retry waits ``initial_retry_delay_seconds * base``, as the original's (2, 4,
    8 s by default, not 1, 2, 4)."""
    async with live_server(mistakes) as server:
        await server.post(service_event("svc-1", 1, delays=True), path="/delays")
        await server.settled()
        (dead,) = await server.service.queue.dead()

    assert dead.attempts == 3
    assert "delays asked at retry counts [1, 2]" in (dead.error or "")
