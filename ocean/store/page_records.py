"""Page records as both catalogs keep them (pure): one JSON text per page beside its
digest, holding each entity's key and version, so that the database itself checks which
records still hold."""

from __future__ import annotations

from typing import Any

import orjson

from ocean.store.base import PageRecord

EncodedRecord = tuple[bytes, str]
"""A record as the embedded catalog is handed it: its digest and :func:`encoded` text (text
crosses to the catalog's process for a fraction of what its key tuples cost to pickle)."""


def encoded(record: PageRecord) -> str:
    """``{"entries": [[blueprint, identifier, version], ...], "counts": {...},
    "misconfigured": {path: jq}}``."""
    entries = [
        (blueprint, identifier, version)
        for (blueprint, identifier), version in zip(record.keys, record.versions, strict=True)
    ]
    body = {"entries": entries, "counts": record.counts, "misconfigured": record.misconfigured}
    return orjson.dumps(body).decode()


def decoded(digest: bytes, text: Any) -> PageRecord:
    return from_body(digest, orjson.loads(text))


def from_body(digest: bytes, body: dict[str, Any]) -> PageRecord:
    """The record of a parsed :func:`encoded` text."""
    entries = body["entries"]
    keys = [(blueprint, identifier) for blueprint, identifier, _ in entries]
    versions = [version for _, _, version in entries]
    misconfigured = body.get("misconfigured") or {}
    return PageRecord(bytes(digest), keys, versions, body["counts"], misconfigured)
