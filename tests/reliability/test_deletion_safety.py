"""Stale deletion never takes what a resync produced, and an emptied kind keeps its entities
(real resyncs into SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from ocean.load import stale_deletes
from ocean.store.base import Owner
from ocean.store.open import open_store
from tests.conftest import DEFAULT_MAPPING, TEAMS, Workspace, resource, services

PACKAGES_MAIN = """
import json
from ocean import Integration

ocean = Integration()

@ocean.on_resync("package")
async def packages(kind):
    with open(ocean.integration_config["data_file"]) as handle:
        return json.load(handle)["package"]
"""

PACKAGE = {
    "identifier": "package",
    "title": "Package",
    "schema": {"properties": {"section": {"type": "string"}}},
    "relations": {"dependsOn": {"target": "package", "many": True, "required": False}},
}


def _packages() -> list[dict[str, Any]]:
    """Section b: b1 (nothing fresh uses it), b2 (uses b1; every a-package uses it), b3
    (lonely). Section a: ten packages that depend on b2."""
    return [
        {"id": "b1", "section": "b", "deps": []},
        {"id": "b2", "section": "b", "deps": ["b1"]},
        {"id": "b3", "section": "b", "deps": []},
        *({"id": f"a{i}", "section": "a", "deps": ["b2"]} for i in range(10)),
    ]


def _package_mapping(query: str) -> dict[str, Any]:
    packages = resource(
        "package", "package", properties={"section": ".section"}, relations={"dependsOn": ".deps"}
    )
    packages["selector"]["query"] = query
    return {
        "deleteDependentEntities": True,
        "createMissingRelatedEntities": True,
        "entityDeletionThreshold": 1,
        "resources": [packages],
    }


async def _packages_synced(workspace: Workspace, catalog: str, packages: list[Any]) -> None:
    """The packages integration in ``workspace``, synced once with every package."""
    (workspace.folder / "main.py").write_text(PACKAGES_MAIN)
    (workspace.folder / ".port" / "resources" / "blueprints.json").write_text(json.dumps([PACKAGE]))
    workspace.data_file.write_text(json.dumps({"package": packages}))
    workspace.set_mapping(_package_mapping("true"))
    await workspace.sail(catalog)


async def test_a_cascade_from_stale_packages_never_deletes_packages_just_produced(
    workspace: Workspace, catalog: str
) -> None:
    await _packages_synced(workspace, catalog, _packages())

    workspace.set_mapping(_package_mapping('.section != "b"'))
    report = await workspace.sail(catalog)

    left = sorted(await workspace.entities("package", catalog))
    assert left == sorted([*(f"a{i}" for i in range(10)), "b1", "b2"])
    assert report.deleted == 1 and report.deleted_by_cascade == 0
    notes = " ".join(report.deletion_notes)
    assert "kept 2 stale entities that kept entities still relate to" in notes

    rerun = await workspace.sail(catalog)  # the catalog does not swing between runs
    assert rerun.deleted == 0
    assert sorted(await workspace.entities("package", catalog)) == left


@pytest.mark.parametrize(
    ("threshold", "teams_left"),
    [
        pytest.param(0.9, ["core", "edge"], id="kept-and-reported"),
        pytest.param(1, ["core"], id="threshold-1-lets-it-go"),
    ],
)
async def test_a_kind_that_suddenly_returns_nothing_keeps_its_entities(
    workspace: Workspace, catalog: str, threshold: float, teams_left: list[str]
) -> None:
    workspace.set_data(services=[services(40)], teams=TEAMS)
    await workspace.sail(catalog)
    workspace.set_mapping(DEFAULT_MAPPING | {"entityDeletionThreshold": threshold})
    workspace.set_data(services=[services(40)], teams=[])

    report = await workspace.sail(catalog)

    assert sorted(await workspace.entities("team", catalog)) == teams_left
    notes = " ".join(report.deletion_notes)
    assert ("kept the stale team entities" in notes) is (threshold < 1)
    assert ("used by" in notes) is (threshold == 1)  # core: every service relates to it


@pytest.mark.parametrize("dependents", [False, True], ids=["plain", "with-dependents"])
async def test_stale_entities_relating_to_each_other_go_a_chunk_at_a_time(
    workspace: Workspace, catalog: str, dependents: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = [{"id": f"p{i}", "section": "b", "deps": [f"p{i - 1}"] if i else []} for i in range(6)]
    cycle = [  # a cycle, and what it relates to behind it
        {"id": "c1", "section": "b", "deps": ["c2", "c3"]},
        {"id": "c2", "section": "b", "deps": ["c1"]},
        {"id": "c3", "section": "b", "deps": []},
    ]
    await _packages_synced(workspace, catalog, chain + cycle)
    monkeypatch.setattr(stale_deletes, "DELETE_CHUNK", 1)  # a transaction per entity

    workspace.set_mapping(
        _package_mapping('.section != "b"') | {"deleteDependentEntities": dependents}
    )
    report = await workspace.sail(catalog)

    assert await workspace.entities("package", catalog) == {}
    assert report.deleted == 9 and not report.deletion_notes


async def _write(catalog: str, entity: dict[str, Any]) -> None:
    """Someone else's write (a live event, a user), through another store."""
    store = await open_store(catalog)
    try:
        outcomes = await store.upsert_entities([entity], owner=Owner("testing", "live"), merge=True)
        assert all(outcome.ok for outcome in outcomes)
    finally:
        await store.close()


async def test_a_cascade_spares_a_dependent_whose_target_is_written_between_chunks(
    workspace: Workspace, catalog: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _packages_synced(workspace, catalog, _packages())
    mine = {"identifier": "mine", "blueprint": "package", "relations": {"dependsOn": ["b3"]}}
    await _write(catalog, mine)  # not the integration's: a cascade takes it along with b3
    monkeypatch.setattr(stale_deletes, "DELETE_CHUNK", 1)  # mine's chunk, then b3's
    loop, planned = asyncio.get_running_loop(), stale_deletes.causes_for
    live = {"identifier": "b3", "blueprint": "package", "title": "edited live"}

    def live_event_then_plan(*args: Any) -> Any:  # runs on a thread before each chunk
        if args[0] == [("package", "mine")]:
            asyncio.run_coroutine_threadsafe(_write(catalog, live), loop).result()
        return planned(*args)

    monkeypatch.setattr(stale_deletes, "causes_for", live_event_then_plan)
    workspace.set_mapping(_package_mapping('.section != "b"'))
    report = await workspace.sail(catalog)

    left = await workspace.entities("package", catalog)
    assert left["b3"]["title"] == "edited live" and "mine" in left  # before: mine was gone
    assert report.deleted == 0
    notes = " ".join(report.deletion_notes)
    assert "kept 1 entities the cascade would have taken along" in notes
