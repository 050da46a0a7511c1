"""Page records as both catalogs keep them (pure): one JSON text per page beside its
digest, holding each entity's key and version, so that the database itself checks which
records still hold; and how a resync claims them page by page (:class:`ClaimsPages`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import orjson

from ocean.store.base import Owner, PageRecord
from ocean.store.lease import Fence

EncodedRecord = tuple[bytes, str]
"""A record as the embedded catalog is handed it: its digest and :func:`encoded` text (text
crosses to the catalog's process for a fraction of what its key tuples cost to pickle)."""


def encoded(record: PageRecord) -> str:
    """``{"entries": [[blueprint, identifier, version], ...], "counts": {...},
    "misconfigured": {path: jq}, "blueprints": [...]}``."""
    entries = [
        (blueprint, identifier, version)
        for (blueprint, identifier), version in zip(record.keys, record.versions, strict=True)
    ]
    blueprints = sorted({str(blueprint) for blueprint, _ in record.keys})
    body = {
        "entries": entries,
        "counts": record.counts,
        "misconfigured": record.misconfigured,
        "blueprints": blueprints,
    }
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


@dataclass(frozen=True)
class PageShelf:
    """Where one resource's page records live during one resync."""

    owner: Owner
    slot: str
    """The resource (its index and kind)."""
    fingerprint: str
    """What the pages' entities depend on besides the pages (see ``page_memo.fingerprint``)."""
    run: str
    """The resync's run id (:class:`~ocean.produced.Produced`): a claimed page's keys are
    produced by it (marked under it, or its page under :attr:`claimed`), and the pages it
    kept are marked under :attr:`used`."""
    fence: Fence | None = None
    """The resync's lease: a catalog whose runs' produced keys depend on the records they
    claimed (PostgreSQL) drops unused records only while it holds it, so that a resync
    held up past its lease does not drop the records the next holder claimed."""

    @property
    def used(self) -> str:
        """The run id under which the digests of the pages used are marked (blueprint: the
        slot, identifier: the digest in hex): kept, or claimed (SQLite at the claim,
        PostgreSQL once spread into key marks); dropped with the run's marks."""
        return used_run(self.run)

    @property
    def claimed(self) -> str:
        """The run id under which a catalog may mark the pages claimed instead of their
        keys (see :func:`claimed_run`)."""
        return claimed_run(self.run)


def used_run(run: str) -> str:
    """The run id under which a catalog marks the pages ``run`` used (see
    :attr:`PageShelf.used`)."""
    return f"{run}/pages"


def claimed_run(run: str) -> str:
    """The run id under which a catalog marks the pages ``run`` claimed (blueprint: the
    slot, identifier: the digest in hex) rather than each of their keys: the keys ``run``
    produced are then its marks and the entries of those pages' records (PostgreSQL: a
    rerun of 1M items marked 1.15M keys, about 3 s of the server's time, against about
    1,000 pages). The id starts with ``run``: forgotten with its marks. A claimed page's
    record must then keep its entries until the run's marks are dropped: it is replaced
    only by a record of the same page (the same keys), settling keeps it, and replacing a
    slot's records whole (a run through the catalog server) first turns the claims on them
    into marks of their keys."""
    return f"{run}/claimed"


@dataclass(frozen=True)
class ClaimedPage:
    """A page skipped as unchanged: what its record tells, without its keys."""

    digest: bytes
    entities: int
    blueprints: list[str]
    counts: dict[str, int]
    misconfigured: dict[str, str]


def claimed(digest: bytes, summary: Any) -> ClaimedPage:
    """The claim of a record's summary (``{"n": entities, "blueprints": [...], "counts":
    {...}, "misconfigured": {...}}``, as both catalogs answer it)."""
    body = orjson.loads(summary) if isinstance(summary, str | bytes) else summary
    misconfigured = body.get("misconfigured") or {}
    return ClaimedPage(bytes(digest), body["n"], body["blueprints"], body["counts"], misconfigured)


@runtime_checkable
class ClaimsPages(Protocol):
    """A catalog that answers for a resync's pages one group at a time (SQLite, PostgreSQL):
    a resync's memory does not grow with its pages' records (see ``ocean.load.page_memo``)."""

    async def open_pages(self, shelf: PageShelf) -> bool:
        """Whether the slot holds any record under the shelf's fingerprint."""
        ...

    async def claim_pages(self, shelf: PageShelf, digests: list[bytes]) -> list[ClaimedPage]:
        """The pages among ``digests`` whose records still hold (their entities at the
        versions recorded): their keys produced by the run from then on (marked, or the
        page marked under :attr:`PageShelf.claimed`) and the pages kept at
        :meth:`settle_pages`."""
        ...

    async def keep_pages(self, shelf: PageShelf, records: list[PageRecord]) -> None:
        """Store these records of pages just written (replacing any of the same digest),
        their digests marked as used."""
        ...

    async def settle_pages(self, shelf: PageShelf) -> None:
        """Drop the slot's records the run neither claimed nor kept (at the end of a
        resource); a claimed page's record stays, its entries produced by the run."""
        ...
