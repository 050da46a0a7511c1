"""Stale deletion never takes what a resync produced, and an emptied kind keeps its entities
(real resyncs into SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ocean import resync
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


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request: pytest.FixtureRequest, workspace: Workspace, postgres_url: str) -> str:
    return str(workspace.catalog) if request.param == "sqlite" else postgres_url


async def test_a_cascade_from_stale_packages_never_deletes_packages_just_produced(
    workspace: Workspace, catalog: str
) -> None:
    (workspace.folder / "main.py").write_text(PACKAGES_MAIN)
    (workspace.folder / ".port" / "resources" / "blueprints.json").write_text(json.dumps([PACKAGE]))
    workspace.data_file.write_text(json.dumps({"package": _packages()}))
    workspace.set_mapping(_package_mapping("true"))
    await workspace.sail(catalog)

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
    (workspace.folder / "main.py").write_text(PACKAGES_MAIN)
    (workspace.folder / ".port" / "resources" / "blueprints.json").write_text(json.dumps([PACKAGE]))
    workspace.data_file.write_text(json.dumps({"package": chain + cycle}))
    workspace.set_mapping(_package_mapping("true"))
    await workspace.sail(catalog)
    monkeypatch.setattr(resync, "DELETE_CHUNK", 1)  # a transaction per entity

    workspace.set_mapping(
        _package_mapping('.section != "b"') | {"deleteDependentEntities": dependents}
    )
    report = await workspace.sail(catalog)

    assert await workspace.entities("package", catalog) == {}
    assert report.deleted == 9 and not report.deletion_notes
