"""Versioned schema migrations for the SQLite catalog, applied in order on open."""

from __future__ import annotations

import contextlib
import sqlite3

from ocean.errors import NewerSchemaError

MIGRATIONS: list[str] = [
    """
    CREATE TABLE blueprints (
        identifier TEXT PRIMARY KEY,
        body BLOB NOT NULL,
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
    ) WITHOUT ROWID;
    CREATE TABLE ownership (
        owner TEXT NOT NULL,
        blueprint TEXT NOT NULL,
        identifier TEXT NOT NULL,
        datasource TEXT NOT NULL,
        PRIMARY KEY (owner, blueprint, identifier)
    ) WITHOUT ROWID;
    CREATE INDEX ownership_by_entity ON ownership(blueprint, identifier);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        integration TEXT NOT NULL,
        trigger TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL,
        report BLOB NOT NULL
    );
    """,
    # 2: relation edges, so that dependents, relatedTo and relation-target checks are
    # index lookups; filled from the entities already stored.
    """
    CREATE TABLE relations (
        blueprint TEXT NOT NULL,
        identifier TEXT NOT NULL,
        relation TEXT NOT NULL,
        target_blueprint TEXT NOT NULL,
        target TEXT NOT NULL,
        PRIMARY KEY (blueprint, identifier, relation, target)
    ) WITHOUT ROWID;
    CREATE INDEX relations_by_target ON relations(target_blueprint, target);
    INSERT OR IGNORE INTO relations
    SELECT e.blueprint, e.identifier, r.key,
           json_extract(CAST(b.body AS TEXT), '$.relations.' || r.key || '.target'), v.value
    FROM entities e
    JOIN blueprints b ON b.identifier = e.blueprint,
         json_each(e.body, '$.relations') r,
         json_each(CASE WHEN r.type = 'array' THEN r.value ELSE json_array(r.value) END) v
    WHERE v.type = 'text'
      AND json_extract(CAST(b.body AS TEXT), '$.relations.' || r.key || '.target') IS NOT NULL;
    """,
    # 3: search by identifier across blueprints ($identifier in [...] without $blueprint).
    "CREATE INDEX entities_by_identifier ON entities(identifier);",
    # 4: the resync-request watermark a polling integration watches.
    """
    CREATE TABLE resync_requests (
        integration TEXT PRIMARY KEY,
        requested_at TEXT NOT NULL
    );
    """,
    # 5: machine credentials for the Port-compatible server.
    """
    CREATE TABLE credentials (
        client_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    # 6: integration records of the Port-compatible server (survive its restarts).
    "CREATE TABLE integrations (identifier TEXT PRIMARY KEY, body TEXT NOT NULL);",
    # 7: pages a resync synced cleanly, so that an unchanged rerun skips them; an entity's
    # version changes with every write of it (0: last written before versions existed).
    """
    ALTER TABLE entities ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE resync_pages (
        owner TEXT NOT NULL,
        slot TEXT NOT NULL,
        digest BLOB NOT NULL,
        fingerprint TEXT NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (owner, slot, digest)
    ) WITHOUT ROWID;
    """,
    # 8: relation edges keyed by their target only; what an entity relates to is read from
    # its body (see ocean.store.sqlite.relations), so writes keep one B-tree of edges.
    """
    CREATE TABLE relations_keyed_by_target (
        target_blueprint TEXT NOT NULL,
        target TEXT NOT NULL,
        blueprint TEXT NOT NULL,
        identifier TEXT NOT NULL,
        relation TEXT NOT NULL,
        PRIMARY KEY (target_blueprint, target, blueprint, identifier, relation)
    ) WITHOUT ROWID;
    INSERT INTO relations_keyed_by_target
    SELECT target_blueprint, target, blueprint, identifier, relation FROM relations;
    DROP TABLE relations;
    ALTER TABLE relations_keyed_by_target RENAME TO relations;
    """,
    # 9: owners named once (key and latest datasource), ownership rows by owner number in
    # one B-tree: a write's ownership row is a third of its old size, and one index less.
    """
    CREATE TABLE owners (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        datasource TEXT NOT NULL
    );
    INSERT INTO owners(key, datasource) SELECT owner, max(datasource) FROM ownership GROUP BY owner;
    CREATE TABLE ownership_by_number (
        owner INTEGER NOT NULL,
        blueprint TEXT NOT NULL,
        identifier TEXT NOT NULL,
        PRIMARY KEY (owner, blueprint, identifier)
    ) WITHOUT ROWID;
    INSERT INTO ownership_by_number
    SELECT w.id, o.blueprint, o.identifier FROM ownership o JOIN owners w ON w.key = o.owner;
    DROP TABLE ownership;
    ALTER TABLE ownership_by_number RENAME TO ownership;
    """,
    # 10: a search by identifiers without a blueprint seeks each blueprint's key instead
    # (see ocean.store.sqlite.search.prefilter): one index less for every write.
    "DROP INDEX entities_by_identifier;",
    # 11: entities in a rowid table with a unique key index. Bodies are a few hundred
    # bytes, too large for a WITHOUT ROWID B-tree (a dozen rows a page, a split every few
    # inserts): new rows now append and only the small key index takes them in order,
    # which halves SQLite's time for a first sync's entity inserts.
    """
    CREATE TABLE entities_by_rowid (
        blueprint TEXT NOT NULL,
        identifier TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO entities_by_rowid(blueprint, identifier, body, created_at, updated_at, version)
    SELECT blueprint, identifier, body, created_at, updated_at, version FROM entities
    ORDER BY blueprint, identifier;
    DROP TABLE entities;
    ALTER TABLE entities_by_rowid RENAME TO entities;
    CREATE UNIQUE INDEX entities_by_key ON entities(blueprint, identifier);
    """,
    # 12: one resync at a time per integration (see ocean.store.sqlite.lease).
    """
    CREATE TABLE resync_leases (
        integration TEXT PRIMARY KEY,
        holder TEXT,
        host TEXT,
        pid INTEGER,
        acquired_at TEXT,
        expires_at TEXT NOT NULL,
        completed_at TEXT
    );
    """,
    # 13: incremental-sync cursors (see ocean.store.sqlite.cursors).
    """
    CREATE TABLE cursors (
        integration TEXT NOT NULL,
        kind TEXT NOT NULL,
        idx INTEGER NOT NULL,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (integration, kind, idx)
    ) WITHOUT ROWID;
    """,
    # 14: the audit log of writes through the catalog server (see ocean.store.sqlite.audit).
    """
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
    # 15: credential roles (admin, integration bound to one identifier, read-only), a
    # version that rotation bumps, revocation; credentials made before roles were admin.
    """
    ALTER TABLE credentials ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
    ALTER TABLE credentials ADD COLUMN integration TEXT;
    ALTER TABLE credentials ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE credentials ADD COLUMN revoked_at TEXT;
    ALTER TABLE credentials ADD COLUMN migrated INTEGER NOT NULL DEFAULT 0;
    UPDATE credentials SET migrated = 1;
    """,
    # 16: self-service actions (Port's definitions, whole), their runs (claimed for a
    # visibility timeout, acknowledged once, leased while they execute) and run logs.
    """
    CREATE TABLE actions (
        identifier TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE action_runs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        action TEXT NOT NULL,
        installation TEXT NOT NULL,
        status TEXT NOT NULL,
        external_run_id TEXT,
        body TEXT NOT NULL,
        claim_until REAL,
        visibility REAL,
        acked_at TEXT,
        lease_until REAL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX action_runs_claimable ON action_runs(installation, status, acked_at, seq);
    CREATE INDEX action_runs_by_external_id ON action_runs(external_run_id);
    CREATE TABLE action_run_logs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        run TEXT NOT NULL,
        level TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX action_run_logs_by_run ON action_run_logs(run, seq);
    """,
    # what a running resync produced (ocean/store/produced.py): rows dropped at its end
    """
    CREATE TABLE resync_produced (
        run TEXT NOT NULL,
        blueprint TEXT NOT NULL,
        identifier TEXT NOT NULL,
        PRIMARY KEY (run, blueprint, identifier)
    ) WITHOUT ROWID;
    """,
    # a count of blueprint changes, by any connection (ocean/store/sqlite/catalog.py):
    # a write reads it under its lock and checks its cached rules against it
    """
    CREATE TABLE blueprint_changes (n INTEGER NOT NULL);
    INSERT INTO blueprint_changes(n) VALUES (0);
    CREATE TRIGGER blueprint_created AFTER INSERT ON blueprints
    BEGIN UPDATE blueprint_changes SET n = n + 1; END;
    CREATE TRIGGER blueprint_changed AFTER UPDATE ON blueprints
    BEGIN UPDATE blueprint_changes SET n = n + 1; END;
    CREATE TRIGGER blueprint_deleted AFTER DELETE ON blueprints
    BEGIN UPDATE blueprint_changes SET n = n + 1; END;
    """,
    # when the resync that last completed took its lease (ocean/resync_lease.py, Standby)
    """
    ALTER TABLE resync_leases ADD COLUMN completed_since TEXT;
    """,
    # an integration's runs (its last completed one, read by every resync; the web
    # catalog's pages) without reading every integration's
    """
    CREATE INDEX runs_by_integration ON runs(integration, id);
    """,
    # 21: page records as the releases before migration 7 took its final form wrote them (a
    # `stamp` column every write left null failed, and records of `keys` without `entries`
    # held for any catalog): the table remade with today's columns and records only. A page
    # record is a memory of unchanged pages: one it drops is written again by the next run.
    """
    CREATE TABLE resync_pages_now (
        owner TEXT NOT NULL,
        slot TEXT NOT NULL,
        digest BLOB NOT NULL,
        fingerprint TEXT NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (owner, slot, digest)
    ) WITHOUT ROWID;
    INSERT INTO resync_pages_now(owner, slot, digest, fingerprint, record)
    SELECT owner, slot, digest, fingerprint, record FROM resync_pages
    WHERE CASE WHEN json_valid(record) THEN json_type(record, '$.entries') END = 'array';
    DROP TABLE resync_pages;
    ALTER TABLE resync_pages_now RENAME TO resync_pages;
    """,
]


def migrate(connection: sqlite3.Connection) -> None:
    """Bring the schema to the latest version, all pending migrations in one write
    transaction. Processes opening a new catalog at once take turns: the first migrates,
    the others wait for its lock (the busy timeout), then find the version current."""
    current = _version(connection)
    if current > len(MIGRATIONS):
        raise NewerSchemaError(current, len(MIGRATIONS))
    if current == len(MIGRATIONS):
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = _version(connection)  # read again under the lock: another may have migrated
        if version > len(MIGRATIONS):  # a newer Ocean did, meanwhile
            raise NewerSchemaError(version, len(MIGRATIONS))
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in statements(script):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number}")
        connection.execute("COMMIT")
    except BaseException:
        # (SQLite rolls back itself after some errors, a full disk's among them: a ROLLBACK
        # then fails, and its error would hide the one that says what happened)
        if connection.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
        raise


def refuse_newer(connection: sqlite3.Connection) -> None:
    """Raise :class:`NewerSchemaError` if a newer Ocean migrated the catalog since this one
    opened it (a rolling upgrade): asked as each resync takes its lease, so an older
    replica stops writing by rules the newer one changed."""
    version = _version(connection)
    if version > len(MIGRATIONS):
        raise NewerSchemaError(version, len(MIGRATIONS))


def statements(script: str) -> list[str]:
    """The complete SQL statements of ``script``, one each."""
    found, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            found.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"an incomplete SQL statement ends the migration: {pending.strip()!r}")
    return found


def _version(connection: sqlite3.Connection) -> int:
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    return int(version)
