"""A hub's page reads only the first of its dependents (a ``LIMIT`` in the store), the
same first ones as all of them sorted, itself excluded and each dependent once."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ocean.server.app import create_app
from ocean.server.ui.graph import pointing as pointing_edges
from ocean.store.base import Owner, Store
from ocean.store.paging import pointing
from tests import loopback
from tests.server.serving import fresh_catalog, signed_in_to_ui

OFFICE = {
    "identifier": "office",
    "title": "Office",
    "schema": {"properties": {}},
    "relations": {"parent": {"target": "office", "many": False, "required": False}},
}
PERSON = {
    "identifier": "person",
    "title": "Person",
    "schema": {"properties": {}},
    "relations": {
        "office": {"target": "office", "many": False, "required": False},
        "visits": {"target": "office", "many": True, "required": False},
    },
}
PERSONS = 300


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with fresh_catalog(request.param, tmp_path) as catalog:
        kept: Store = catalog  # type: ignore[assignment]
        await kept.create_blueprints([OFFICE, PERSON])
        offices = [
            {"identifier": "hq", "blueprint": "office", "title": "HQ"},
            {"identifier": "small", "blueprint": "office", "title": "Small"},
        ]
        persons = [
            {"identifier": f"p{i:04d}", "blueprint": "person", "title": f"P {i}",
             "relations": {"office": "hq", "visits": ["hq", "small"] if i % 2 else []}}
            for i in range(PERSONS)
        ]  # fmt: skip
        owner = Owner("fake", "f", "1")
        await kept.upsert_entities(offices, owner=owner, merge=False)  # type: ignore[arg-type]
        await kept.upsert_entities(persons, owner=owner, merge=False)  # type: ignore[arg-type]
        await kept.upsert_entities(  # hq relates to itself, and to small
            [{"identifier": "hq", "blueprint": "office", "title": "HQ",
              "relations": {"parent": "hq"}},
             {"identifier": "small", "blueprint": "office", "title": "Small",
              "relations": {"parent": "hq"}}],
            owner=owner, merge=False,
        )  # type: ignore[arg-type]  # fmt: skip
        yield kept


@pytest.mark.parametrize(
    ("key", "most"),
    [(("office", "hq"), 1), (("office", "hq"), 4), (("office", "hq"), 200),
     (("office", "hq"), 1000), (("office", "small"), 10), (("person", "p0001"), 5)],
)  # fmt: skip
async def test_the_first_dependents_are_those_of_all_sorted(
    store: Store, key: tuple[str, str], most: int
) -> None:
    every = sorted((await store.dependents([key], after="")).of.get(key, set()))
    assert key not in every
    first = await pointing(store, key, most)
    assert first == every[:most]
    assert len(first) == len(set(first))


async def test_a_hub_s_page_lists_its_first_dependents_with_their_relations(store: Store) -> None:
    edges = await pointing_edges(store, ("office", "hq"), most=3)
    assert [(e.source, e.relation) for e in edges] == [
        (("office", "small"), "parent"),
        (("person", "p0000"), "office"),
        (("person", "p0001"), "office"),
        (("person", "p0001"), "visits"),
    ]


@pytest.mark.parametrize(("office", "more"), [("hq", True), ("small", False)])
async def test_a_hub_s_page_says_more_relate_to_it_than_it_lists(
    store: Store, office: str, more: bool
) -> None:
    """hq has 301 dependents, small 150: the page lists 200 at most, and says so."""
    async with (
        loopback.served(create_app(store)) as base,
        httpx.AsyncClient(base_url=base) as browser,
    ):
        await signed_in_to_ui(browser, store)  # type: ignore[arg-type]
        page = (await browser.get(f"/ui/entities/office/{office}")).text

    listed = page.split('<ul id="incoming">')[1].split("</ul>")[0]
    assert ("more relate to it" in listed) is more
    assert len(set(re.findall(r'href="/ui/entities/[^"]+"', listed))) == (200 if more else 150)
