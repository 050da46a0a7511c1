"""Versioned schema migrations for the PostgreSQL catalog, applied in order on open."""

from __future__ import annotations

import asyncpg

from ocean.errors import NewerSchemaError
from ocean.store.postgres.connections import quoted
from ocean.store.postgres.latest_schema import LATEST

MIGRATIONS: list[str] = [
    """
    CREATE TABLE blueprints (
        identifier TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE entities (
        blueprint TEXT NOT NULL,
        identifier TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (blueprint, identifier)
    );
    CREATE INDEX entities_by_identifier ON entities(identifier);
    CREATE TABLE ownership (
        owner TEXT NOT NULL,
        blueprint TEXT NOT NULL,
        identifier TEXT NOT NULL,
        datasource TEXT NOT NULL,
        PRIMARY KEY (owner, blueprint, identifier)
    );
    CREATE INDEX ownership_by_entity ON ownership(blueprint, identifier);
    CREATE TABLE relations (
        blueprint TEXT NOT NULL,
        identifier TEXT NOT NULL,
        relation TEXT NOT NULL,
        target_blueprint TEXT NOT NULL,
        target TEXT NOT NULL,
        PRIMARY KEY (blueprint, identifier, relation, target)
    );
    CREATE INDEX relations_by_target ON relations(target_blueprint, target);
    CREATE TABLE runs (
        id BIGSERIAL PRIMARY KEY,
        integration TEXT NOT NULL,
        trigger TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL,
        report TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE resync_requests (
        integration TEXT PRIMARY KEY,
        requested_at TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE credentials (
        client_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    "CREATE TABLE integrations (identifier TEXT PRIMARY KEY, body TEXT NOT NULL);",
    # 5: page records of unchanged reruns; an entity's version changes with every write.
    """
    ALTER TABLE entities ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
    CREATE TABLE resync_pages (
        owner TEXT NOT NULL,
        slot TEXT NOT NULL,
        digest BYTEA NOT NULL,
        fingerprint TEXT NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (owner, slot, digest)
    );
    """,
    # 6: one resync at a time per integration (see ocean.store.postgres.lease).
    """
    CREATE TABLE resync_leases (
        integration TEXT PRIMARY KEY,
        holder TEXT,
        host TEXT,
        pid INTEGER,
        acquired_at TIMESTAMPTZ,
        expires_at TIMESTAMPTZ NOT NULL,
        completed_at TIMESTAMPTZ
    );
    """,
    """
    CREATE TABLE cursors (
        integration TEXT NOT NULL,
        kind TEXT NOT NULL,
        idx INTEGER NOT NULL,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (integration, kind, idx)
    );
    """,
    # 8: the audit log of writes through the catalog server (see ocean.store.postgres.audit).
    """
    CREATE TABLE audit_log (
        seq BIGSERIAL PRIMARY KEY,
        identifier TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        blueprint TEXT NOT NULL,
        entity TEXT,
        credential TEXT,
        datasource TEXT NOT NULL,
        origin TEXT NOT NULL,
        status TEXT NOT NULL,
        diff TEXT NOT NULL,
        message TEXT
    );
    CREATE INDEX audit_by_entity ON audit_log(entity, blueprint);
    CREATE INDEX audit_by_time ON audit_log(at);
    """,
    # 9: credential roles (admin, integration bound to one identifier, read-only), a
    # version that rotation bumps, revocation; credentials made before roles were admin.
    """
    ALTER TABLE credentials ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
    ALTER TABLE credentials ADD COLUMN integration TEXT;
    ALTER TABLE credentials ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE credentials ADD COLUMN revoked_at TEXT;
    ALTER TABLE credentials ADD COLUMN migrated BOOLEAN NOT NULL DEFAULT false;
    UPDATE credentials SET migrated = true;
    """,
    # 10: self-service actions (Port's definitions, whole), their runs (claimed for a
    # visibility timeout, acknowledged once, leased while they execute) and run logs.
    """
    CREATE TABLE actions (
        identifier TEXT PRIMARY KEY,
        body JSONB NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE action_runs (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        action TEXT NOT NULL,
        installation TEXT NOT NULL,
        status TEXT NOT NULL,
        external_run_id TEXT,
        body JSONB NOT NULL,
        claim_until TIMESTAMPTZ,
        visibility DOUBLE PRECISION,
        acked_at TEXT,
        lease_until TIMESTAMPTZ,
        created_at TEXT NOT NULL
    );
    CREATE INDEX action_runs_claimable ON action_runs(installation, status, acked_at, seq);
    CREATE INDEX action_runs_by_external_id ON action_runs(external_run_id);
    CREATE TABLE action_run_logs (
        seq BIGSERIAL PRIMARY KEY,
        run TEXT NOT NULL,
        level TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX action_run_logs_by_run ON action_run_logs(run, seq);
    """,
    # what a running resync produced (ocean/store/produced.py): rows dropped at its end
    """
    CREATE UNLOGGED TABLE resync_produced (
        run TEXT NOT NULL,
        blueprint TEXT NOT NULL,
        identifier TEXT NOT NULL,
        PRIMARY KEY (run, blueprint, identifier)
    );
    """,
    # 12: a run's keys are copied in (COPY, no conflict check): a key marked twice is two rows
    """
    ALTER TABLE resync_produced DROP CONSTRAINT resync_produced_pkey;
    CREATE INDEX resync_produced_keys ON resync_produced(run, blueprint, identifier);
    """,
    # 13: relation edges keyed by their target only; what an entity relates to is read from
    # its body (see ocean.store.postgres.relations), so writes keep one B-tree of edges.
    """
    CREATE TABLE relations_keyed_by_target (
        target_blueprint TEXT NOT NULL,
        target TEXT NOT NULL,
        blueprint TEXT NOT NULL,
        identifier TEXT NOT NULL,
        relation TEXT NOT NULL,
        PRIMARY KEY (target_blueprint, target, blueprint, identifier, relation)
    );
    INSERT INTO relations_keyed_by_target
    SELECT target_blueprint, target, blueprint, identifier, relation FROM relations;
    DROP TABLE relations;
    ALTER TABLE relations_keyed_by_target RENAME TO relations;
    ALTER INDEX relations_keyed_by_target_pkey RENAME TO relations_pkey;
    """,
    # 14: a search by identifiers without a blueprint seeks each blueprint's key instead
    # (see ocean.store.postgres.search.prefilter): one index less for every write.
    "DROP INDEX entities_by_identifier;",
    # 15: a page record's entries as arrays beside its summary (see ocean.store.postgres.pages):
    # whether a record holds is a join of its unnested keys with entities', no JSON parsed.
    """
    ALTER TABLE resync_pages ADD COLUMN IF NOT EXISTS entry_blueprints TEXT[] NOT NULL DEFAULT '{}',
        ADD COLUMN IF NOT EXISTS entry_identifiers TEXT[] NOT NULL DEFAULT '{}',
        ADD COLUMN IF NOT EXISTS entry_versions BIGINT[] NOT NULL DEFAULT '{}';
    UPDATE resync_pages p SET entry_blueprints = k.b, entry_identifiers = k.i,
        entry_versions = k.v, record = jsonb_build_object('blueprints', coalesce(
        p.record::jsonb -> 'blueprints', to_jsonb(k.kinds)), 'counts', p.record::jsonb -> 'counts',
        'misconfigured', p.record::jsonb -> 'misconfigured')::text
    FROM (SELECT q.owner, q.slot, q.digest, array_agg(DISTINCT e ->> 0) AS kinds,
        array_agg(e ->> 0 ORDER BY n) AS b,
        array_agg(e ->> 1 ORDER BY n) AS i, array_agg((e ->> 2)::bigint ORDER BY n) AS v
        FROM resync_pages q, jsonb_array_elements(q.record::jsonb -> 'entries')
        WITH ORDINALITY AS x(e, n) GROUP BY q.owner, q.slot, q.digest) AS k
    WHERE (p.owner, p.slot, p.digest) = (k.owner, k.slot, k.digest);
    UPDATE resync_pages SET record = jsonb_build_object('blueprints',
        coalesce(record::jsonb -> 'blueprints', '[]'::jsonb),
        'counts', record::jsonb -> 'counts', 'misconfigured', record::jsonb -> 'misconfigured')::text
    WHERE record::jsonb ? 'entries';
    ALTER TABLE resync_pages ALTER COLUMN entry_blueprints DROP DEFAULT,
        ALTER COLUMN entry_identifiers DROP DEFAULT, ALTER COLUMN entry_versions DROP DEFAULT;
    """,
    # 16: a count of the statements that deleted entities, committed with them: a store's
    # known relation targets hold while it stays (see ocean.store.postgres.known).
    """
    CREATE TABLE IF NOT EXISTS entity_deletions (n BIGINT NOT NULL);
    INSERT INTO entity_deletions SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM entity_deletions);
    CREATE OR REPLACE FUNCTION count_entity_deletions() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        EXECUTE format('UPDATE %I.entity_deletions SET n = n + 1', TG_TABLE_SCHEMA);
        RETURN NULL;
    END $$;
    DROP TRIGGER IF EXISTS entities_deleted ON entities;
    CREATE TRIGGER entities_deleted AFTER DELETE ON entities
        FOR EACH STATEMENT EXECUTE FUNCTION count_entity_deletions();
    """,
    # 17: keys compared byte by byte, as SQLite compares them: a B-tree of text keys in a
    # locale's collation costs the server a strcoll per comparison (about a fifth of its work
    # on a first sync in C.UTF-8, more in en_US). Orders listed by key are SQLite's.
    """
    ALTER TABLE entities ALTER COLUMN blueprint TYPE TEXT COLLATE "C",
        ALTER COLUMN identifier TYPE TEXT COLLATE "C";
    ALTER TABLE ownership ALTER COLUMN owner TYPE TEXT COLLATE "C",
        ALTER COLUMN blueprint TYPE TEXT COLLATE "C", ALTER COLUMN identifier TYPE TEXT COLLATE "C";
    ALTER TABLE relations ALTER COLUMN target_blueprint TYPE TEXT COLLATE "C",
        ALTER COLUMN target TYPE TEXT COLLATE "C", ALTER COLUMN blueprint TYPE TEXT COLLATE "C",
        ALTER COLUMN identifier TYPE TEXT COLLATE "C", ALTER COLUMN relation TYPE TEXT COLLATE "C";
    ALTER TABLE resync_produced ALTER COLUMN run TYPE TEXT COLLATE "C",
        ALTER COLUMN blueprint TYPE TEXT COLLATE "C", ALTER COLUMN identifier TYPE TEXT COLLATE "C";
    """,
    # 18: relation edges found through an index of (target, identifier), not unique: under a
    # five-column key, a comparison with the many edges into one target read four columns
    # (the key cost the server half of each edge it wrote; this index a third less). The
    # target's identifier finds who relates to it, the source's then finds one edge. An
    # entity's edges are written once each, under its blueprint's lock (see
    # ocean.store.postgres.relations.insert_edges).
    """
    ALTER TABLE relations DROP CONSTRAINT IF EXISTS relations_pkey;
    CREATE INDEX IF NOT EXISTS relations_by_target ON relations(target, identifier);
    """,
    # 19: blueprint locks keyed (7263003, hashtext(name)) and taken in key order
    # (ocean.store.postgres.rules.lock_blueprints). An older Ocean's locks would not exclude
    # this one's writes: it refuses to open the catalog from now on (NewerSchemaError); one
    # already running must be stopped before a newer one starts.
    """
    COMMENT ON TABLE ocean_schema IS
        'blueprint locks: pg_advisory_xact_lock(7263003, hashtext(blueprint)), in key order';
    """,
    # 20: an entity's owners found through a hash index of its identifier (identifiers
    # rarely repeat across blueprints; the blueprint is checked on the rows found). A first
    # sync adds a row per entity, and the B-tree of (blueprint, identifier) cost the server
    # a comparison of both text columns at each level (15% less for the ownership copy).
    """
    DROP INDEX IF EXISTS ownership_by_entity;
    CREATE INDEX ownership_by_entity ON ownership USING hash (identifier);
    """,
    # 21: each blueprint's version, from one sequence: made anew by every creation and
    # change. A store's writes check the rules they were prepared by against it; the
    # updatedAt they compared before is in milliseconds, so a blueprint changed twice, or
    # deleted and made again, within one millisecond of a read looked unchanged.
    """
    CREATE SEQUENCE IF NOT EXISTS blueprint_versions;
    ALTER TABLE blueprints ADD COLUMN IF NOT EXISTS version BIGINT NOT NULL
        DEFAULT nextval('blueprint_versions');
    """,
    # 22: owners named once (key and latest datasource), ownership rows by owner number, as
    # the embedded catalog's since its migration 9: an ownership row is a third of its old
    # size and its key an integer then two texts (a comparison of the long owner text at
    # each level of the B-tree, for every row a first sync adds: the server's CPU for the
    # rows of 1M persons 19.4 -> 17.3 s).
    """
    CREATE TABLE owners (
        id SERIAL PRIMARY KEY,
        key TEXT COLLATE "C" NOT NULL UNIQUE,
        datasource TEXT NOT NULL
    );
    INSERT INTO owners(key, datasource)
    SELECT owner, max(datasource) FROM ownership GROUP BY owner ORDER BY owner;
    CREATE TABLE ownership_by_number (
        owner INT NOT NULL,
        blueprint TEXT COLLATE "C" NOT NULL,
        identifier TEXT COLLATE "C" NOT NULL
    );
    INSERT INTO ownership_by_number
    SELECT w.id, o.blueprint, o.identifier FROM ownership o JOIN owners w ON w.key = o.owner;
    DROP TABLE ownership;
    ALTER TABLE ownership_by_number RENAME TO ownership;
    ALTER TABLE ownership ADD CONSTRAINT ownership_pkey PRIMARY KEY (owner, blueprint, identifier);
    CREATE INDEX ownership_by_entity ON ownership USING hash (identifier);
    """,
    # 23: when the resync that last completed took its lease (ocean/resync_lease.py,
    # Standby): a refused replica's retry is dropped only by a resync that started later.
    """
    ALTER TABLE resync_leases ADD COLUMN IF NOT EXISTS completed_since TIMESTAMPTZ;
    """,
    # 24: an integration's runs (its last completed one, read by every resync; the web
    # catalog's pages) without reading every integration's.
    """
    CREATE INDEX IF NOT EXISTS runs_by_integration ON runs(integration, id);
    """,
    # 25: page records as the releases before migration 5 took its final form wrote them (a
    # `stamp` column every write left null failed; records of `keys`, which migration 15
    # left without entries, held for any catalog). A page record is a memory of unchanged
    # pages: one it drops is written again by the next run.
    """
    ALTER TABLE resync_pages DROP COLUMN IF EXISTS stamp;
    DELETE FROM resync_pages WHERE record::jsonb ? 'keys';
    """,
]


async def refuse_newer(connection: asyncpg.Connection) -> None:
    """Raise :class:`NewerSchemaError` if a newer Ocean migrated the catalog since this one
    opened it (a rolling upgrade): asked as each resync takes its lease, so an older
    replica stops writing by rules the newer one changed."""
    version = await connection.fetchval("SELECT max(version) FROM ocean_schema") or 0
    if version > len(MIGRATIONS):
        raise NewerSchemaError(version, len(MIGRATIONS))


async def migrate(connection: asyncpg.Connection, schema: str | None = None) -> None:
    """Create ``schema`` if it is new and bring it to the latest version, in one
    transaction; concurrent openers wait on an advisory lock."""
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(7263001)")
        if schema:
            await connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted(schema)}")
        await connection.execute("CREATE TABLE IF NOT EXISTS ocean_schema (version INT NOT NULL)")
        version = await connection.fetchval("SELECT max(version) FROM ocean_schema") or 0
        if version > len(MIGRATIONS):
            raise NewerSchemaError(version, len(MIGRATIONS))
        if version == 0:  # a new catalog: the schema the migrations end with, at once
            await connection.execute(LATEST)
            await connection.execute(
                "INSERT INTO ocean_schema(version) SELECT generate_series(1, $1)", len(MIGRATIONS)
            )
            return
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await connection.execute(script)
            await connection.execute("INSERT INTO ocean_schema(version) VALUES ($1)", number)
