"""The entity table's free-text search folds case beyond ASCII on SQLite as PostgreSQL's
``ILIKE`` does: identifier and title, whatever the case of either side."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ocean.store.base import Owner, Store
from ocean.store.browse import Browse
from ocean.store.paging import browse
from tests.server.serving import fresh_catalog

ENTITIES = [
    {"identifier": "ecole", "blueprint": "s", "title": "École Polytechnique"},
    {"identifier": "zurich", "blueprint": "s", "title": "zürich office"},
    {"identifier": "Ölwerk", "blueprint": "s", "title": "Oil"},
    {"identifier": "Upper", "blueprint": "s", "title": "UPPER case"},
    {"identifier": "quote", "blueprint": "s", "title": 'Say "ΣΊΣΥΦΟΣ"'},
]


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with fresh_catalog(request.param, tmp_path) as catalog:
        kept: Store = catalog  # type: ignore[assignment]
        await kept.create_blueprints([{"identifier": "s", "title": "S", "schema": {}}])
        written = await kept.upsert_entities(ENTITIES, owner=Owner("f", "f", "1"), merge=False)  # type: ignore[arg-type]
        assert all(w.status == "created" for w in written), written
        yield kept


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("école", ["ecole"]),
        ("ÉCOLE", ["ecole"]),
        ("Polytechnique", ["ecole"]),
        ("ZÜRICH", ["zurich"]),
        ("Zürich OFF", ["zurich"]),
        ("ölw", ["Ölwerk"]),
        ("ÖLWERK", ["Ölwerk"]),
        ("upper", ["Upper"]),
        ("UPPER CASE", ["Upper"]),
        ('"σίσυφοσ"', ["quote"]),
        ("oil", ["Ölwerk"]),
        ("nothing", []),
    ],
)
async def test_free_text_folds_case_beyond_ascii(store: Store, text: str, found: list[str]) -> None:
    page = await browse(store, Browse("s", text=text))
    assert [e["identifier"] for e in page.entities] == found
