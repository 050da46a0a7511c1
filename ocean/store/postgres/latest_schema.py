"""The PostgreSQL catalog's schema as its migrations leave it, in one script: a new catalog
is made with it in one round trip (about 40 ms) instead of by every migration in turn
(about 90 ms: tables made and altered again, columns retyped, a table copied). A test
compares the two, table by table, column by column, index, constraint, trigger and
function (``tests/store/postgres/test_latest_schema.py``); a new migration changes this
script too. It repeats much of the migrations' text on purpose: a migration is history,
never edited once released, and this script is the present (shared pieces would let an
edit here rewrite a past migration).
"""

from __future__ import annotations

LATEST = """
CREATE SEQUENCE blueprint_versions;
CREATE TABLE blueprints (
    identifier TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT nextval('blueprint_versions')
);
CREATE TABLE entities (
    blueprint TEXT COLLATE "C" NOT NULL,
    identifier TEXT COLLATE "C" NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (blueprint, identifier)
);
CREATE TABLE owners (
    id SERIAL PRIMARY KEY,
    key TEXT COLLATE "C" NOT NULL UNIQUE,
    datasource TEXT NOT NULL
);
CREATE TABLE ownership (
    owner INT NOT NULL,
    blueprint TEXT COLLATE "C" NOT NULL,
    identifier TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (owner, blueprint, identifier)
);
CREATE INDEX ownership_by_entity ON ownership USING hash (identifier);
CREATE TABLE runs (
    id BIGSERIAL PRIMARY KEY,
    integration TEXT NOT NULL,
    trigger TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL,
    report TEXT NOT NULL
);
CREATE INDEX runs_by_integration ON runs(integration, id);
CREATE TABLE resync_requests (integration TEXT PRIMARY KEY, requested_at TEXT NOT NULL);
CREATE TABLE credentials (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'admin',
    integration TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    revoked_at TEXT,
    migrated BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE integrations (identifier TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE resync_pages (
    owner TEXT NOT NULL,
    slot TEXT NOT NULL,
    digest BYTEA NOT NULL,
    fingerprint TEXT NOT NULL,
    record TEXT NOT NULL,
    entry_blueprints TEXT[] NOT NULL,
    entry_identifiers TEXT[] NOT NULL,
    entry_versions BIGINT[] NOT NULL,
    PRIMARY KEY (owner, slot, digest)
);
CREATE TABLE resync_leases (
    integration TEXT PRIMARY KEY,
    holder TEXT,
    host TEXT,
    pid INTEGER,
    acquired_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ NOT NULL,
    completed_at TIMESTAMPTZ,
    completed_since TIMESTAMPTZ
);
CREATE TABLE cursors (
    integration TEXT NOT NULL,
    kind TEXT NOT NULL,
    idx INTEGER NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (integration, kind, idx)
);
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
CREATE UNLOGGED TABLE resync_produced (
    run TEXT COLLATE "C" NOT NULL,
    blueprint TEXT COLLATE "C" NOT NULL,
    identifier TEXT COLLATE "C" NOT NULL
);
CREATE INDEX resync_produced_keys ON resync_produced(run, blueprint, identifier);
CREATE TABLE relations (
    target_blueprint TEXT COLLATE "C" NOT NULL,
    target TEXT COLLATE "C" NOT NULL,
    blueprint TEXT COLLATE "C" NOT NULL,
    identifier TEXT COLLATE "C" NOT NULL,
    relation TEXT COLLATE "C" NOT NULL
);
CREATE INDEX relations_by_target ON relations(target, identifier);
CREATE TABLE entity_deletions (n BIGINT NOT NULL);
INSERT INTO entity_deletions VALUES (0);
CREATE FUNCTION count_entity_deletions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('UPDATE %I.entity_deletions SET n = n + 1', TG_TABLE_SCHEMA);
    RETURN NULL;
END $$;
CREATE TRIGGER entities_deleted AFTER DELETE ON entities
    FOR EACH STATEMENT EXECUTE FUNCTION count_entity_deletions();
COMMENT ON TABLE ocean_schema IS
    'blueprint locks: pg_advisory_xact_lock(7263003, hashtext(blueprint)), in key order';
"""
