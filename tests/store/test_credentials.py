"""The catalog server's credentials in the catalog (SQLite on a thread and in its own
process, PostgreSQL): roles, revocation, rotation, the migration of credentials made
before roles existed, and the datasources the server's ownership checks read."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import asyncpg
import pytest
from click.testing import CliRunner

from ocean.cli.main import cli
from ocean.errors import CredentialError
from ocean.store.base import Owner, Store
from ocean.store.credentials import KeepsCredentials, secret_hash
from ocean.store.ownership import KnowsDatasources
from ocean.store.postgres import schema as postgres_schema
from ocean.store.postgres.store import PostgresStore
from ocean.store.sqlite import migrations as sqlite_migrations
from ocean.store.sqlite.store import SQLiteStore
from ocean.types import Entity
from tests.conftest import POSTGRES_URL


def _before_roles(scripts: list[str]) -> int:
    """How many migrations there were before credentials had roles."""
    return next(i for i, script in enumerate(scripts) if "ADD COLUMN role" in script)


async def test_roles_revocation_and_rotation(store: Store) -> None:
    assert isinstance(store, KeepsCredentials)
    admin_id, _ = await store.create_credentials("legacy-call")  # no role: admin
    client_id, secret = await store.create_credentials(
        "a", role="integration", integration="team-a"
    )
    with pytest.raises(CredentialError, match="--integration"):
        await store.create_credentials("b", role="integration")
    with pytest.raises(CredentialError, match="choose one of admin, integration, read-only"):
        await store.create_credentials("c", role="owner")
    found = await store.get_credential(client_id)
    assert found is not None and found.active and not found.migrated
    assert (found.role, found.integration, found.version) == ("integration", "team-a", 1)
    assert found.secret_hash == secret_hash(client_id, secret)
    new = await store.rotate_credential(client_id)
    rotated = await store.get_credential(client_id)
    assert rotated is not None and rotated.version == 2
    assert rotated.secret_hash == secret_hash(client_id, new) != found.secret_hash
    revoked = await store.revoke_credential(client_id)
    assert revoked.revoked_at is not None and not revoked.active
    with pytest.raises(CredentialError, match="was revoked"):
        await store.rotate_credential(client_id)
    with pytest.raises(CredentialError, match="credentials list"):
        await store.revoke_credential("ocean-nobody")
    listed = {c.client_id: c.role for c in await store.list_credentials()}
    assert listed == {admin_id: "admin", client_id: "integration"}


async def test_datasources_of_entities(store: Store) -> None:
    assert isinstance(store, KnowsDatasources)
    await store.create_blueprints(
        [{"identifier": "service", "title": "Service", "schema": {"properties": {}}}]
    )
    for owner in (Owner("fake", "team-a"), Owner("fake", "team-b")):
        entity: Entity = {
            "blueprint": "service",
            "identifier": f"{owner.identifier}-1",
            "title": "x",
        }
        await store.upsert_entities([entity], owner=owner, merge=True)
    shared: Entity = {"blueprint": "service", "identifier": "team-a-1", "title": "y"}
    await store.upsert_entities([shared], owner=Owner("fake", "team-b"), merge=True)
    found = await store.datasources_of(
        [("service", "team-a-1"), ("service", "team-b-1"), ("service", "missing")]
    )
    assert found == {
        ("service", "team-a-1"): [
            "port-ocean/fake/0.1.0/team-a/exporter",
            "port-ocean/fake/0.1.0/team-b/exporter",
        ],
        ("service", "team-b-1"): ["port-ocean/fake/0.1.0/team-b/exporter"],
    }


def _old_sqlite(path: Path) -> Path:
    """A catalog file as it was before roles, with one credential (``ocean-old``)."""
    connection = sqlite3.connect(path, isolation_level=None)
    done = _before_roles(sqlite_migrations.MIGRATIONS)
    for script in sqlite_migrations.MIGRATIONS[:done]:
        connection.executescript(script)
    connection.execute(f"PRAGMA user_version = {done}")
    connection.execute(
        "INSERT INTO credentials VALUES ('ocean-old', 'old', ?, '2024-01-01T00:00:00.000Z')",
        (secret_hash("ocean-old", "s"),),
    )
    connection.close()
    return path


async def test_sqlite_credentials_made_before_roles_become_admin(tmp_path: Path) -> None:
    store = await SQLiteStore.open(_old_sqlite(tmp_path / "old.db"))
    try:
        old = await store.get_credential("ocean-old")
        assert old is not None and (old.role, old.migrated, old.version) == ("admin", True, 1)
    finally:
        await store.close()


def test_the_list_warns_of_migrated_credentials(tmp_path: Path) -> None:
    path = _old_sqlite(tmp_path / "old.db")
    listed = CliRunner().invoke(cli, ["catalog", "credentials", "list", "--catalog", str(path)])
    assert listed.exit_code == 0, listed.output
    assert "admin (migrated)" in listed.stdout
    assert "made before roles existed act as admin: old (ocean-old)" in listed.stderr


async def test_postgres_credentials_made_before_roles_become_admin() -> None:
    schema = f"test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(POSTGRES_URL)
    try:
        await connection.execute(f'CREATE SCHEMA "{schema}"; SET search_path TO "{schema}"')
        await connection.execute("CREATE TABLE ocean_schema (version INT NOT NULL)")
        done = _before_roles(postgres_schema.MIGRATIONS)
        for number, script in enumerate(postgres_schema.MIGRATIONS[:done], start=1):
            await connection.execute(script)
            await connection.execute("INSERT INTO ocean_schema(version) VALUES ($1)", number)
        await connection.execute(
            "INSERT INTO credentials VALUES ('ocean-old', 'old', 'h', '2024-01-01T00:00:00.000Z')"
        )
        store = await PostgresStore.open(f"{POSTGRES_URL}?schema={schema}")
        old = await store.get_credential("ocean-old")
        await store.close()
        assert old is not None and (old.role, old.migrated) == ("admin", True)
    finally:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.close()


def test_the_credentials_commands(tmp_path: Path) -> None:
    catalog = ["--catalog", str(tmp_path / "c.db")]
    runner = CliRunner()

    def ocean(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(cli, ["catalog", "credentials", *args, *catalog])
        return result.exit_code, result.stdout, result.stderr

    code, out, err = ocean("create", "a", "--role", "integration", "--integration", "team-a")
    assert code == 0 and "shown this once" in err
    values = dict(line.split("=", 1) for line in out.split())
    client_id = values["OCEAN__PORT__CLIENT_ID"]
    assert ocean("create", "b")[0] == 2  # --role is required
    assert ocean("create", "c", "--role", "integration")[0] == 2  # and the integration with it
    code, out, _ = ocean("rotate", client_id)
    assert code == 0 and values["OCEAN__PORT__CLIENT_SECRET"] not in out
    assert ocean("revoke", client_id)[0] == 0
    code, out, _ = ocean("list")
    assert client_id in out and "revoked" in out and "team-a" in out
    code, _, err = ocean("rotate", "ocean-nobody")
    assert code == 2 and "no credential has the client id 'ocean-nobody'" in err
