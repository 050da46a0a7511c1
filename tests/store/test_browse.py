"""Browsing a blueprint's entities a page at a time (the web UI's table) on every store:
sorting, paging, counting, free text and search rules, the same everywhere."""

from __future__ import annotations

from typing import Any

from ocean.store.base import Owner, Store
from ocean.store.browse import Browse
from ocean.store.paging import browse

BLUEPRINT = {
    "identifier": "svc",
    "title": "Service",
    "schema": {"properties": {"n": {"type": "number"}, "lang": {"type": "string"}}},
}
OTHER = {"identifier": "other", "title": "Other", "schema": {"properties": {}}}


async def _seed(store: Store) -> None:
    await store.create_blueprints([BLUEPRINT, OTHER])
    entities: list[Any] = [
        {"identifier": f"e{i:02d}", "blueprint": "svc", "title": f"Title {i} 50%",
         "properties": {"n": i % 7, "lang": "go" if i % 2 else "python"}}
        for i in range(30)
    ] + [{"identifier": "x", "blueprint": "other", "title": "e01", "properties": {}}]  # fmt: skip
    await store.upsert_entities(entities, owner=Owner("fake", "browse", "1"), merge=False)


def _ids(entities: Any) -> list[str]:
    return [e["identifier"] for e in entities]


async def test_pages_sort_and_count(store: Store) -> None:
    await _seed(store)
    first = await browse(store, Browse("svc", limit=10))
    assert _ids(first.entities) == [f"e{i:02d}" for i in range(10)]
    assert first.total == 30 and first.more
    last = await browse(store, Browse("svc", limit=10, offset=25, descending=True))
    assert _ids(last.entities) == ["e04", "e03", "e02", "e01", "e00"] and not last.more
    by_n = await browse(store, Browse("svc", sort="n", descending=True, limit=5))
    assert [e["properties"]["n"] for e in by_n.entities] == [6, 6, 6, 6, 5]
    titled = await browse(store, Browse("svc", sort="$title", limit=3))
    assert _ids(titled.entities) == ["e00", "e01", "e10"]


async def test_free_text_and_rules(store: Store) -> None:
    await _seed(store)
    text = await browse(store, Browse("svc", text="title 2", limit=50))
    assert _ids(text.entities) == ["e02", *[f"e{i}" for i in range(20, 30)]] and text.total == 11
    escaped = await browse(store, Browse("svc", text="0%", limit=50))
    assert escaped.total == 30  # % is matched as itself
    query = {"combinator": "and", "rules": [{"property": "lang", "operator": "=", "value": "go"},
                                            {"property": "n", "operator": ">", "value": 4}]}  # fmt: skip
    ruled = await browse(store, Browse("svc", query=query, limit=3))
    assert _ids(ruled.entities) == ["e05", "e13", "e19"] and ruled.more and ruled.total is None
    rest = await browse(store, Browse("svc", query=query, limit=10, offset=3))
    assert _ids(rest.entities) == ["e27"] and not rest.more and rest.total == 4


async def test_text_rules_narrow_the_scan_and_the_query_still_decides(store: Store) -> None:
    await _seed(store)
    rule = {"property": "lang", "operator": "contains", "value": "yth"}
    found = await browse(store, Browse("svc", query={"combinator": "and", "rules": [rule]}))
    assert len(found.entities) == 15 and found.total == 15
    # "Title" is in every body, but not in the property the rule reads
    rule = {"property": "lang", "operator": "contains", "value": "Title"}
    assert (
        await browse(store, Browse("svc", query={"combinator": "and", "rules": [rule]}))
    ).total == 0
    rule = {"property": "$title", "operator": "beginsWith", "value": "Title 1"}
    titled = await browse(store, Browse("svc", query={"combinator": "and", "rules": [rule]}))
    assert titled.total == 11  # Title 1, Title 10-19
    either = {"combinator": "or", "rules": [rule, {"property": "n", "operator": "=", "value": 0}]}
    assert (await browse(store, Browse("svc", query=either, limit=50))).total == 15
