"""``ocean.register``, ``ocean.sync`` and ``ocean.update_raw_diff`` over the embedded
catalog, as the original's: entities (or raw items, mapped) written at once, outside a
resync, deleting what the call says is gone."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import pytest

from ocean.listen.once import start
from ocean.sail import prepare
from ocean.store.sqlite.store import SQLiteStore
from port_ocean.clients.port.types import UserAgentType
from port_ocean.context.ocean import PortOceanContext
from port_ocean.core.models import Entity
from tests.port_ocean.folders import entities_of, folder_of


@pytest.fixture
async def started(tmp_path: Path) -> AsyncIterator[tuple[Any, SQLiteStore]]:
    """The original-style folder started on an embedded catalog: its ``ocean`` and the
    catalog."""
    sail = prepare(folder_of(tmp_path), environ={}, overrides={})
    store = await SQLiteStore.open(tmp_path / "c.db")
    try:
        await start(sail, store)
        yield sail.folder.integration, store
    finally:
        await store.close()


def _project(identifier: str, title: str | None = None) -> Entity:
    return Entity(identifier=identifier, blueprint="project", title=title or identifier)


def _raw(key: str, name: str | None = None) -> dict[str, Any]:
    return {"key": key, "name": name or key, "archived": False}


async def _titles(store: SQLiteStore) -> dict[str, str]:
    return {key: entity.get("title") for key, entity in (await entities_of(store)).items()}


async def test_register_writes_the_entities_and_deletes_nothing(
    started: tuple[Any, SQLiteStore], caplog: pytest.LogCaptureFixture
) -> None:
    ocean, store = started
    await ocean.register([_project("A"), _project("B")])

    await ocean.register([_project("B", "B again"), Entity(identifier="x", blueprint="nope")])

    assert await _titles(store) == {"A": "A", "B": "B again"}
    assert "'nope'" in caplog.text  # refused: logged, as the original logs it


async def test_sync_makes_the_entities_all_that_user_agent_holds(
    started: tuple[Any, SQLiteStore],
) -> None:
    ocean, store = started
    await ocean.register([_project(key) for key in "ABCDE"])
    await ocean.register([_project("G")], UserAgentType.gitops)

    await ocean.sync([_project("B", "B again"), _project("F")], UserAgentType.exporter)

    assert await _titles(store) == {"B": "B again", "F": "F", "G": "G"}


async def test_sync_deleting_more_than_the_threshold_only_writes(
    started: tuple[Any, SQLiteStore], caplog: pytest.LogCaptureFixture
) -> None:
    ocean, store = started
    await ocean.register([_project("A"), _project("B")])

    with caplog.at_level(logging.INFO):
        await ocean.sync([_project("C")], UserAgentType.exporter)  # 2 of 2 > 0.9

    assert sorted(await _titles(store)) == ["A", "B", "C"]
    assert "not deleting 2 of the 2 entities" in caplog.text


async def test_update_raw_diff_maps_both_sides_and_deletes_what_only_before_had(
    started: tuple[Any, SQLiteStore],
) -> None:
    ocean, store = started
    await ocean.register_raw("project", [_raw("A"), _raw("B")])

    await ocean.update_raw_diff(
        "project", {"before": [_raw("A"), _raw("B")], "after": [_raw("B", "B2"), _raw("C")]}
    )

    assert await _titles(store) == {"B": "B2", "C": "C"}


async def test_update_raw_diff_deletes_nothing_when_an_item_after_cannot_be_mapped(
    started: tuple[Any, SQLiteStore], caplog: pytest.LogCaptureFixture
) -> None:
    ocean, store = started
    await ocean.register_raw("project", [_raw("A"), _raw("B")])
    broken = {"key": "C", "name": {1, 2}}  # not JSON

    await ocean.update_raw_diff(
        "project", {"before": [_raw("A")], "after": [_raw("B", "B2"), broken]}
    )

    assert await _titles(store) == {"A": "A", "B": "B2"}
    assert "could not be mapped, so nothing is deleted" in caplog.text


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("register", ([_project("A")], UserAgentType.exporter)),
        ("sync", ([_project("A")], UserAgentType.gitops)),
        ("update_raw_diff", ("project", {"before": [], "after": [_raw("A")]}, UserAgentType.exporter)),
        ("register_raw", ("project", [_raw("A")], UserAgentType.exporter)),
        ("unregister_raw", ("project", [_raw("A")], UserAgentType.gitops)),
    ],
)  # fmt: skip
async def test_in_an_integrations_own_tests_the_given_apps_integration_is_asked(
    call: str, args: tuple[Any, ...]
) -> None:
    app = MagicMock()
    setattr(app.integration, call, AsyncMock())
    context = PortOceanContext(app)

    await getattr(context, call)(*args)

    getattr(app.integration, call).assert_awaited_once_with(*args)


async def test_sync_keeps_the_entity_a_search_identifier_wrote(
    started: tuple[Any, SQLiteStore],
) -> None:
    """The original compares what it wrote (identifiers as the catalog resolved them) with
    what the integration held: the entity a search identifier found is written, not gone."""
    ocean, store = started
    await ocean.register([_project("A"), _project("B")])
    by_search = {
        "combinator": "and",
        "rules": [{"property": "$identifier", "operator": "=", "value": "B"}],
    }

    await ocean.sync(
        [_project("A"), Entity(identifier=by_search, blueprint="project", title="B again")],
        UserAgentType.exporter,
    )

    assert await _titles(store) == {"A": "A", "B": "B again"}


async def test_raw_items_registered_as_another_writer_are_its_own(
    started: tuple[Any, SQLiteStore],
) -> None:
    """The original's third argument: written as ``gitops``, an entity is not among what
    the integration's own ``sync`` holds (and deletes), and ``gitops`` unregisters it."""
    ocean, store = started
    await ocean.register_raw("project", [_raw("A")])
    await ocean.register_raw("project", [_raw("B"), _raw("C")], UserAgentType.gitops)
    await ocean.unregister_raw("project", [_raw("C")], UserAgentType.gitops)

    await ocean.sync([_project("A", "A again")], UserAgentType.exporter)

    assert await _titles(store) == {"A": "A again", "B": "B"}
