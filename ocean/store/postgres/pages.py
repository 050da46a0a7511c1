"""A PostgreSQL catalog's page records (:class:`~ocean.store.base.RemembersPages` and
:class:`~ocean.store.page_records.ClaimsPages`): as on SQLite, a record holds while its
entities are at the recorded versions, checked by the server. A record's entries are three
arrays of its row (blueprints, identifiers, versions; migration 15) and its summary (counts,
misconfigured fields, blueprints) a JSON text: the check unnests the arrays against the
entities' key, no JSON is parsed, and records are copied in (COPY) as written."""

from __future__ import annotations

import asyncpg
import orjson

from ocean.errors import LeaseLostError
from ocean.store.base import Owner, PageRecord
from ocean.store.lease import lease_lost
from ocean.store.page_records import ClaimedPage, PageShelf, claimed, claimed_run, used_run
from ocean.store.postgres.lease import fenced, held_by
from ocean.store.postgres.text_copy import Field, copy_text
from ocean.store.produced import run_prefix

_DIGESTS = "ARRAY(SELECT decode(h, 'hex') FROM unnest(${0}::text[]) AS h)"
"""Digests sent as hex texts: asyncpg has no codec for ``bytea[]``, and each connection
asked the server to describe it (a few milliseconds) on its first page claim or record.
Records are copied in as COPY text (:mod:`~ocean.store.postgres.text_copy`): binary COPY
encoded their arrays entry by entry, and asked the server to describe ``bigint[]``."""
_HOLDS = (
    "NOT EXISTS (SELECT 1 FROM unnest(p.entry_blueprints, p.entry_identifiers, p.entry_versions) "
    "AS k(b, i, v) WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.blueprint = k.b "
    "AND e.identifier = k.i AND e.version = k.v))"
)


def page_entries(marks: str) -> str:
    """A FROM clause of the entries (``c.b``, ``c.i``) of the owner's ($1) pages named by
    the page marks ``marks`` (a table or CTE; blueprint: the slot, identifier: the digest in
    hex, as :data:`_CLAIM` marks them)."""
    return (
        f"{marks} m JOIN resync_pages r ON r.owner = $1 AND r.slot = m.blueprint "
        "AND r.digest = decode(m.identifier, 'hex') "
        "CROSS JOIN LATERAL unnest(r.entry_blueprints, r.entry_identifiers) AS c(b, i)"
    )


def claimed_entries(run_param: str) -> str:
    """The entries of the pages the owner ($1) claimed in a run, whose
    :func:`~ocean.store.page_records.claimed_run` is the parameter ``run_param``."""
    return f"SELECT c.b, c.i FROM {page_entries('resync_produced')} WHERE m.run = {run_param}"


# One statement: the records that hold, their pages marked as claimed by the run ($5) rather
# than each of their keys (a rerun of 1M items marked 1.15M keys: about 3 s of the server's
# time; the readers of the marks unnest the claimed pages' entries, see .produced); the marks
# are written whether or not they are read.
_CLAIM = (
    "WITH hit AS (SELECT p.digest, p.record, cardinality(p.entry_identifiers) AS n "
    "FROM resync_pages p WHERE p.owner = $1 AND p.slot = $2 AND p.fingerprint = $3 "
    f"AND p.digest = ANY({_DIGESTS.format(4)}) AND {_HOLDS} ORDER BY p.digest FOR KEY SHARE), "
    "claimed AS (INSERT INTO resync_produced(run, blueprint, identifier) "
    "SELECT $5, $2, upper(encode(digest, 'hex')) FROM hit) "
    "SELECT digest, n, record FROM hit"
)
# The records kept replace those of the same digests, which are marked as used ($4).
_REPLACED = (
    "WITH gone AS (DELETE FROM resync_pages WHERE owner = $1 AND slot = $2 "
    f"AND digest = ANY({_DIGESTS.format(3)})) INSERT INTO resync_produced(run, blueprint, identifier) "
    "SELECT $4, $2, upper(h) FROM unnest($3::text[]) AS h"
)
# The same while the run's lease ($5, $6) holds (its row locked to the commit), in one round
# trip; how many rows held it (0: nothing done).
_REPLACED_FENCED = (
    f"WITH held AS ({held_by(5, 6)}), gone AS (DELETE FROM resync_pages WHERE owner = $1 "
    f"AND slot = $2 AND digest = ANY({_DIGESTS.format(3)}) AND EXISTS (SELECT 1 FROM held)), "
    "marks AS (INSERT INTO resync_produced(run, blueprint, identifier) "
    "SELECT $4, $2, upper(h) FROM unnest($3::text[]) AS h WHERE EXISTS (SELECT 1 FROM held)) "
    "SELECT count(*) FROM held"
)
# The records the run neither used ($3: kept, or claimed and since spread) nor claimed
# ($4). NOT IN: one hash of the marks. As NOT EXISTS, a fresh catalog (no statistics)
# compared every record with every mark: 0.33 s for the 1,000 pages of 1M persons.
_UNUSED = (
    "DELETE FROM resync_pages p WHERE p.owner = $1 AND p.slot = $2 AND "
    "upper(encode(p.digest, 'hex')) NOT IN ("
    "SELECT m.identifier FROM resync_produced m WHERE m.run IN ($3, $4) AND m.blueprint = $2)"
)
# Before a slot's records are replaced whole (``PUT /v1/ocean/pages``: a run through the
# catalog server, which holds no lease, may overlap a run of the owner's ($1) on the catalog
# itself), the pages of the slot ($2) claimed by the owner's runs (ids from $3 to $4, ending
# in $5) become marks of their keys under their runs, and of the pages as used (ending in
# $6), as a run's own spread makes them, so that those runs keep what they claimed. The
# slot's records are locked first: a claim reading them (FOR KEY SHARE) has committed its
# marks, and one after waits, then finds them gone.
_LOCK_SLOT = (  # in digest order, as claims lock them: no deadlock between the two
    "SELECT 1 FROM resync_pages WHERE owner = $1 AND slot = $2 ORDER BY digest FOR UPDATE"
)
_SPREAD_SLOT = (
    "WITH moved AS (DELETE FROM resync_produced WHERE run >= $3 AND run < $4 "
    "AND right(run, length($5)) = $5 AND blueprint = $2 RETURNING run, blueprint, identifier), "
    "used AS (INSERT INTO resync_produced(run, blueprint, identifier) "
    "SELECT left(run, -length($5)) || $6, blueprint, identifier FROM moved) "
    "INSERT INTO resync_produced(run, blueprint, identifier) "
    f"SELECT left(m.run, -length($5)), c.b, c.i FROM {page_entries('moved')}"
)
_COLUMNS = [
    "owner",
    "slot",
    "digest",
    "fingerprint",
    "record",
    "entry_blueprints",
    "entry_identifiers",
    "entry_versions",
]


def _row(owner: Owner, slot: str, fingerprint: str, record: PageRecord) -> tuple[Field, ...]:
    summary = {
        "blueprints": sorted({str(blueprint) for blueprint, _ in record.keys}),
        "counts": record.counts,
        "misconfigured": record.misconfigured,
    }
    blueprints = [blueprint for blueprint, _ in record.keys]
    identifiers = [identifier for _, identifier in record.keys]
    text = orjson.dumps(summary).decode()
    return (owner.key, slot, record.digest, fingerprint, text, blueprints, identifiers,
            list(record.versions))  # fmt: skip


def _record(row: asyncpg.Record) -> PageRecord:
    digest, text, blueprints, identifiers, versions = row
    summary = orjson.loads(text)
    keys = list(zip(blueprints, identifiers, strict=True))
    misconfigured = summary.get("misconfigured") or {}
    return PageRecord(bytes(digest), keys, list(versions), summary["counts"], misconfigured)


async def recall(pool: asyncpg.Pool, owner: Owner, slot: str, fingerprint: str) -> list[PageRecord]:
    rows = await pool.fetch(
        "SELECT p.digest, p.record, p.entry_blueprints, p.entry_identifiers, p.entry_versions "
        f"FROM resync_pages p WHERE p.owner = $1 AND p.slot = $2 AND p.fingerprint = $3 AND {_HOLDS}",
        owner.key,
        slot,
        fingerprint,
    )
    return [_record(row) for row in rows]


async def remember(
    pool: asyncpg.Pool, owner: Owner, slot: str, fingerprint: str, records: list[PageRecord]
) -> None:
    latest = {record.digest: record for record in records}  # a page seen twice: once
    first = run_prefix(owner.key)
    beyond = first[:-1] + chr(ord(first[-1]) + 1)  # (the ids compare byte by byte)
    async with pool.acquire() as db, db.transaction():
        await db.execute(_LOCK_SLOT, owner.key, slot)
        await db.execute(
            _SPREAD_SLOT, owner.key, slot, first, beyond, claimed_run(""), used_run("")
        )
        await db.execute("DELETE FROM resync_pages WHERE owner = $1 AND slot = $2", owner.key, slot)
        rows = [_row(owner, slot, fingerprint, record) for record in latest.values()]
        await copy_text(db, "resync_pages", _COLUMNS, rows)


async def holds(pool: asyncpg.Pool, shelf: PageShelf) -> bool:
    found = await pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM resync_pages WHERE owner = $1 AND slot = $2 "
        "AND fingerprint = $3)",
        shelf.owner.key,
        shelf.slot,
        shelf.fingerprint,
    )
    return bool(found)


async def claim(pool: asyncpg.Pool, shelf: PageShelf, digests: list[bytes]) -> list[ClaimedPage]:
    owner, slot = shelf.owner.key, shelf.slot
    rows = await pool.fetch(
        _CLAIM, owner, slot, shelf.fingerprint, [d.hex() for d in set(digests)], shelf.claimed
    )
    return [claimed(digest, {**orjson.loads(text), "n": n}) for digest, n, text in rows]


async def keep(pool: asyncpg.Pool, shelf: PageShelf, records: list[PageRecord]) -> None:
    """Replace the slot's records of these pages, while the run holds its lease: a run held
    up past it would replace a record the next holder claimed (under another mapping, the
    keys it produced would turn into those of this run's), and so make them stale."""
    latest = {record.digest: record for record in records}  # a page seen twice: once
    owner, slot, fingerprint, fence = shelf.owner, shelf.slot, shelf.fingerprint, shelf.fence
    rows = [_row(owner, slot, fingerprint, record) for record in latest.values()]
    digests = [d.hex() for d in latest]
    async with pool.acquire() as db, db.transaction():
        if fence is None:
            await db.execute(_REPLACED, owner.key, slot, digests, shelf.used)
        elif not await db.fetchval(_REPLACED_FENCED, owner.key, slot, digests, shelf.used,
                                   fence.integration, fence.holder.id):  # fmt: skip
            raise LeaseLostError(lease_lost(fence))
        await copy_text(db, "resync_pages", _COLUMNS, rows)


async def settle(pool: asyncpg.Pool, shelf: PageShelf) -> None:
    """Drop the records the run neither used nor claimed, while it holds its lease: a run
    held up past it would drop what the next holder claimed, and so made it stale."""
    async with pool.acquire() as db, db.transaction():
        await db.execute(_UNUSED, shelf.owner.key, shelf.slot, shelf.used, shelf.claimed)
        if shelf.fence is not None:  # last: the lease's row is locked only until the commit
            await fenced(db, shelf.fence)
