"""Pages already synced and unchanged since: recognised by digest, not mapped again.

An unchanged rerun spends most of its time mapping raw pages into the very entities the
catalog already holds. A catalog that remembers pages (SQLite or PostgreSQL) keeps, per
resource, each page's digest and the entities it produced at the versions it left them
(each write of an entity gives it a new version). On the next resync a page with the
same digest, under the same mapping and blueprints, whose entities nobody has written
since, is skipped: its entities count as unchanged and stay owned. Anything else is
mapped and written as usual, so an entity edited or deleted in the catalog meanwhile is
repaired as before.

The records stay in the catalog where it can answer for them page by page
(:class:`CatalogBook`, SQLite and PostgreSQL): a resync asks about a group of pages at a
time and writes the records of the pages it maps as it goes (see
:mod:`ocean.load.page_claims`), so its memory does not grow with its pages. Ocean's catalog
server, which keeps a slot's records only whole, is recalled at the start (:class:`PageMemo`).

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
from typing import Any, Protocol

import orjson

from ocean.mapping import to_document
from ocean.produced import Produced
from ocean.store.base import Owner, PageRecord, RemembersPages, WriteOutcome
from ocean.store.page_records import ClaimedPage, ClaimsPages, PageShelf
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


class PageBook(Protocol):
    """One resource's page records during one resync: pages claimed as unchanged, records
    of the pages written cleanly kept, the rest dropped when the resource is done."""

    ordered: bool
    """Whether a claim is answered by the catalog as it is when asked, after the writes
    answered before it (:class:`CatalogBook`), rather than from a recall at the start."""

    @property
    def claims(self) -> bool:
        """Whether any page can be claimed (there are records to match)."""
        ...

    async def claim(self, digests: list[bytes]) -> dict[bytes, ClaimedPage]: ...
    async def keep(self, records: list[PageRecord]) -> None: ...
    async def settle(self) -> None: ...


@dataclass
class CatalogBook:
    """Records kept in the catalog (:class:`ClaimsPages`), asked about a group of pages at
    a time and written as the resync goes: nothing per page or entity is held here. A
    claimed page's keys are produced by the run, marked by the catalog itself (or the
    page, see :func:`~ocean.store.page_records.claimed_run`).

    Records need no check that no entity came from two pages: a claim is used only when
    the writes of every page before it had been answered when it was asked (see
    :mod:`ocean.kind_sync`), so a page whose record holds is skipped exactly when writing
    it would change nothing, whichever other pages wrote its entities."""

    store: ClaimsPages
    shelf: PageShelf
    claims: bool
    """Whether the slot holds any record under this fingerprint (none: a first sync, or a
    new mapping, claims nothing)."""
    ordered: bool = True

    async def claim(self, digests: list[bytes]) -> dict[bytes, ClaimedPage]:
        if not self.claims or not digests:
            return {}
        return {page.digest: page for page in await self.store.claim_pages(self.shelf, digests)}

    async def keep(self, records: list[PageRecord]) -> None:
        if records:
            await self.store.keep_pages(self.shelf, records)

    async def settle(self) -> None:
        await self.store.settle_pages(self.shelf)


@dataclass
class PageMemo:
    """Records a catalog keeps only whole (:class:`RemembersPages`: Ocean's catalog server
    through its client): recalled at the resource's start, the pages kept written back at
    its end, only those whose entities no other page produced (a page overwriting
    another's entity, or seen twice, must be mapped again, in order: the records were
    checked at the start, before this run's writes)."""

    store: RemembersPages
    owner: Owner
    slot: str
    fingerprint: str
    recalled: dict[bytes, PageRecord]
    produced: Produced | None = None
    kept: list[PageRecord] = field(default_factory=list)
    ordered: bool = False

    @property
    def claims(self) -> bool:
        return bool(self.recalled)

    async def claim(self, digests: list[bytes]) -> dict[bytes, ClaimedPage]:
        found: dict[bytes, ClaimedPage] = {}
        for digest in digests:  # a digest twice: a page seen twice, counted as kept twice
            record = self.recalled.get(digest)
            if record is None:
                continue
            self.kept.append(record)
            if self.produced is not None:
                self.produced.update(record.keys)
            blueprints = sorted({str(blueprint) for blueprint, _ in record.keys})
            found[digest] = ClaimedPage(
                digest, len(record.keys), blueprints, record.counts, record.misconfigured
            )
        return found

    async def keep(self, records: list[PageRecord]) -> None:
        self.kept += records

    async def settle(self) -> None:
        records = to_keep(self.recalled, self.kept)
        if records is not None:
            await self.store.remember_pages(self.owner, self.slot, self.fingerprint, records)


def to_keep(recalled: dict[bytes, PageRecord], kept: list[PageRecord]) -> list[PageRecord] | None:
    """What to remember for the next resync of the records ``kept`` (recalled records
    skipped again, in the order met, and new ones), or None when that is what was
    recalled. Only pages whose entities no other page produced are kept."""
    if len(kept) == len(recalled) and all(recalled.get(r.digest) is r for r in kept):
        return None  # each recalled page once: no entity in two of them, as when kept
    keys = [key for record in kept for key in record.keys]
    if len(set(keys)) != len(keys):
        seen: dict[EntityKey, int] = {}
        for record in kept:
            for key in set(record.keys):  # a page may name an entity twice
                seen[key] = seen.get(key, 0) + 1
        kept = [r for r in kept if all(seen[k] == 1 for k in r.keys)]
    # A digest kept is either a recalled record skipped again or a new one: the same
    # digests mean the same records.
    if {r.digest for r in kept} == recalled.keys():
        return None
    return list({r.digest: r for r in kept}.values())


def record_of(page: PendingPage, outcomes: list[WriteOutcome]) -> PageRecord | None:
    """The record of a mapped page whose every entity was written (or left unchanged)
    cleanly; None for any other."""
    versions = [o.version for o in outcomes if o.ok and o.version is not None]
    if page.digest is None or len(versions) != len(outcomes):
        return None
    keys = [(o.blueprint, o.identifier) for o in outcomes]
    return PageRecord(page.digest, keys, versions, page.counts, page.misconfigured)


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
