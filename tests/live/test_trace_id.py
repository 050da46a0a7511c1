"""An event's trace id, made for every event the route checks."""

from __future__ import annotations

import uuid

from ocean.live.processor import new_trace_id


def test_a_trace_id_is_a_random_version_4_uuid_as_uuid_writes_it() -> None:
    ids = [new_trace_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
