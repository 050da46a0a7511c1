"""Page records as both catalogs keep them (pure): one JSON text per page beside its
digest, holding each entity's key and version, so that the database itself checks which
records still hold."""

from __future__ import annotations

from typing import Any

import orjson

from ocean.store.base import PageRecord


def encoded(record: PageRecord) -> str:
    """``{"entries": [[blueprint, identifier, version], ...], "counts": {...}}``."""
    entries = [
        (blueprint, identifier, version)
        for (blueprint, identifier), version in zip(record.keys, record.versions, strict=True)
    ]
    return orjson.dumps({"entries": entries, "counts": record.counts}).decode()


def decoded(digest: bytes, text: Any) -> PageRecord:
    body = orjson.loads(text)
    entries = body["entries"]
    keys = [(blueprint, identifier) for blueprint, identifier, _ in entries]
    return PageRecord(bytes(digest), keys, [version for _, _, version in entries], body["counts"])
