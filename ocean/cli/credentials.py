"""``ocean catalog credentials ...``: the catalog server's machine credentials.

``create NAME --role ROLE [--integration ID]`` prints a client id and a secret (shown
once: only its hash is kept); ``list`` shows them all, revoked ones included; ``revoke``
and ``rotate`` take effect at once, for the tokens already issued too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import click
from rich.table import Table

from ocean.cli.options import catalog_option, catalog_url, print_table, run
from ocean.errors import CredentialError
from ocean.store.credentials import ROLES, Credential, KeepsCredentials
from ocean.store.open import open_store

MIGRATED_WARNING = (
    "warning: {count} credential(s) made before roles existed act as admin: {names}. "
    "Give each integration its own credential (`ocean catalog credentials create NAME "
    "--role integration --integration ID`), then revoke these "
    "(`ocean catalog credentials revoke CLIENT_ID`)"
)


@click.group()
def credentials() -> None:
    """Machine credentials for the catalog server (roles: admin, integration, read-only)."""


@credentials.command("create")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(ROLES),
    help="admin: everything; integration: only its own integration's entities; read-only.",
)
@click.option("--integration", default=None, help="The integration identifier (role integration).")
@catalog_option
def create(name: str, role: str, integration: str | None, catalog_url: str | None) -> None:
    """Create a credential named NAME; its secret is shown once."""

    async def made(store: KeepsCredentials) -> None:
        client_id, secret = await store.create_credentials(name, role=role, integration=integration)
        click.echo(f"OCEAN__PORT__CLIENT_ID={client_id}\nOCEAN__PORT__CLIENT_SECRET={secret}")
        click.echo("(the secret is shown this once: keep it now)", err=True)

    _with_credentials(catalog_url, made)


@credentials.command("list")
@catalog_option
def list_credentials(catalog_url: str | None) -> None:
    """List credentials (never their secrets)."""

    async def show(store: KeepsCredentials) -> None:
        table = Table("client id", "name", "role", "integration", "version", "created", "status")
        for c in await store.list_credentials():
            table.add_row(
                c.client_id,
                c.name,
                c.role + (" (migrated)" if c.migrated else ""),
                c.integration or "",
                str(c.version),
                c.created_at,
                "active" if c.active else f"revoked {c.revoked_at}",
            )
        print_table(table)
        migrated = [c for c in await store.list_credentials() if c.migrated and c.active]
        if migrated:
            click.echo(migrated_warning(migrated), err=True)

    _with_credentials(catalog_url, show)


@credentials.command("revoke")
@click.argument("client_id")
@catalog_option
def revoke(client_id: str, catalog_url: str | None) -> None:
    """Revoke CLIENT_ID: its tokens are refused from the next request on."""

    async def revoked(store: KeepsCredentials) -> None:
        credential = await store.revoke_credential(client_id)
        click.echo(f"revoked {credential.client_id} ({credential.name}) at {credential.revoked_at}")

    _with_credentials(catalog_url, revoked)


@credentials.command("rotate")
@click.argument("client_id")
@catalog_option
def rotate(client_id: str, catalog_url: str | None) -> None:
    """Give CLIENT_ID a new secret (shown once); the old one and its tokens stop at once."""

    async def rotated(store: KeepsCredentials) -> None:
        secret = await store.rotate_credential(client_id)
        click.echo(f"OCEAN__PORT__CLIENT_ID={client_id}\nOCEAN__PORT__CLIENT_SECRET={secret}")
        click.echo("(the new secret is shown this once; the old one no longer works)", err=True)

    _with_credentials(catalog_url, rotated)


def migrated_warning(migrated: list[Credential]) -> str:
    names = ", ".join(f"{c.name} ({c.client_id})" for c in migrated)
    return MIGRATED_WARNING.format(count=len(migrated), names=names)


async def warn_migrated(store: object) -> None:
    """Warn on stderr when active credentials made before roles existed act as admin."""
    if isinstance(store, KeepsCredentials):
        migrated = [c for c in await store.list_credentials() if c.migrated and c.active]
        if migrated:
            click.echo(migrated_warning(migrated), err=True)


def _with_credentials(
    url: str | None, action: Callable[[KeepsCredentials], Awaitable[None]]
) -> None:
    async def go() -> None:
        store = await open_store(catalog_url(url))
        try:
            if not isinstance(store, KeepsCredentials):
                raise CredentialError(
                    f"{type(store).__name__} keeps no credentials of Ocean's catalog server: "
                    "name an embedded (SQLite) or PostgreSQL catalog with --catalog"
                )
            await action(store)
        finally:
            await store.close()

    run(go)
