"""A fake organisation API: deterministic departments, offices, teams, persons and projects.

Sizes follow the original's fake integration settings: ``entityAmount`` persons,
``entityKbSize`` per person, pages of ``thirdPartyBatchSize`` after ``thirdPartyLatencyMs``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any, NamedTuple

from ocean import Integration, WebhookEvent, WebhookEventRawResults, WebhookProcessor
from ocean.actions import ActionFailedError, Executor, Run
from ocean.live.signature import verify

ocean = Integration()

FIRST = [
    "Ada",
    "Grace",
    "Linus",
    "Barbara",
    "Ken",
    "Margaret",
    "Dennis",
    "Frances",
    "Guido",
    "Radia",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Torvalds",
    "Liskov",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Allen",
    "Rossum",
    "Perlman",
]
CITIES = ["Tel Aviv", "New York", "London", "Berlin", "Tokyo"]
DEPARTMENTS = [
    "Engineering",
    "Product",
    "Sales",
    "Marketing",
    "Finance",
    "People",
    "Support",
    "Legal",
]
STATUSES = ["WORKING", "VACATION", "SICK"]
STAGES = ["design", "build", "launch", "maintain"]


def _settings() -> dict[str, Any]:
    return ocean.integration_config


class _Org(NamedTuple):
    """The settings that shape the organisation, read once per page (not per item)."""

    persons: int
    teams: int
    """A tenth of the persons (at least one)."""
    seed: str
    padding: int
    changed: int
    """How many persons (the first ones) changed: ``changedPersons`` when ``changedAt``
    is set, else none."""

    @classmethod
    def now(cls) -> _Org:
        settings = _settings()
        changed = int(settings.get("changed_persons", 0)) if settings.get("changed_at") else 0
        persons = max(1, int(settings["entity_amount"]))
        return cls(
            persons=persons,
            teams=max(1, persons // 10),
            seed=str(settings["seed"]),
            padding=max(0, int(settings["entity_kb_size"]) * 1024 - 300),
            changed=changed,
        )

    def tag(self, i: int) -> int:
        """Item ``i``'s tag: the same in every process (``hash`` of a text is not)."""
        return zlib.crc32(f"{self.seed}:{i}".encode()) & 0x7FFFFFFF if self.seed != "ocean" else i


def _persons() -> int:
    return _Org.now().persons


async def _pages(
    count: int, make: Callable[[_Org, int], dict[str, Any]]
) -> AsyncIterator[list[dict[str, Any]]]:
    size = max(1, int(_settings()["third_party_batch_size"]))
    latency = int(_settings()["third_party_latency_ms"]) / 1000
    for start in range(0, count, size):
        if latency:
            await asyncio.sleep(latency)
        org = _Org.now()
        yield [make(org, i) for i in range(start, min(count, start + size))]


def office(i: int) -> dict[str, Any]:
    return {
        "id": f"office-{i}",
        "name": f"{CITIES[i]} office",
        "city": CITIES[i],
        "capacity": 50 + 10 * _Org.now().tag(i) % 400,
    }


def department(i: int) -> dict[str, Any]:
    return {
        "id": f"dep-{i}",
        "name": DEPARTMENTS[i],
        "budget": 100_000 + _Org.now().tag(i) % 900_000,
        "office_id": f"office-{i % len(CITIES)}",
    }


def team(i: int) -> dict[str, Any]:
    return _team(_Org.now(), i)


def _team(org: _Org, i: int) -> dict[str, Any]:
    return {
        "id": f"team-{i}",
        "name": f"Team {i}",
        "size": 3 + org.tag(i) % 9,
        "department_id": f"dep-{i % len(DEPARTMENTS)}",
    }


def person(i: int) -> dict[str, Any]:
    return _person(_Org.now(), i)


def _person(org: _Org, i: int) -> dict[str, Any]:
    tag = org.tag(i)
    first, last = FIRST[tag % 10], LAST[(tag // 10) % 10]
    return {
        "id": f"person-{i}",
        "first_name": first,
        "last_name": last,
        "email": f"{first}.{last}.{i}@example.com".lower(),
        "age": 20 + tag % 45 + (1 if i < org.changed else 0),
        "status": STATUSES[tag % 3],
        "bio": _bio(org.padding),
        "team_id": f"team-{i % org.teams}",
        "office_id": f"office-{i % len(CITIES)}",
    }


@functools.cache
def _bio(padding: int) -> str:
    return ("lorem ipsum " * (padding // 12 + 1))[:padding]


def project(i: int) -> dict[str, Any]:
    return _project(_Org.now(), i)


def _project(org: _Org, i: int) -> dict[str, Any]:
    return {
        "id": f"project-{i}",
        "name": f"Project {i}",
        "url": f"https://projects.example.com/{i}",
        "stage": STAGES[org.tag(i) % 4],
        "archived": i % 17 == 16,
        "team_ids": [f"team-{(i + k) % org.teams}" for k in range(1 + i % 3)],
    }


def _teams() -> int:
    return _Org.now().teams


@ocean.on_resync("office")
async def offices(kind: str) -> list[dict[str, Any]]:
    return [office(i) for i in range(len(CITIES))]


@ocean.on_resync("department")
async def departments(kind: str) -> list[dict[str, Any]]:
    return [department(i) for i in range(len(DEPARTMENTS))]


@ocean.on_resync("team")
async def teams(kind: str) -> AsyncIterator[list[dict[str, Any]]]:
    async for page in _pages(_teams(), _team):
        yield page


@ocean.on_resync("person")
async def persons(kind: str) -> AsyncIterator[list[dict[str, Any]]]:
    async for page in _pages(_persons(), _person):
        yield page


@ocean.on_incremental_resync("person")
async def changed_persons(kind: str) -> AsyncIterator[list[dict[str, Any]]]:
    """The fake API's change feed: the ``changedPersons`` first persons changed at
    ``changedAt``, fetched only when that is after the cursor (as an API's ``since=``
    filter would); ``incrementalFailAfter`` makes the feed break after that many items."""
    cursor, changed_at = ocean.incremental_cursor(), str(_settings().get("changed_at") or "")
    if not changed_at or (cursor and dt.datetime.fromisoformat(changed_at) <= cursor):
        return
    fail_after = int(_settings().get("incremental_fail_after", -1))
    sent = 0
    async for page in _pages(min(_persons(), int(_settings()["changed_persons"])), _person):
        if 0 <= fail_after < sent + len(page):
            yield page[: fail_after - sent]
            raise RuntimeError(f"the change feed went away after {fail_after} changes")
        sent += len(page)
        yield page


@ocean.on_resync("project")
async def projects(kind: str) -> AsyncIterator[list[dict[str, Any]]]:
    async for page in _pages(max(1, _persons() // 20), _project):
        yield page


class PersonEvents(WebhookProcessor):
    """Live events about persons, as the fake API would push them: ``{"person": {...}}``
    for a change, ``{"deleted": {"id": ...}}`` for a removal. Signed with
    ``X-Hub-Signature-256`` when ``webhookSecret`` is configured."""

    initial_retry_delay_seconds = 0.2

    async def should_process_event(self, event: WebhookEvent) -> bool:
        return "person" in event.payload or "deleted" in event.payload

    async def get_matching_kinds(self, event: WebhookEvent) -> list[str]:
        return ["person"]

    async def authenticate(self, payload: dict[str, Any], headers: dict[str, str]) -> bool:
        secret = _settings().get("webhook_secret")
        return not secret or verify(secret, self.event.body, headers.get("x-hub-signature-256"))

    async def validate_payload(self, payload: dict[str, Any]) -> bool:
        item = payload.get("person") or payload.get("deleted")
        return isinstance(item, dict) and isinstance(item.get("id"), str)

    def group_key(self, event: WebhookEvent) -> str | None:
        return str((event.payload.get("person") or event.payload.get("deleted"))["id"])

    async def handle_event(
        self, payload: dict[str, Any], resource_config: Any
    ) -> WebhookEventRawResults:
        if "deleted" in payload:
            return WebhookEventRawResults(deleted_raw_results=[payload["deleted"]])
        return WebhookEventRawResults(updated_raw_results=[payload["person"]])


ocean.add_webhook_processor("/person", PersonEvents)


class RenameTeam(Executor):
    """The ``rename_team`` action (``.port/resources/actions.json``): gives a team a new
    name in the catalog. Renames of one team run one after another."""

    ACTION_NAME = "rename_team"

    async def partition_key(self, run: Run) -> str | None:
        return str(run.properties.get("team") or "") or None

    async def perform(self, run: Run) -> None:
        team_id, name = run.properties.get("team"), run.properties.get("name")
        if not isinstance(team_id, str) or not team_id.startswith("team-"):
            raise ActionFailedError(
                "rename_team runs on a fakeTeam entity (--entity fakeTeam/team-0)"
            )
        if not isinstance(name, str) or not name.strip():
            raise ActionFailedError("rename_team needs a new name: --input name=NEW")
        number = team_id.removeprefix("team-")
        if not number.isdigit() or int(number) >= _teams():
            raise ActionFailedError(f"{team_id} is not one of the fake API's {_teams()} teams")
        await run.log(f"Renaming {team_id} to {name!r}")
        await asyncio.sleep(float(run.properties.get("delaySeconds") or 0))
        await ocean.register_raw("team", [{**team(int(number)), "name": name}])
        await run.log(f"{team_id} is now {name!r}")


ocean.register_action_executor(RenameTeam())
