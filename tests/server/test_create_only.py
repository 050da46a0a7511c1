"""Creating only (``upsert=false`` on the bulk route, the single route without ``upsert``)
is decided in the write's own transaction: of two requests creating the same new entity at
once, exactly one creates it and the other is refused with 409, and the stored entity is
the one that was created, over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

ROUNDS = 8
"""New keys raced for, each by two requests at once (one race may not overlap)."""


async def _bulk(api: httpx.AsyncClient, entity: dict[str, Any]) -> tuple[int, str | None]:
    answer = await api.post(
        "/v1/blueprints/team/entities/bulk", params={"upsert": "false"}, json={"entities": [entity]}
    )
    assert answer.status_code in (200, 207), answer.text
    errors = answer.json()["errors"]
    if not errors:
        assert answer.json()["entities"][0]["created"] is True, answer.text
        return 201, None
    return errors[0]["statusCode"], errors[0]["message"]


async def _single(api: httpx.AsyncClient, entity: dict[str, Any]) -> tuple[int, str | None]:
    answer = await api.post("/v1/blueprints/team/entities", json=entity)
    return answer.status_code, None if answer.status_code == 201 else answer.json()["message"]


@pytest.mark.parametrize("route", [_bulk, _single], ids=["bulk", "single"])
async def test_of_two_concurrent_creations_of_one_key_one_creates_and_the_other_is_409(
    api: httpx.AsyncClient, route: Any
) -> None:
    for round in range(ROUNDS):
        key = f"new-{round}"
        bodies = [{"identifier": key, "title": title} for title in ("first", "second")]
        answers = await asyncio.gather(*(route(api, body) for body in bodies))

        statuses = sorted(status for status, _ in answers)
        assert statuses == [201, 409], (key, answers)
        winner = next(
            body for body, (status, _) in zip(bodies, answers, strict=True) if status == 201
        )
        (refusal,) = [message for status, message in answers if status == 409]
        assert refusal is not None and f"{key!r}" in refusal and "upsert=true" in refusal
        stored = (await api.get(f"/v1/blueprints/team/entities/{key}")).json()["entity"]
        assert stored["title"] == winner["title"], (key, answers)


async def test_creating_only_an_entity_that_exists_is_409_and_keeps_it(
    api: httpx.AsyncClient,
) -> None:
    bulk = await _bulk(api, {"identifier": "core", "title": "Overwritten"})
    single = await _single(api, {"identifier": "core", "title": "Overwritten"})

    assert [status for status, _ in (bulk, single)] == [409, 409]
    stored = (await api.get("/v1/blueprints/team/entities/core")).json()["entity"]
    assert stored["title"] == "Core"
