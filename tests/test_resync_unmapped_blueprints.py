"""Stale entities of a blueprint no completed kind maps: kept while a kind failed (its
mapping may name a new blueprint by mistake, and the entities be its own), deleted, and
said so, once every kind completes (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.load.deletion import Stale, plan_deletion
from tests.conftest import TEAMS, Workspace, resource, services


def _mapping(service_blueprint: str | None) -> dict[str, Any]:
    """Teams, and services mapped to ``service_blueprint`` (None: no service kind)."""
    resources = [resource("team", "team")]
    if service_blueprint is not None:
        resources.append(
            resource(
                "service",
                service_blueprint,
                properties={"url": ".url"},
                relations={"team": ".team"},
            )  # fmt: skip
        )
    return {"entityDeletionThreshold": 1, "resources": resources}


@pytest.mark.parametrize(
    ("service_blueprint", "services_left", "note"),
    [
        pytest.param(
            "servicez",  # a typo: no such blueprint, the kind fails
            3,
            "kept 3 stale entities of blueprints no completed kind maps: service (3); a kind "
            "failed",
            id="a-kind-failed-keeps-them",
        ),
        pytest.param(
            None,  # the kind is gone from the mapping: every kind completes
            0,
            "deleted 3 stale entities of blueprints no kind of the mapping produces any more: "
            "service (3)",
            id="every-kind-completed-deletes-them",
        ),
    ],
)
async def test_a_blueprint_no_completed_kind_maps_keeps_its_entities_while_a_kind_failed(
    workspace: Workspace,
    catalog: str,
    service_blueprint: str | None,
    services_left: int,
    note: str,
) -> None:
    workspace.set_data(services=[services(3)], teams=TEAMS)
    await workspace.sail(catalog)
    workspace.set_mapping(_mapping(service_blueprint))
    workspace.set_data(services=[services(3)], teams=TEAMS[:1])  # team edge is stale

    report = await workspace.sail(catalog)

    assert len(await workspace.entities("service", catalog)) == services_left
    assert sorted(await workspace.entities("team", catalog)) == ["core"]  # still deleted
    assert report.deleted == 1 + 3 - services_left
    assert [kind.deleted for kind in report.kinds if kind.kind == "team"] == [1]
    assert note in " ".join(report.deletion_notes)


@pytest.mark.parametrize(
    ("deletable", "deleted", "kept"),
    [
        pytest.param({"team"}, [], {"thing": 1}, id="a-kind-failed"),
        pytest.param(
            None,
            [("team", "t2"), ("thing", "uses-t2"), ("thing", "x")],
            {},
            id="every-kind-completed",
        ),
    ],
)
def test_a_cascade_takes_nothing_of_a_blueprint_no_completed_kind_maps(
    deletable: set[str] | None, deleted: list[tuple[str, str]], kept: dict[str, int]
) -> None:
    stale = Stale(
        candidates={("team", "t2"), ("thing", "x")},
        produced={("team", "t1")},
        deletable_blueprints=deletable,
        total_owned=4,
    )
    graph = {("team", "t2"): {("thing", "uses-t2")}}

    plan = plan_deletion(stale, graph, set(), delete_dependents=True, threshold=1)

    assert plan.delete == deleted
    assert plan.kept_unmapped == kept
    if deletable is not None:  # the thing relating to t2 is kept, and so is t2
        assert plan.kept_in_use == {("team", "t2"): ("thing", "uses-t2")}
