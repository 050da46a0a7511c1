"""Page records as every backend keeps them (pure): how a record is stored, and which
records still hold against the entities' current versions."""

from __future__ import annotations

from typing import Any

import orjson

from ocean.store.base import PageRecord, version_stamp
from ocean.types import EntityKey


def encoded(record: PageRecord) -> bytes:
    """A record's keys and counts as stored beside its digest and stamp."""
    return orjson.dumps({"keys": record.keys, "counts": record.counts})


def decoded(digest: bytes, stamp: bytes, text: Any) -> PageRecord:
    body = orjson.loads(text)
    keys = [(blueprint, identifier) for blueprint, identifier in body["keys"]]
    return PageRecord(bytes(digest), keys, bytes(stamp), body["counts"])


def still_valid(records: list[PageRecord], versions: dict[EntityKey, int]) -> list[PageRecord]:
    """The records whose entities all hold the versions they were stamped with (an entity
    missing from ``versions`` was deleted or is no longer owned)."""
    return [r for r in records if version_stamp([(k, versions.get(k)) for k in r.keys]) == r.stamp]


def wanted_keys(records: list[PageRecord]) -> list[EntityKey]:
    """Every entity the records name, once, in key order (index-friendly reads)."""
    return sorted({key for record in records for key in record.keys})
