"""A store's writes are made in call order. After a write of some blueprints found none
of its keys stored (a first sync), the next write of them does not ask which are: its
entities are copied in as new. One stored after all (written by another process meanwhile)
is still updated as if it had asked. Relation targets a store knows exist are asked about
again once another process deleted one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from ocean.store.postgres.store import PostgresStore
from tests.conftest import POSTGRES_URL
from tests.store.postgres import BLUEPRINT, OWNER


@pytest.fixture
async def stores(postgres_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two stores on one catalog: the first has written a batch that found nothing stored."""
    first, other = await PostgresStore.open(postgres_url), await PostgresStore.open(postgres_url)
    await first.create_blueprints([BLUEPRINT])
    await first.upsert_entities([{"identifier": "a", "blueprint": "svc"}], owner=OWNER, merge=True)
    yield first, other
    await first.close()
    await other.close()


async def test_a_key_stored_meanwhile_is_merged_over(
    stores: tuple[PostgresStore, PostgresStore],
) -> None:
    first, other = stores
    kept = {"identifier": "b", "blueprint": "svc", "title": "B", "icon": "Service"}
    assert (await other.upsert_entities([kept], owner=OWNER, merge=True))[0].ok

    sent = [{"identifier": "b", "blueprint": "svc", "title": "B2"}]
    sent.append({"identifier": "c", "blueprint": "svc", "relations": {"uses": ["b"]}})
    outcomes = await first.upsert_entities(sent, owner=OWNER, merge=True)

    assert [o.status for o in outcomes] == ["updated", "created"]
    stored = await first.get_entities("svc", ["b", "c"])
    assert stored["b"]["title"] == "B2" and stored["b"]["icon"] == "Service"
    assert (await first.dependents([("svc", "b")], after="")).of == {("svc", "b"): {("svc", "c")}}


async def test_a_key_sent_twice_over_a_stored_one_is_planned_against_it(
    stores: tuple[PostgresStore, PostgresStore],
) -> None:
    first, other = stores
    kept = {"identifier": "x", "blueprint": "svc", "icon": "Service"}
    assert (await other.upsert_entities([kept], owner=OWNER, merge=True))[0].ok

    sent = [{"identifier": "x", "blueprint": "svc", "title": f"X{n}"} for n in (1, 2)]
    outcomes = await first.upsert_entities(sent, owner=OWNER, merge=True)

    assert [o.status for o in outcomes] == ["updated", "updated"]
    stored = (await first.get_entities("svc", ["x"]))["x"]
    assert stored["title"] == "X2" and stored["icon"] == "Service"


async def test_new_keys_are_created_and_owned(
    stores: tuple[PostgresStore, PostgresStore],
) -> None:
    first, _ = stores
    sent = [{"identifier": "d", "blueprint": "svc", "relations": {"uses": ["missing"]}}]

    outcomes = await first.upsert_entities(sent, owner=OWNER, merge=True)

    assert [o.status for o in outcomes] == ["created"]
    assert await first.owned_keys(OWNER) == {("svc", k) for k in ("a", "d", "missing")}


async def test_writes_under_way_at_once_are_made_in_call_order(
    stores: tuple[PostgresStore, PostgresStore],
) -> None:
    """The first write reads the blueprints first (one it has not seen), the second need
    not: it waits for the first all the same, and its title is the one stored."""
    first, other = stores
    await other.create_blueprints([{**BLUEPRINT, "identifier": "db", "relations": {}}])
    one = [{"identifier": "a", "blueprint": "svc", "title": "A1"}]
    one.append({"identifier": "z", "blueprint": "db"})
    two = [{"identifier": "a", "blueprint": "svc", "title": "A2"}]
    await asyncio.gather(*(first.count_entities() for _ in range(4)))  # connections open

    outcomes = await asyncio.gather(
        first.upsert_entities(one, owner=OWNER, merge=True),
        first.upsert_entities(two, owner=OWNER, merge=True),
    )

    assert [[o.status for o in each] for each in outcomes] == [["updated", "created"], ["updated"]]
    assert (await first.get_entities("svc", ["a"]))["a"]["title"] == "A2"


async def test_a_known_target_deleted_by_another_process_is_made_again(
    stores: tuple[PostgresStore, PostgresStore],
) -> None:
    """The first store knows ``a`` exists (it wrote it): once another process deleted it,
    a write relating to it asks again and makes it as a placeholder."""
    first, other = stores
    assert (await other.delete_entities([("svc", "a")])).deleted == [("svc", "a")]

    sent = [{"identifier": "c", "blueprint": "svc", "relations": {"uses": ["a"]}}]
    outcomes = await first.upsert_entities(sent, owner=OWNER, merge=True)

    assert [o.status for o in outcomes] == ["created"]
    assert (await first.get_entities("svc", ["a"]))["a"]["title"] == "a"
    assert (await first.dependents([("svc", "a")], after="")).of == {("svc", "a"): {("svc", "c")}}


def test_only_keys_of_blueprints_relations_point_at_are_kept_as_known_targets() -> None:
    from ocean.store.entity_rules import rules_by_blueprint
    from ocean.store.postgres.known import targeted

    team = {"identifier": "team", "title": "Team", "schema": {}, "relations": {}}
    person = {"identifier": "person", "title": "Person", "schema": {},
              "relations": {"team": {"target": "team"}, "lead": {"target": "person"}}}  # fmt: skip
    service = {"identifier": "svc", "title": "Service", "schema": {},
               "relations": {"owner": {"target": "team"}}}  # fmt: skip

    assert targeted(rules_by_blueprint([team, service])) == {"team"}
    assert targeted(rules_by_blueprint([team, person, service])) == {"team", "person"}


async def test_a_deletion_of_nothing_leaves_the_known_targets_known(
    stores: tuple[PostgresStore, PostgresStore], postgres_url: str
) -> None:
    first, _ = stores
    schema = postgres_url.rsplit("schema=", 1)[1]
    db = await asyncpg.connect(POSTGRES_URL, server_settings={"search_path": schema})
    try:
        before = await db.fetchval("SELECT n FROM entity_deletions")
        assert (await first.delete_entities([])).deleted == []
        assert await db.fetchval("SELECT n FROM entity_deletions") == before
    finally:
        await db.close()


def _svc(identifier: str, *uses: str, **more: object) -> dict[str, object]:
    return {"identifier": identifier, "blueprint": "svc", "relations": {"uses": list(uses)}, **more}


@pytest.mark.parametrize(
    ("sent", "create_missing", "statuses", "stored", "edges"),
    [
        pytest.param(
            [_svc("b", "c", "c"), _svc("c", "x")], True, ["created", "created"],
            {"a", "b", "c", "x"}, {("b", "c"), ("c", "x")},
            id="new entities, a target named twice and one made as a placeholder",
        ),
        pytest.param(
            [_svc("b", "c"), _svc("c", "x"), _svc("d", "a")], False,
            ["failed", "failed", "created"], {"a", "d"}, {("d", "a")},
            id="a missing target fails its entity and those relating to it",
        ),
        pytest.param(
            [_svc("b", "a"), _svc("c", "a", relations={"uses": "a"})], True,
            ["created", "failed"], {"a", "b"}, {("b", "a")},
            id="an invalid body fails alone",
        ),
    ],
)  # fmt: skip
async def test_a_batch_of_new_entities_is_written_without_asking(
    stores: tuple[PostgresStore, PostgresStore],
    sent: list[dict[str, object]],
    create_missing: bool,
    statuses: list[str],
    stored: set[str],
    edges: set[tuple[str, str]],
) -> None:
    """After the fixture's write found nothing stored, a batch of new keys is copied in:
    its relation targets checked, each edge once, each outcome versioned by the write."""
    first, _ = stores

    outcomes = await first.upsert_entities(
        sent, owner=OWNER, merge=True, create_missing_related=create_missing
    )

    assert [o.status for o in outcomes] == statuses
    versions = {o.version for o in outcomes if o.status == "created"}
    assert len(versions) == 1 and None not in versions
    owned = await first.owned_keys(OWNER)
    assert {identifier for _, identifier in owned} == stored
    dependents = await first.dependents(sorted(owned), after="")
    assert {(d[1], t[1]) for t, each in dependents.of.items() for d in each} == edges
