"""The PostgreSQL catalog keeps each relation edge once, though its index of edges is not
unique (migration 18): whichever way an entity's edges are written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from ocean.store.postgres.store import PostgresStore
from tests.store.postgres import BLUEPRINT, OWNER, connected


@pytest.fixture
async def store(postgres_url: str) -> AsyncIterator[PostgresStore]:
    opened = await PostgresStore.open(postgres_url)
    await opened.create_blueprints([BLUEPRINT])
    await opened.upsert_entities(
        [{"identifier": name, "blueprint": "svc"} for name in ("b", "c")], owner=OWNER, merge=True
    )
    yield opened
    await opened.close()


def _a(*targets: str, title: str = "A") -> dict[str, Any]:
    return {
        "identifier": "a",
        "blueprint": "svc",
        "title": title,
        "relations": {"uses": list(targets)},
    }


@pytest.mark.parametrize(
    "writes",
    [
        pytest.param([_a("b", "b")], id="created, a target named twice"),
        pytest.param([_a("b"), _a("b", "b", "c", title="B")], id="updated, a target named twice"),
        pytest.param([_a("b", "c"), _a("c", "b", title="B")], id="updated, the same edges"),
        pytest.param([_a("b", "c"), _a("b", "c"), _a("b", "c")], id="written unchanged"),
    ],
)
async def test_each_edge_is_stored_once(
    store: PostgresStore, postgres_url: str, writes: list[dict[str, Any]]
) -> None:
    for entity in writes:
        await store.upsert_entities([entity], owner=OWNER, merge=False)

    assert await _edges(postgres_url) == sorted({("a", t) for t in writes[-1]["relations"]["uses"]})


async def test_edges_made_again_by_a_blueprint_change_are_stored_once(
    store: PostgresStore, postgres_url: str
) -> None:
    await store.upsert_entities([_a("b", "b", "c")], owner=OWNER, merge=False)

    await store.update_blueprint(
        "svc", {"relations": {"uses": {"target": "svc", "many": True, "title": "Uses"}}}
    )

    assert await _edges(postgres_url) == [("a", "b"), ("a", "c")]


async def _edges(postgres_url: str) -> list[tuple[str, str]]:
    """Every edge row, duplicates included."""
    db = await connected(postgres_url)
    try:
        rows = await db.fetch("SELECT identifier, target FROM relations ORDER BY 1, 2")
    finally:
        await db.close()
    return [(identifier, target) for identifier, target in rows]
