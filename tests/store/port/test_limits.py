"""What one Port API call may carry, as offered in a token answer's header."""

from __future__ import annotations

import dataclasses

import pytest

from ocean.store.port.limits import OCEAN_SERVER, PORT, Limits


@pytest.mark.parametrize(
    ("header", "limits"),
    [
        pytest.param(None, None, id="port-offers-nothing"),
        pytest.param("", None, id="empty"),
        pytest.param("not json", None, id="not-json"),
        pytest.param("[1, 2]", None, id="not-an-object"),
        pytest.param('{"bulk_entities": "many"}', None, id="not-a-number"),
        pytest.param(OCEAN_SERVER.header(), OCEAN_SERVER, id="oceans-server"),
        pytest.param(
            '{"bulk_entities": 500, "from_a_newer_server": 1}',
            dataclasses.replace(PORT, bulk_entities=500),
            id="partial-and-unknown-fields",
        ),
    ],
)
def test_an_offer_is_read_where_understood_and_ignored_otherwise(
    header: str | None, limits: Limits | None
) -> None:
    assert Limits.from_header(header) == limits
