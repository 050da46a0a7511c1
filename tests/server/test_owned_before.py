"""``POST /v1/blueprints/entities/datasource-entities`` with ``before``: an entity is listed
as not updated since then by the instant ``before`` names, in any ISO-8601 form (an offset,
seconds only, no offset meaning UTC), never by how the text sorts; a ``before`` that is no
time is refused naming it. Over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

_AGENT = {"User-Agent": "port-ocean/fake/0.1.0/fake-int/exporter"}
_OWNER = {"datasource_prefix": "port-ocean/fake/", "datasource_suffix": "/fake-int/exporter"}


async def _written(api: httpx.AsyncClient) -> dt.datetime:
    """Write one entity as the integration; when the catalog stamped it."""
    answer = await api.post(
        "/v1/blueprints/team/entities",
        params={"upsert": "true"},
        json={"identifier": "written"},
        headers=_AGENT,
    )
    assert answer.status_code == 201, answer.text
    return dt.datetime.fromisoformat(answer.json()["entity"]["updatedAt"])


async def _listed(api: httpx.AsyncClient, before: str) -> httpx.Response:
    return await api.post(
        "/v1/blueprints/entities/datasource-entities", json=_OWNER | {"before": before}
    )


@pytest.mark.parametrize(
    ("milliseconds", "offset", "listed"),
    [
        pytest.param(-1, 2, False, id="a-millisecond-earlier-at-plus-2"),
        pytest.param(1, -5, True, id="a-millisecond-later-at-minus-5"),
        pytest.param(0, None, True, id="the-same-time-without-offset"),
        pytest.param(-1, 0, False, id="a-millisecond-earlier-in-utc"),
    ],
)
async def test_before_compares_as_the_instant_it_names_in_any_iso_form(
    api: httpx.AsyncClient, milliseconds: int, offset: int | None, listed: bool
) -> None:
    stamped = await _written(api)
    moment = stamped + dt.timedelta(milliseconds=milliseconds)
    if offset is None:
        before = moment.replace(tzinfo=None).isoformat()
    else:
        before = moment.astimezone(dt.timezone(dt.timedelta(hours=offset))).isoformat()
    answer = await _listed(api, before)
    assert answer.status_code == 200, answer.text
    found = [e["identifier"] for e in answer.json()["entities"]]
    assert found == (["written"] if listed else []), f"before={before}, stamped {stamped}"


async def test_before_in_whole_seconds_keeps_what_was_written_later_that_second(
    api: httpx.AsyncClient,
) -> None:
    stamped = await _written(api)
    second = stamped.replace(microsecond=0)
    answer = await _listed(api, second.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert answer.status_code == 200, answer.text
    found = [e["identifier"] for e in answer.json()["entities"]]
    assert found == (["written"] if stamped == second else [])
    later = await _listed(api, (second + dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert [e["identifier"] for e in later.json()["entities"]] == ["written"]


@pytest.mark.parametrize("before", ["yesterday", "2026-13-01T00:00:00Z", "12:00"])
async def test_a_before_that_is_no_time_is_refused_naming_it(
    api: httpx.AsyncClient, before: str
) -> None:
    answer = await _listed(api, before)
    assert answer.status_code == 422, answer.text
    assert "before must be an ISO-8601 time" in answer.json()["message"]
    assert before in answer.json()["message"]
