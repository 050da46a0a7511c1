"""``/v1/integration``: registering an integration again is refused and changes nothing, and
changes made at once (the mapping saved while the integration reports its resync state)
are each kept, over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


async def _record(api: httpx.AsyncClient, identifier: str) -> dict[str, Any]:
    answer = await api.get(f"/v1/integration/{identifier}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["integration"])


async def test_registering_an_installed_integration_again_is_409_and_changes_nothing(
    api: httpx.AsyncClient,
) -> None:
    first = {"installationId": "fake", "installationAppType": "fake", "config": {"v": "mine"}}
    assert (await api.post("/v1/integration", json=first)).status_code == 200
    patched = await api.patch("/v1/integration/fake", json={"arePortResourcesInitialized": True})
    assert patched.status_code == 200, patched.text
    before = await _record(api, "fake")

    again = await api.post("/v1/integration", json=first | {"config": {"v": "default"}})

    assert again.status_code == 409, again.text
    assert again.json()["error"] == "conflict"
    assert "PATCH /v1/integration/fake" in again.json()["message"]
    assert await _record(api, "fake") == before
    assert before["config"] == {"v": "mine"} and before["arePortResourcesInitialized"] is True


async def test_concurrent_config_and_resync_state_patches_are_both_kept(
    api: httpx.AsyncClient,
) -> None:
    body = {"installationId": "fake", "installationAppType": "fake", "config": {"v": 0}}
    assert (await api.post("/v1/integration", json=body)).status_code == 200
    for round_ in range(1, 16):
        config, state = await asyncio.gather(
            api.patch("/v1/integration/fake/config", json={"config": {"v": round_}}),
            api.patch(
                "/v1/integration/fake/resync-state",
                json={"status": "running", "lastResyncStart": f"r{round_}"},
            ),
        )
        assert (config.status_code, state.status_code) == (200, 200), (config.text, state.text)
        record = await _record(api, "fake")
        kept = (record["config"], record["resyncState"]["lastResyncStart"])
        assert kept == ({"v": round_}, f"r{round_}"), f"round {round_} lost a change"
    assert record["installationAppType"] == "fake" and record["identifier"] == "fake"


async def test_patching_an_integration_not_installed_is_404(api: httpx.AsyncClient) -> None:
    answer = await api.patch("/v1/integration/ghost/config", json={"config": {}})
    assert (answer.status_code, answer.json()["error"]) == (404, "not_found")
    assert (await api.get("/v1/integration/ghost")).status_code == 404
