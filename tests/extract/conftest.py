"""What the extract tests share."""

from __future__ import annotations

from ocean.errors import ExtractError
from ocean.extract.extract import extract
from ocean.integration import Integration


async def extracted(ocean: Integration, kind: str) -> tuple[list[str], ExtractError | None]:
    """The ids of the kind's items, in the order extracted, and the kind's error (None:
    it succeeded)."""
    ids: list[str] = []
    try:
        async for batch in extract(ocean, kind):
            ids += [item["id"] for item in batch]
    except ExtractError as error:
        return ids, error
    return ids, None
