"""What live-event processors return, mapped into the changes to write: an item holding a
value that is not JSON is neither written nor deleted, and is named with its field."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.live.apply import changes_of
from ocean.live.processor import WebhookEventRawResults
from ocean.mapping import parse_resource
from ocean.transform.mapper import CompiledResource

SERVICE = CompiledResource(
    parse_resource(
        {
            "kind": "service",
            "port": {
                "entity": {
                    "mappings": {
                        "identifier": ".id",
                        "blueprint": '"service"',
                        "title": ".name",
                    }
                }
            },
        }
    ),
    env=None,
)


@pytest.mark.parametrize(
    ("value", "type_name", "hint"),
    [(b"x", "bytes", "decode it"), ({1, 2}, "set", "turn it into a list")],
    ids=["bytes", "set"],
)
@pytest.mark.parametrize("side", ["updated", "deleted"])
async def test_an_item_that_is_not_json_is_skipped_and_named(
    value: Any, type_name: str, hint: str, side: str
) -> None:
    items = [{"id": "bad", "name": value}, {"id": "good", "name": "Good"}]
    raw = WebhookEventRawResults(**{f"{side}_raw_results": items})

    changes = await changes_of([(SERVICE, raw)], 0.0)

    keys = [entity["identifier"] for entity in changes.upserts]
    assert (keys, changes.gone) == (
        (["good"], []) if side == "updated" else ([], [("service", "good")])
    )
    (error,) = changes.errors
    assert "kind 'service', item 0" in error and "field 'name'" in error
    assert (
        f"type {type_name}" in error
        and hint in error
        and "raw results a processor returns" in error
    )
