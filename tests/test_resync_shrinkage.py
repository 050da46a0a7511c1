"""A kind that suddenly yields (almost) nothing keeps its entities, even where the catalog's
own count of its blueprint cannot tell: a blueprint another kind fills too, or one computed
from the data (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.store.open import open_store
from tests.conftest import TEAMS, Workspace, resource, services


def _services(query: str, blueprint: str = '"service"') -> dict[str, Any]:
    block = resource("service", "service", properties={"url": ".url", "stars": ".stars"})
    block["selector"]["query"] = query
    block["port"]["entity"]["mappings"]["blueprint"] = blueprint
    return block


SHARED = {  # two kinds fill one blueprint: the starred services and the others
    "resources": [resource("team", "team"), _services(".stars >= 5"), _services(".stars < 5")]
}
COMPUTED = {"resources": [resource("team", "team"), _services("true", '"serv" + "ice"')]}
STARRED, PLAIN = services(10, stars=5), services(10, stars=1, start=10)


@pytest.mark.parametrize(
    ("mapping", "before", "after", "kept"),
    [
        pytest.param(SHARED, STARRED + PLAIN, PLAIN, 20, id="a-blueprint-two-kinds-share"),
        pytest.param(COMPUTED, STARRED, [], 10, id="a-computed-blueprint"),
    ],
)
async def test_a_kind_that_yields_nothing_keeps_its_entities_and_says_why(
    workspace: Workspace,
    catalog: str,
    mapping: dict[str, Any],
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    kept: int,
) -> None:
    workspace.set_mapping(mapping)
    workspace.set_data(services=[before], teams=TEAMS)
    await workspace.sail(catalog)
    workspace.set_data(services=[after], teams=TEAMS)

    emptied = await workspace.sail(catalog)
    again = await workspace.sail(catalog)  # still empty: still weighed against the past

    for report in (emptied, again):
        assert report.status == "completed" and report.deleted == 0
        assert any("produced 0 entities against 10 before" in n for n in report.deletion_notes)
    assert len(await workspace.entities("service", catalog=catalog)) == kept


async def _starred_kind_emptied(workspace: Workspace, catalog: str) -> None:
    """Synced with both kinds of SHARED full, then with the starred kind empty (held)."""
    workspace.set_mapping(SHARED)
    workspace.set_data(services=[STARRED + PLAIN], teams=TEAMS)
    await workspace.sail(catalog)
    workspace.set_data(services=[PLAIN], teams=TEAMS)
    await workspace.sail(catalog)


async def test_a_threshold_of_1_for_one_resync_accepts_the_new_size(
    workspace: Workspace, catalog: str
) -> None:
    await _starred_kind_emptied(workspace, catalog)

    workspace.set_mapping(SHARED | {"entityDeletionThreshold": 1})
    accepted = await workspace.sail(catalog)
    workspace.set_mapping(SHARED)
    after = await workspace.sail(catalog)

    assert accepted.deleted == 10 and after.deleted == 0
    assert not any("produced" in note for note in after.deletion_notes)
    assert sorted(await workspace.entities("service", catalog=catalog)) == sorted(
        s["id"] for s in PLAIN
    )


async def test_once_what_a_shrunk_kind_kept_is_gone_its_new_size_is_taken(
    workspace: Workspace, catalog: str
) -> None:
    await _starred_kind_emptied(workspace, catalog)
    store = await open_store(catalog)
    try:  # someone deletes the leftovers by hand
        await store.delete_entities(
            [("service", s["id"]) for s in STARRED], delete_dependents=False
        )
    finally:
        await store.close()

    accepted = await workspace.sail(catalog)
    workspace.set_data(services=[PLAIN[:5]], teams=TEAMS)  # the plain kind halves: allowed
    after = await workspace.sail(catalog)

    assert accepted.deleted == 0 and not accepted.deletion_notes
    assert after.deleted == 5, after.deletion_notes
