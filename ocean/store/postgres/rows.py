"""The PostgreSQL catalog's entity rows as a write transaction touches them: the stored
bodies it compares with, placeholders for missing relation targets, the rows, ownership and
edges it writes (new ones copied in with COPY, the others upserted over ``unnest`` arrays)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from ocean.store.created import NewRows, Row
from ocean.store.plan import BatchPlan, PlannedWrite
from ocean.store.postgres.relations import COLUMNS, columns, delete_edges, insert_edges
from ocean.store.postgres.relations import rows as rows_of
from ocean.store.writes import PLACEHOLDER
from ocean.types import EntityKey


async def existing(db: asyncpg.Connection, keys: set[EntityKey]) -> set[EntityKey]:
    if not keys:
        return set()
    rows = await db.fetch(
        "SELECT blueprint, identifier FROM entities WHERE (blueprint, identifier) IN "
        "(SELECT * FROM unnest($1::text[], $2::text[]))",
        *columns(sorted(keys)),
    )
    return {(bp, ident) for bp, ident in rows}


async def placeholders(
    db: asyncpg.Connection, keys: list[EntityKey], owner: int, version: int, stamp: str
) -> set[EntityKey]:
    """Entities made for missing relation targets (marked: see
    :data:`~ocean.store.writes.PLACEHOLDER`), owned by ``owner`` (its number) until someone
    writes them: those this statement inserted. Only those are owned: the targets'
    blueprints are not locked, so another integration may have written one since it was
    found missing (its entity, which this owner must not own: its stale deletion would
    delete it)."""
    rows = await db.fetch(_PLACEHOLDERS, *columns(keys), stamp, version, owner)
    return {(bp, ident) for bp, ident in rows}


_PLACEHOLDERS = (  # the rows and the ownership of those inserted, in one round trip
    "WITH made AS (INSERT INTO entities(blueprint, identifier, body, created_at, updated_at, "
    f"version) SELECT b, i, '{PLACEHOLDER},\"title\":' || to_json(i)::text || '}}', $3, $3, $4 "
    "FROM unnest($1::text[], $2::text[]) AS t(b, i) ON CONFLICT DO NOTHING "
    "RETURNING blueprint, identifier), "
    "owned AS (INSERT INTO ownership(owner, blueprint, identifier) SELECT $5, blueprint, "
    "identifier FROM made ON CONFLICT DO NOTHING) "
    "SELECT blueprint, identifier FROM made"
)


@dataclass
class Rows:
    """The rows a write makes, made before its transaction (a resync's next write makes
    them while the last one is written): the entities it creates, their ownership and
    their edges (an entity's edges once each) as COPY records, and the writes upserted."""

    plan: BatchPlan | None
    """The plan they were made from (None: made without one by :meth:`new`)."""
    stamp: str
    entities: list[tuple[str, str, str, str, str, int]]
    ownership: list[tuple[int, str, str]]
    """(owner number, blueprint, identifier) each."""
    edges: list[Row]
    upserted: list[PlannedWrite]

    @classmethod
    def new(cls, new: NewRows, owner: int, version: int, stamp: str) -> Rows:
        """The rows of a batch of new entities, made without a plan (see
        :mod:`ocean.store.created`): its edges are copied as they were made. ``owner``: the
        owner's number; ``stamp``: the time by the server's clock (:mod:`.clock`)."""
        return cls(
            None,
            stamp,
            [
                (bp, ident, text, stamp, stamp, version)
                for (bp, ident), text in zip(new.keys, new.texts, strict=True)
            ],
            [(owner, bp, ident) for bp, ident in new.keys],
            list(dict.fromkeys(new.edges)),
            [],
        )

    @classmethod
    def of(cls, plan: BatchPlan, owner: int, version: int, stamp: str, *, copy: bool) -> Rows:
        created = [w for w in plan.writes if w.status == "created"] if copy else []
        upserted = [w for w in plan.writes if w.status != "created"] if copy else plan.writes
        edges = dict.fromkeys(
            (target_bp, target, *w.key, relation)
            for w in created
            for relation, target_bp, target in plan.edges[w.key]
        )
        return cls(
            plan,
            stamp,
            [(*w.key, w.text, stamp, stamp, version) for w in created],
            [(owner, *w.key) for w in created],
            list(edges),
            upserted,
        )


async def write(db: asyncpg.Connection, rows: Rows, owner: int, version: int) -> None:
    """Write the rows, their ownership and edges: the new ones copied in (COPY, no conflict
    checks: none of their rows should exist, their keys checked under the blueprint's lock
    or, by a write of new rows only, claimed against the others beside it), raising
    :class:`asyncpg.UniqueViolationError` if one does after all (stored though the write
    did not ask, or made meanwhile by another process, such as a placeholder): the caller
    then writes again, asking, and at last without ``copy``, every row as an upsert."""
    if rows.entities:
        await db.copy_records_to_table("entities", records=rows.entities, columns=_ENTITY_COLUMNS)
        await db.copy_records_to_table(
            "ownership", records=rows.ownership, columns=_OWNERSHIP_COLUMNS
        )
    if rows.edges:
        await db.copy_records_to_table("relations", records=rows.edges, columns=COLUMNS)
    upserted = rows.upserted
    if not upserted or rows.plan is None:
        return
    edges = rows.plan.edges
    blueprints, identifiers = columns([w.key for w in upserted])
    if claimed := rows.plan.claimed():  # written over placeholders: the writer's alone
        await db.execute(f"DELETE FROM ownership WHERE {_KEYS_IN}", *columns(claimed))
    await delete_edges(
        db, [edge for w in upserted if w.before for edge in rows_of(w.key, w.before)]
    )
    await insert_edges(db, [edge for w in upserted for edge in rows_of(w.key, edges[w.key])])
    await db.execute(_WRITE_AND_OWN, blueprints, identifiers, [w.text for w in upserted],
                     rows.stamp, version, owner)  # fmt: skip
    if made := [w.key for w in upserted if w.status == "created"]:  # upserted, not copied:
        # one stored since it was asked about is a placeholder another write made (the
        # target blueprints of a write are not locked), written over, so claimed
        await db.execute(f"DELETE FROM ownership WHERE {_KEYS_IN} AND owner <> $3",
                         *columns(made), owner)  # fmt: skip


_KEYS_IN = "(blueprint, identifier) IN (SELECT * FROM unnest($1::text[], $2::text[]))"
_ENTITY_COLUMNS = ["blueprint", "identifier", "body", "created_at", "updated_at", "version"]
_OWNERSHIP_COLUMNS = ["owner", "blueprint", "identifier"]
_WRITE_AND_OWN = (  # the rows and their ownership in one statement (one round trip)
    "WITH written AS (INSERT INTO entities(blueprint, identifier, body, created_at, updated_at, "
    "version) SELECT b, i, body, $4, $4, $5 FROM unnest($1::text[], $2::text[], $3::text[]) "
    "AS t(b, i, body) ON CONFLICT (blueprint, identifier) DO UPDATE SET body = excluded.body, "
    "updated_at = excluded.updated_at, version = excluded.version) "
    "INSERT INTO ownership(owner, blueprint, identifier) "
    "SELECT $6, b, i FROM unnest($1::text[], $2::text[]) AS t(b, i) ON CONFLICT DO NOTHING"
)
