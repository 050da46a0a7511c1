"""Time the web UI's entity table over a large catalog (server time, in-process).

    .venv/bin/python bench/ui.py [--entities 200000] [--catalog PATH]

Seeds an SQLite catalog (unless ``--catalog`` names one already filled, such as one that
``ocean sail integrations/fake --once`` with OCEAN__INTEGRATION__CONFIG__ENTITY_AMOUNT
wrote) with one blueprint of that many entities, signs in to the UI and times the entity
table's first page, a later page, a free-text search and a page filtered with a rule.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from ocean.server.app import create_app
from ocean.store.base import Owner
from ocean.store.sqlite.store import SQLiteStore

BLUEPRINT = {
    "identifier": "item",
    "title": "Item",
    "schema": {"properties": {"size": {"type": "number"}, "kind": {"type": "string"}}},
}
KINDS = ("alpha", "beta", "gamma", "delta")
CASES: dict[str, dict[str, Any]] = {
    "first page": {},
    "page 1,000 (offset 49,950)": {"offset": 49950},
    "free text 'Item 12345'": {"q": "Item 12345"},
    "rule kind = gamma": {"p": "kind", "op": "=", "v": "gamma"},
    "rule size > 990": {"p": "size", "op": ">", "v": "990"},
    "sorted by size, descending": {"sort": "size", "desc": "1"},
}
FAKE_CASES: dict[str, dict[str, Any]] = {  # the fake integration's persons
    "first page": {},
    "page 1,000 (offset 49,950)": {"offset": 49950},
    "free text '12345'": {"q": "12345"},
    "rule age > 40": {"p": "age", "op": ">", "v": "40"},
    "rule email contains 'zz'": {"p": "email", "op": "contains", "v": "zz"},
    "sorted by age, descending": {"sort": "age", "desc": "1"},
}


async def seed(store: SQLiteStore, count: int) -> None:
    await store.create_blueprints([BLUEPRINT])
    owner, batch = Owner("bench", "bench-ui", "1"), 5000
    for start in range(0, count, batch):
        entities: list[Any] = [
            {"identifier": f"item-{i:07d}", "blueprint": "item", "title": f"Item {i}",
             "properties": {"size": i % 1000, "kind": KINDS[i % 4]}}
            for i in range(start, min(count, start + batch))
        ]  # fmt: skip
        await store.upsert_entities(entities, owner=owner, merge=False)


async def timed(client: httpx.AsyncClient, path: str, params: dict[str, Any]) -> float:
    """The best of five server times (ms) of one page."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        answer = await client.get(path, params=params)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.text[:500]
    return statistics.median(times)


async def main(count: int, catalog: Path | None) -> None:
    folder = Path(tempfile.mkdtemp())
    store = await SQLiteStore.open(catalog or folder / "catalog.db")
    if catalog is None:
        started = time.perf_counter()
        await seed(store, count)
        print(f"seeded {count:,} entities in {time.perf_counter() - started:.0f} s")
    client_id, secret = await store.create_credentials("bench", role="read-only")
    blueprint = (
        "item"
        if catalog is None
        else max((await store.count_entities()).items(), key=lambda kv: kv[1])[0]
    )
    transport = httpx.ASGITransport(app=create_app(store))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        form = (await client.get("/ui/login")).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf is not None
        await client.post(
            "/ui/login",
            data={"csrf": csrf.group(1), "client_id": client_id, "client_secret": secret},
        )
        path = f"/ui/blueprints/{blueprint}/entities"
        cases = CASES if catalog is None else FAKE_CASES
        print(
            f"entity table of {blueprint!r} ({sum((await store.count_entities()).values()):,} entities), median of 5:"
        )
        for name, params in cases.items():
            print(f"  {name:<40} {await timed(client, path, params):7.1f} ms")
    await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=200_000)
    parser.add_argument("--catalog", type=Path)
    options = parser.parse_args()
    asyncio.run(main(options.entities, options.catalog))
