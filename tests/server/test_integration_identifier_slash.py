"""An integration credential owns only the entities of its own integration, whatever
characters the integration identifiers hold: one bound to ``team`` may not change those
written by one bound to ``team/a`` (refused as a credential's integration: their datasource, ``port-ocean/api/0/team/a/exporter``,
was read as ``team``'s), over SQLite and PostgreSQL."""

from __future__ import annotations

from ocean.errors import CredentialError
from tests.server.test_access import SERVICE, Served, served  # noqa: F401  (fixture)


async def test_an_integration_cannot_change_what_one_named_under_it_wrote(
    served: Served,  # noqa: F811
) -> None:
    admin = await served.client("admin", "admin")
    try:
        nested = await served.client("nested", "integration", "team/a")
    except CredentialError as refused:  # no credential of such an integration at all
        assert "/" in str(refused)
        await admin.aclose()
        return
    outer = await served.client("outer", "integration", "team")
    nested.headers["User-Agent"] = outer.headers["User-Agent"] = "scripts/1"
    async with admin, nested, outer:
        assert (await admin.post("/v1/blueprints", json=SERVICE)).status_code == 201
        made = await nested.post(
            "/v1/blueprints/service/entities?upsert=true", json={"identifier": "s1", "title": "A"}
        )
        overwritten = await outer.post(
            "/v1/blueprints/service/entities?upsert=true", json={"identifier": "s1", "title": "X"}
        )
        kept = (await admin.get("/v1/blueprints/service/entities/s1")).json()["entity"]

        assert made.status_code == 201, made.text
        assert overwritten.status_code == 403, overwritten.text
        assert kept["title"] == "A"
