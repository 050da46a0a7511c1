"""An integration's delete with ``delete_dependents=true`` deletes only what its
credential may delete: the entities the cascade takes are checked against the owner in
the deletion itself, so one another integration writes while the check walks the
dependents is not deleted by a credential that may not delete it (over SQLite and
PostgreSQL, on the server over loopback)."""

from __future__ import annotations

import asyncio

from tests.server.test_access import Served, _agent, served  # noqa: F401  (fixture)

NODE = {
    "identifier": "node",
    "title": "Node",
    "schema": {"properties": {}},
    "relations": {"parent": {"target": "node", "many": False, "required": False}},
}
_CHAIN = 400
"""A's entities relating each to the one before (the check walks them a level a call)."""


async def test_a_cascade_never_deletes_what_another_integration_wrote_meanwhile(
    served: Served,  # noqa: F811
) -> None:
    admin = await served.client("admin", "admin")
    a = await served.client("a", "integration", "team-a")
    b = await served.client("b", "integration", "team-b")
    async with admin, a, b:
        assert (await admin.post("/v1/blueprints", json=NODE)).status_code == 201
        chain = [{"identifier": "n0", "title": "n0"}] + [
            {"identifier": f"n{i}", "title": f"n{i}", "relations": {"parent": f"n{i - 1}"}}
            for i in range(1, _CHAIN)
        ]
        for start in range(0, _CHAIN, 20):
            written = await a.post(
                "/v1/blueprints/node/entities/bulk?upsert=true",
                json={"entities": chain[start : start + 20]},
            )
            assert written.status_code == 200, written.text

        async def b_writes() -> int:
            await asyncio.sleep(0.01)  # once A's check has read n0's dependents
            answer = await b.post(
                "/v1/blueprints/node/entities?upsert=true",
                json={"identifier": "b1", "title": "B's", "relations": {"parent": "n0"}},
            )
            return answer.status_code

        deleting = asyncio.ensure_future(
            a.post(
                "/v1/blueprints/node/bulk/entities/delete?delete_dependents=true",
                json={"entities": ["n0"]},
            )
        )
        b_status = await b_writes()
        b_done_first = not deleting.done()
        deleted = await deleting

        stored = await admin.get("/v1/blueprints/node/entities/b1")
        assert b_status == 201
        assert b_done_first, "A's check ended before B wrote: lengthen the chain"
        # B's entity, acknowledged, is not A's to delete: A's deletion is refused or keeps it
        assert stored.status_code == 200, (deleted.status_code, deleted.text[:300])
        answer = deleted.json()
        assert "b1" not in answer.get("deletedEntities", [])
        left = (await admin.get("/v1/blueprints/node/entities/n0")).status_code
        if deleted.status_code == 403:  # B wrote before A's check reached n0's dependents
            assert left == 200
        else:
            assert (left == 200) == ("n0" in answer.get("keptEntities", [])), answer
