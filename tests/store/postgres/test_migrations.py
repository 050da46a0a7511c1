"""PostgreSQL catalog migrations that move rows keep them."""

from __future__ import annotations

import asyncpg
import orjson

from ocean.store.base import Owner, PageRecord
from ocean.store.postgres.schema import MIGRATIONS
from ocean.store.postgres.store import PostgresStore
from tests.store.postgres import BLUEPRINT, OWNER, connected

_A_USES_B = {"identifier": "a", "blueprint": "svc", "relations": {"uses": ["b"]}}


async def _written(postgres_url: str) -> None:
    """A catalog holding ``b`` and ``a``, which relates to ``b``, at the latest version."""
    store = await PostgresStore.open(postgres_url)
    await store.create_blueprints([BLUEPRINT])
    await store.upsert_entities(
        [{"identifier": "b", "blueprint": "svc"}, _A_USES_B], owner=OWNER, merge=True
    )
    await store.close()


async def _by_owner_key(db: asyncpg.Connection) -> None:
    """Ownership as it was before migration 22: each row names its owner's key and the
    datasource it was written by."""
    await db.execute(
        'CREATE TABLE ownership_by_key (owner TEXT COLLATE "C" NOT NULL, '
        'blueprint TEXT COLLATE "C" NOT NULL, identifier TEXT COLLATE "C" NOT NULL, '
        "datasource TEXT NOT NULL); "
        "INSERT INTO ownership_by_key SELECT w.key, o.blueprint, o.identifier, w.datasource "
        "FROM ownership o JOIN owners w ON w.id = o.owner; "
        "DROP TABLE ownership; DROP TABLE owners; "
        "ALTER TABLE ownership_by_key RENAME TO ownership; "
        "ALTER TABLE ownership ADD CONSTRAINT ownership_pkey "
        "PRIMARY KEY (owner, blueprint, identifier); "
        "CREATE INDEX ownership_by_entity ON ownership USING hash (identifier); "
        "DELETE FROM ocean_schema WHERE version > 21"
    )


async def _written_by_owner_key(postgres_url: str) -> asyncpg.Connection:
    """A session on the catalog of :func:`_written`, its ownership put back as before
    migration 22 (the caller closes it, and takes the catalog further back)."""
    await _written(postgres_url)
    db = await connected(postgres_url)
    await _by_owner_key(db)
    return db


async def test_edges_keyed_by_target_keep_the_old_edges(postgres_url: str) -> None:
    """A catalog at migration 12 (edges keyed by source and by target, entities by
    identifier) opens with its edges readable both ways."""
    db = await _written_by_owner_key(postgres_url)
    await db.execute(
        "DROP TABLE relations; "
        "CREATE TABLE relations (blueprint TEXT NOT NULL, identifier TEXT NOT NULL, "
        "relation TEXT NOT NULL, target_blueprint TEXT NOT NULL, target TEXT NOT NULL, "
        "PRIMARY KEY (blueprint, identifier, relation, target)); "
        "CREATE INDEX relations_by_target ON relations(target_blueprint, target); "
        "INSERT INTO relations VALUES ('svc', 'a', 'uses', 'svc', 'b'); "
        "CREATE INDEX entities_by_identifier ON entities(identifier); "
        "DELETE FROM ocean_schema WHERE version > 12"
    )
    await db.close()
    assert len(MIGRATIONS) >= 14

    store = await PostgresStore.open(postgres_url)
    dependents = await store.dependents([("svc", "b")], after="")
    upstream = await store.search(
        {
            "combinator": "and",
            "rules": [
                {
                    "operator": "relatedTo",
                    "blueprint": "svc",
                    "value": "a",
                    "direction": "upstream",
                }
            ],
        }
    )
    await store.close()

    assert dependents.of == {("svc", "b"): {("svc", "a")}}
    assert [entity["identifier"] for entity in upstream] == ["b"]


async def test_page_records_in_json_keep_their_entries(postgres_url: str) -> None:
    """A catalog at migration 14 (a page record's entries in its JSON text) opens with its
    records recalled as they were: the entries moved to arrays, the summary kept."""
    store = await PostgresStore.open(postgres_url)
    await store.create_blueprints([BLUEPRINT])
    entities = [{"identifier": name, "blueprint": "svc"} for name in ("b", "a")]
    await store.upsert_entities(entities, owner=OWNER, merge=True)
    await store.close()
    db = await connected(postgres_url)
    await _by_owner_key(db)
    versions = dict(await db.fetch("SELECT identifier, version FROM entities"))
    old = {
        "entries": [["svc", "b", versions["b"]], ["svc", "a", versions["a"]]],
        "counts": {"svc": 2},
        "misconfigured": {".x": ".y"},
    }
    await db.execute(
        "ALTER TABLE resync_pages DROP COLUMN entry_blueprints, DROP COLUMN entry_identifiers, "
        "DROP COLUMN entry_versions; DELETE FROM ocean_schema WHERE version > 14"
    )
    await db.execute(
        "INSERT INTO resync_pages VALUES ($1, 'r0', '\\x01', 'f', $2), ($1, 'r0', '\\x02', 'f', $3)",
        OWNER.key,
        orjson.dumps(old).decode(),
        orjson.dumps({"entries": [], "counts": {}}).decode(),
    )
    await db.close()

    store = await PostgresStore.open(postgres_url)
    records = await store.recall_pages(OWNER, "r0", "f")
    await store.close()

    by_digest = {record.digest: record for record in records}
    assert by_digest[b"\x01"] == PageRecord(
        b"\x01", [("svc", "b"), ("svc", "a")], [versions["b"], versions["a"]], {"svc": 2},
        {".x": ".y"},
    )  # fmt: skip
    assert by_digest[b"\x02"] == PageRecord(b"\x02", [], [], {}, {})


async def test_keys_compared_byte_by_byte_keep_their_rows(postgres_url: str) -> None:
    """A catalog at migration 16 (keys in the database's collation) opens with its key
    columns in the "C" collation, as SQLite compares them, and its rows and edges kept."""
    db = await _written_by_owner_key(postgres_url)
    for table, names in _KEY_COLUMNS.items():
        back = ", ".join(f"ALTER COLUMN {n} TYPE TEXT COLLATE pg_catalog.default" for n in names)
        await db.execute(f"ALTER TABLE {table} {back}")
    await db.execute("DELETE FROM ocean_schema WHERE version > 16")
    await db.close()

    store = await PostgresStore.open(postgres_url)
    dependents = await store.dependents([("svc", "b")], after="")
    await store.close()
    db = await connected(postgres_url)
    collations = await db.fetch(
        "SELECT table_name, column_name, collation_name FROM information_schema.columns "
        "WHERE table_schema = current_schema()"
    )
    await db.close()
    assert dependents.of == {("svc", "b"): {("svc", "a")}}
    found = {(r["table_name"], r["column_name"]): r["collation_name"] for r in collations}
    keys = [(table, name) for table, names in _KEY_COLUMNS.items() for name in names]
    texts = [key for key in keys if key != ("ownership", "owner")]  # a number since 22
    assert {key: found[key] for key in texts} == dict.fromkeys(texts, "C")
    assert found["ownership", "owner"] is None


_KEY_COLUMNS = {
    "entities": ["blueprint", "identifier"],
    "ownership": ["owner", "blueprint", "identifier"],
    "relations": ["target_blueprint", "target", "blueprint", "identifier", "relation"],
    "resync_produced": ["run", "blueprint", "identifier"],
}
"""The columns migration 17 puts in the "C" collation."""


async def test_edges_under_a_five_column_key_keep_their_rows(postgres_url: str) -> None:
    """A catalog at migration 17 (edges under a five-column primary key) opens with its
    edges found through an index of (target, identifier) that is not unique, and written
    once each after."""
    db = await _written_by_owner_key(postgres_url)
    await db.execute(
        "DROP INDEX relations_by_target; ALTER TABLE relations ADD CONSTRAINT relations_pkey "
        "PRIMARY KEY (target_blueprint, target, blueprint, identifier, relation); "
        "DELETE FROM ocean_schema WHERE version > 17"
    )
    await db.close()

    store = await PostgresStore.open(postgres_url)
    await store.upsert_entities([{**_A_USES_B, "title": "A"}], owner=OWNER, merge=True)
    dependents = await store.dependents([("svc", "b")], after="")
    await store.close()
    db = await connected(postgres_url)
    indexes = await db.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'relations' "
        "AND schemaname = current_schema()"
    )
    edges = await db.fetch("SELECT identifier, target FROM relations")
    await db.close()
    assert dependents.of == {("svc", "b"): {("svc", "a")}}
    assert [tuple(edge) for edge in edges] == [("a", "b")]
    assert [(row["indexname"], "UNIQUE" in row["indexdef"]) for row in indexes] == [
        ("relations_by_target", False)
    ]


async def test_ownership_by_owner_key_keeps_its_owners_and_datasources(postgres_url: str) -> None:
    """A catalog at migration 21 (each ownership row naming its owner's key and datasource)
    opens with its owners numbered, each with its latest datasource, and what each owns
    kept; the next write by a newer version of an owner records that version."""
    db = await _written_by_owner_key(postgres_url)
    await db.execute(
        "INSERT INTO ownership VALUES ('jira/jira-1/exporter', 'svc', 'a', 'port-ocean/jira/2.0.0/jira-1/exporter'), "
        "('jira/jira-1/exporter', 'svc', 'b', 'port-ocean/jira/1.0.0/jira-1/exporter')"
    )
    await db.close()
    newer = Owner("github", "gh-1", "1.1.0")

    store = await PostgresStore.open(postgres_url)
    before = await store.datasources_of([("svc", "a"), ("svc", "b")])
    counts = [await store.count_owned(owner) for owner in (OWNER, JIRA)]
    await store.upsert_entities([{"identifier": "c", "blueprint": "svc"}], owner=newer, merge=True)
    after = await store.datasources_of([("svc", "c")])
    owned = await store.owned_keys(newer)
    await store.close()

    assert before == {
        ("svc", "a"): [OWNER.datasource, "port-ocean/jira/2.0.0/jira-1/exporter"],
        ("svc", "b"): [OWNER.datasource, "port-ocean/jira/2.0.0/jira-1/exporter"],
    }
    assert counts == [2, 2]
    assert after == {("svc", "c"): [newer.datasource]}
    assert owned == {("svc", "a"), ("svc", "b"), ("svc", "c")}  # the owner's key matches


JIRA = Owner("jira", "jira-1", "2.0.0")


async def test_page_records_written_before_their_final_form_are_dropped(postgres_url: str) -> None:
    """Catalogs made between migration 5's first and final form kept a ``stamp`` column
    that every later write left null (each failed) and records of ``keys``, which
    migration 15 left without entries (each held for any catalog): those records go, the
    column goes, and today's records are written and recalled."""
    await _written(postgres_url)
    db = await connected(postgres_url)
    await db.execute(
        "ALTER TABLE resync_pages ADD COLUMN stamp TEXT NOT NULL DEFAULT 's'; "
        "ALTER TABLE resync_pages ALTER COLUMN stamp DROP DEFAULT; "
        "DELETE FROM ocean_schema WHERE version > 24"
    )
    await db.execute(
        "INSERT INTO resync_pages VALUES ($1, 'r0', '\\x01', 'f', $2, '{}', '{}', '{}', 's')",
        OWNER.key,
        orjson.dumps({"keys": [["svc", "a"]]}).decode(),
    )
    await db.close()

    store = await PostgresStore.open(postgres_url)
    recalled = await store.recall_pages(OWNER, "r0", "f")
    await store.close()
    db = await connected(postgres_url)
    columns = await db.fetch(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'resync_pages' AND table_schema = current_schema()"
    )
    await db.close()

    assert recalled == []
    assert "stamp" not in {row["column_name"] for row in columns}
