"""The bulk upsert route answers 404 ``not_found`` for a blueprint that does not exist
(port-api.md §10: "Unknown blueprint in the path gives 404"), whatever the body holds,
over SQLite and PostgreSQL."""

from __future__ import annotations

import httpx


async def test_bulk_upsert_of_no_entities_to_a_missing_blueprint_is_404(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.post(
        "/v1/blueprints/nowhere/entities/bulk?upsert=true", json={"entities": []}
    )

    assert answer.status_code == 404, answer.text
    assert answer.json()["error"] == "not_found"
