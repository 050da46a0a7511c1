"""Pages already synced and unchanged since: recognised by digest, not mapped again.

An unchanged rerun spends most of its time mapping raw pages into the very entities the
catalog already holds. A catalog that remembers pages (SQLite or PostgreSQL) keeps, per
resource, each page's digest and the entities it produced at the versions it left them
(each write of an entity gives it a new version). On the next resync a page with the
same digest, under the same mapping and blueprints, whose entities nobody has written
since, is skipped: its entities count as unchanged and stay owned. Anything else is
mapped and written as usual, so an entity edited or deleted in the catalog meanwhile is
repaired as before.

Only pages that mapped and were written without an error are remembered: a page with a
mapping error or a failed write is mapped again next time, so its problem is reported
(and retried) every run; a skipped page's null fields are reported again from its record. A
mapping that reads the clock or the environment (``now``, ``env``, ``$ENV``, ``input``)
is never skipped. The digest is of the page as JSON, so a page that does not serialise is
never remembered, and one whose only change is a null becoming NaN or infinity (which JSON
writes as null) is taken as unchanged.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from ocean.mapping import to_document
from ocean.store.base import PageRecord, WriteOutcome
from ocean.transform.mapper import CompiledResource, MapSummary
from ocean.types import EntityKey, RawBatch
from ocean.version import __version__

FORMAT = 1
"""Bumped when what a page maps to could change for the same mapping text."""
_IMPURE = re.compile(r"(?<![\w$.])(now|env|input|inputs|input_filename)(?!\w)|\$ENV")


def fingerprint(
    resource: CompiledResource, flags: dict[str, Any], blueprints: dict[str, dict[str, Any]]
) -> str | None:
    """What a page's entities depend on besides the page; None when the mapping is not a
    pure function of the page (it reads the clock or the environment)."""
    config = to_document(resource.resource)
    if any(_IMPURE.search(text) for text in _strings(config)):
        return None
    text = json.dumps(config, sort_keys=True)
    shapes = {
        name: {k: v for k, v in body.items() if k not in ("createdAt", "updatedAt")}
        for name, body in blueprints.items()
    }
    material = [FORMAT, __version__, text, flags, shapes]
    return hashlib.sha1(json.dumps(material, sort_keys=True).encode()).hexdigest()


def page_digest(text: bytes | None) -> bytes | None:
    """The digest of a raw page's JSON (:func:`page_json`)."""
    return None if text is None else hashlib.sha1(text).digest()


def page_json(batch: RawBatch) -> tuple[bytes | None, bool]:
    """A raw page as JSON (None when it does not serialise) and whether that JSON is
    exact: dates, dataclasses and subclasses of JSON's types (a ``str`` enum) serialise
    but do not read back as themselves."""
    try:
        return orjson.dumps(batch, option=_EXACT), True
    except TypeError:
        pass
    try:
        return orjson.dumps(batch), False
    except TypeError:
        return None, False


_EXACT = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
"""With these, what orjson would write as something else fails instead."""


@dataclass
class PageMemo:
    """The page memo of one resource during one resync: what was recalled, what to keep."""

    slot: str
    """The resource it belongs to (its index and kind)."""
    fingerprint: str
    recalled: dict[bytes, PageRecord]
    kept: list[PageRecord] = field(default_factory=list)

    def hit(self, digest: bytes | None) -> PageRecord | None:
        """The remembered page of this digest, now counted as kept."""
        record = self.recalled.get(digest) if digest is not None else None
        if record is not None:
            self.kept.append(record)
        return record

    def remember(self, page: PendingPage, outcomes: list[WriteOutcome]) -> None:
        """Keep a mapped page whose every entity was written (or left unchanged) cleanly."""
        versions = [o.version for o in outcomes if o.ok and o.version is not None]
        if page.digest is None or len(versions) != len(outcomes):
            return
        keys = [(o.blueprint, o.identifier) for o in outcomes]
        self.kept.append(PageRecord(page.digest, keys, versions, page.counts, page.misconfigured))

    def to_keep(self) -> list[PageRecord] | None:
        """What to remember for the next resync, or None when that is what was recalled.

        Only pages whose entities no other page produced are kept (a page overwriting
        another's entity, or seen twice, must be mapped again, in order)."""
        if len(self.kept) == len(self.recalled) and all(
            self.recalled.get(record.digest) is record for record in self.kept
        ):
            return None  # each recalled page once: no entity in two of them, as when kept
        keys = [key for record in self.kept for key in record.keys]
        kept = self.kept
        if len(set(keys)) != len(keys):
            seen: dict[EntityKey, int] = {}
            for record in self.kept:
                for key in set(record.keys):  # a page may name an entity twice
                    seen[key] = seen.get(key, 0) + 1
            kept = [r for r in kept if all(seen[k] == 1 for k in r.keys)]
        # A digest kept is either a recalled record skipped again or a new one: the same
        # digests mean the same records.
        if {r.digest for r in kept} == self.recalled.keys():
            return None
        return list({r.digest: r for r in kept}.values())


@dataclass(frozen=True)
class PendingPage:
    """A mapped page waiting to be written: its digest, where its entities sit in the
    write, its mapping counts and null fields; ``digest`` is None when it must not be
    remembered."""

    digest: bytes | None
    start: int
    end: int
    counts: dict[str, int]
    misconfigured: dict[str, str]


def pending_page(digest: bytes | None, start: int, mapped: MapSummary) -> PendingPage:
    counts = {
        "mapped": mapped.mapped,
        "skipped": mapped.skipped,
        "dropped": mapped.dropped,
        "filtered_out": mapped.filtered_out,
    }
    end = start + mapped.mapped
    digest = digest if mapped.clean else None
    return PendingPage(digest, start, end, counts, mapped.misconfigurations)


def _strings(value: Any) -> list[str]:
    """Every string value (the jq expressions among them) in a JSON document."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []
