"""A PostgreSQL catalog's per-run produced keys (:class:`~ocean.store.produced.RecordsProduced`)
and the pages of an owner's keys they are weighed against.

The keys a run produced are its marks and the entries of the page records it claimed
(:func:`~ocean.store.page_records.claimed_run`): a claim marks its page, not each key, so
an unchanged rerun of 1M items writes about 1,000 marks instead of 1.15M index entries
(about 3 s of the server's time). The stale query's first page and the counts unnest the
claimed pages' entries and hash them with the marks; so does a question about a few keys
that are not marked. The stale query's later pages, and a question about many keys not
marked, first spread the claimed pages into marks of their keys (:func:`_spread`, once:
what the claims used to write), then read the marks."""

from __future__ import annotations

import asyncpg

from ocean.store.page_records import claimed_run, used_run
from ocean.store.postgres.owners import NUMBER
from ocean.store.postgres.pages import claimed_entries, page_entries
from ocean.store.postgres.relations import columns
from ocean.types import EntityKey

# The claimed pages' marks ($3) become marks of their keys ($2), and of the pages as used
# ($4: the page records stay if settled after).
_SPREAD = (
    "WITH moved AS (DELETE FROM resync_produced WHERE run = $3 RETURNING blueprint, identifier), "
    "used AS (INSERT INTO resync_produced(run, blueprint, identifier) "
    "SELECT $4, blueprint, identifier FROM moved) "
    "INSERT INTO resync_produced(run, blueprint, identifier) SELECT $2, c.b, c.i "
    f"FROM {page_entries('moved')}"
)
_AMONG = (
    "SELECT k.bp, k.ident FROM unnest($2::text[], $3::text[]) AS k(bp, ident) WHERE EXISTS "
    "(SELECT 1 FROM resync_produced p WHERE p.run = $1 AND p.blueprint = k.bp "
    "AND p.identifier = k.ident)"
)
_IN_CLAIMED = (
    "WITH k AS MATERIALIZED (SELECT * FROM unnest($2::text[], $3::text[]) AS k(bp, ident)) "
    f"SELECT DISTINCT c.b, c.i FROM ({claimed_entries('$4')}) AS c JOIN k ON c.b = k.bp "
    "AND c.i = k.ident"
)
# The owned keys the run did not produce come first (ownership, the run's marks and its
# claimed pages' entries, no bodies read); only when some are left are they joined with the
# entities' updated_at: a rerun produces every key and reads no entity (the whole table
# with its bodies was ~1 s at 229k).
_UNPRODUCED_PAGE = (
    "WITH open AS MATERIALIZED (SELECT o.blueprint, o.identifier FROM ownership o "
    f"WHERE o.owner = {NUMBER} AND (o.blueprint, o.identifier) > ($3, $4) "
    "AND NOT EXISTS (SELECT 1 FROM resync_produced p WHERE p.run = $6 "
    "AND p.blueprint = o.blueprint AND p.identifier = o.identifier) "
    f"AND NOT EXISTS (SELECT 1 FROM ({claimed_entries('$7')}) AS c "
    "WHERE c.b = o.blueprint AND c.i = o.identifier)) "
    "SELECT k.blueprint, k.identifier FROM open k "
    "JOIN entities e ON e.blueprint = k.blueprint AND e.identifier = k.identifier "
    "WHERE e.updated_at <= $2 ORDER BY k.blueprint, k.identifier LIMIT $5"
)

OWNED_PAGE = (
    "SELECT o.blueprint, o.identifier FROM ownership o "
    "JOIN entities e ON e.blueprint = o.blueprint AND e.identifier = o.identifier "
    f"WHERE o.owner = {NUMBER} AND ($2::text IS NULL OR e.updated_at <= $2) "
    "AND (o.blueprint, o.identifier) > ($3, $4) ORDER BY o.blueprint, o.identifier LIMIT $5"
)
"""A page of the keys an owner owns, in key order (optionally untouched since a time)."""

# The stale page, and keys asked about against the claimed pages' entries, as hash joins
# (whichever condition rules most rows out: a first sync, none is old; a rerun, all are
# marked or claimed). A fresh catalog has no statistics and expects a few rows: its nested
# loops probed every entity (~0.4 s at 57k items, against 20 ms), or unnested every claimed
# page once per key asked about (minutes at 1M).
_HASHED = (
    "SET LOCAL enable_nestloop = off; SET LOCAL enable_mergejoin = off; "
    "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL work_mem = '64MB'"
)


async def mark(pool: asyncpg.Pool, run: str, keys: list[EntityKey]) -> None:
    """Copy the keys in: a key marked twice is two rows, which every reader allows for."""
    await pool.copy_records_to_table(
        "resync_produced", records=[(run, *key) for key in sorted(set(keys))], columns=_COLUMNS
    )


_COLUMNS = ["run", "blueprint", "identifier"]


_ONLY = "SELECT starts_with(min(run), $1) AND starts_with(max(run), $1) FROM resync_produced"
"""Whether every row's run starts with the prefix: under "C" the runs that do are one range of
the table's order, so its least and greatest run tell (two index seeks; a filter was planned
as scans of the table)."""
_SOME = "SELECT count(*) FROM (SELECT 1 FROM resync_produced LIMIT $1) AS t"
MANY = 10000
"""Rows from which emptying the table beats deleting them (a first sync's few marks: not)."""


async def forget(pool: asyncpg.Pool, prefix: str) -> None:
    """Drop the rows of the runs whose id starts with ``prefix``: when they are many and all
    the table holds, by emptying it (a rerun of 1M items marked as many rows, and deleting
    them took 0.67 s), else by deleting them."""
    async with pool.acquire() as db:
        many = await db.fetchval(_SOME, MANY) == MANY
        if many and await db.fetchval(_ONLY, prefix) and await _emptied(db, prefix):
            return
        await db.execute("DELETE FROM resync_produced WHERE starts_with(run, $1)", prefix)


async def _emptied(db: asyncpg.Connection, prefix: str) -> bool:
    """Empty the table if it still holds only ``prefix``'s runs, under a lock taken only if
    no other session uses the table (it would queue every run's marks behind, say, a
    backup's lock) as the transaction's first statement (no lock upgrade to deadlock on)."""
    try:
        async with db.transaction():
            await db.execute("LOCK TABLE resync_produced IN ACCESS EXCLUSIVE MODE NOWAIT")
            if not await db.fetchval(_ONLY, prefix):  # (read again under the lock)
                return False
            await db.execute("TRUNCATE resync_produced")
            return True
    except (asyncpg.LockNotAvailableError, asyncpg.InsufficientPrivilegeError):
        return False  # in use by another session, or not ours to empty


async def _spread(db: asyncpg.Connection, owner_key: str, run: str) -> bool:
    """Mark the keys of the pages ``run`` claimed, and those pages as used rather than
    claimed: the readers of single keys then probe the marks' index (unnesting every
    claimed page for each question took 0.6-1.3 s at 1M items). Whether any key was
    marked (none when the run claimed nothing, or this was done)."""
    status = await db.execute(_SPREAD, owner_key, run, claimed_run(run), used_run(run))
    return int(status.rsplit(" ", 1)[1]) > 0  # "INSERT 0 <rows>"


SPREAD_FROM = 1000
"""Keys asked about and not marked from which the claimed pages are spread into marks
first (a large question: more are likely to follow, see ``resync._dependents_graph``);
fewer are hashed against the claimed pages' entries (0.6-1.3 s at 1M items, against 3-4 s
to spread them). Counted per question: a graph of dependents asked about in many small
questions pays the hash each time."""


async def among(
    pool: asyncpg.Pool, owner_key: str, run: str, keys: list[EntityKey]
) -> set[EntityKey]:
    """The keys among ``keys`` that are marked or in a claimed page (asked only about
    those not marked: the sentinel's check reads the marks alone)."""
    async with pool.acquire() as db:
        found = await _marked(db, run, keys)
        rest = [key for key in keys if key not in found]
        if len(rest) >= SPREAD_FROM and await _spread(db, owner_key, run):
            found |= await _marked(db, run, rest)
        elif rest:
            rows = await _hashed(db, _IN_CLAIMED, owner_key, *columns(rest), claimed_run(run))
            found |= {(bp, ident) for bp, ident in rows}
    return found


async def _marked(db: asyncpg.Connection, run: str, keys: list[EntityKey]) -> set[EntityKey]:
    return {(bp, ident) for bp, ident in await db.fetch(_AMONG, run, *columns(keys))}


# The claimed pages' entries in the union rather than spread first: one hash of them is
# cheaper than their index inserts (at 1M: 3.95 s, against 3-4 s to spread and 2.9 s to count).
_COUNTS = (
    "SELECT blueprint, count(*) FROM (SELECT o.blueprint, o.identifier FROM ownership o "
    "JOIN entities e ON e.blueprint = o.blueprint AND e.identifier = o.identifier "
    f"WHERE o.owner = {NUMBER} AND e.updated_at > $3 "
    "UNION SELECT blueprint, identifier FROM resync_produced WHERE run = $2 "
    f"UNION {claimed_entries('$4')}) AS k(blueprint, identifier) GROUP BY blueprint"
)


async def counts(pool: asyncpg.Pool, owner_key: str, run: str, since: str) -> dict[str, int]:
    rows = await pool.fetch(_COUNTS, owner_key, run, since, claimed_run(run))
    return {blueprint: int(n) for blueprint, n in rows}


async def unproduced_page(
    pool: asyncpg.Pool,
    owner_key: str,
    run: str,
    before: str,
    after: EntityKey | None,
    limit: int,
) -> tuple[list[EntityKey], EntityKey | None]:
    async with pool.acquire() as db:
        if after is not None:  # more than a page is stale: the claimed pages are unnested
            await _spread(db, owner_key, run)  # (then nothing left to spread: one seek)
        cursor = after or ("", "")
        rows = await _hashed(
            db, _UNPRODUCED_PAGE, owner_key, before, *cursor, limit, run, claimed_run(run)
        )
    return _page(rows, limit)


async def _hashed(db: asyncpg.Connection, query: str, *args: object) -> list[asyncpg.Record]:
    """``query``'s rows, planned with hash joins (:data:`_HASHED`)."""
    async with db.transaction():
        await db.execute(_HASHED)
        rows: list[asyncpg.Record] = await db.fetch(query, *args)
    return rows


async def owned_page(
    pool: asyncpg.Pool, owner_key: str, before: str | None, after: EntityKey | None, limit: int
) -> tuple[list[EntityKey], EntityKey | None]:
    rows = await pool.fetch(OWNED_PAGE, owner_key, before, *(after or ("", "")), limit)
    return _page(rows, limit)


def _page(rows: list[asyncpg.Record], limit: int) -> tuple[list[EntityKey], EntityKey | None]:
    """A page's keys, and the cursor of the next page (None when this one was not full)."""
    keys = [(bp, ident) for bp, ident in rows]
    return keys, (keys[-1] if len(keys) == limit else None)
