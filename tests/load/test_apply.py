"""Writing mapped entities: a resync's writes are marked as not needing to be durable."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.load.apply import write_entities
from ocean.mapping import PortAppConfig
from ocean.store.base import Owner, WriteOutcome
from ocean.store.writes import PreparedBatch
from ocean.types import Entity


class _PreparingCatalog:
    """A catalog that prepares writes ahead and keeps the options each write came with."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def prepare_writes(self, entities: list[Entity]) -> PreparedBatch | None:
        return None

    async def upsert_prepared(
        self, entities: list[Entity], prepared: PreparedBatch | None, **options: Any
    ) -> list[WriteOutcome]:
        self.calls.append(options)
        return []


@pytest.mark.parametrize("durable", [True, False])
async def test_a_write_says_whether_it_must_be_durable(durable: bool) -> None:
    catalog = _PreparingCatalog()
    entity = {"identifier": "a", "blueprint": "svc"}

    await write_entities(
        catalog,  # type: ignore[arg-type]
        [entity],
        owner=Owner("fake", "f-1", "1.0"),
        mapping=PortAppConfig(resources=[]),
        durable=durable,
    )

    assert catalog.calls[0]["durable"] is durable
