"""``ocean defaults dock|clean``: an integration's blueprints and default mapping in the
catalog, as the original's commands of the same names."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ocean.cli.options import catalog_option, run

if TYPE_CHECKING:
    from ocean.sail import Sail
    from ocean.store.base import Store

_PATH = click.argument(
    "path", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path)
)


@click.group()
def defaults() -> None:
    """Create, update or remove an integration's blueprints and default mapping."""


@defaults.command()
@_PATH
@catalog_option
@click.option(
    "-f",
    "--force",
    is_flag=True,
    help="Apply unsafe blueprint changes too (type changes, removals, new requirements).",
)
def dock(path: Path, catalog_url: str | None, force: bool) -> None:
    """Create or update the blueprints of PATH/.port/resources (default: the current
    folder) and keep its mapping as the integration's configuration."""
    from ocean.defaults import dock as dock_defaults
    from ocean.defaults import dock_command
    from ocean.mapping import to_document

    async def work() -> None:
        prepared, store = await _open(path, catalog_url)
        try:
            sync = await dock_defaults(
                store,
                prepared.owner,
                prepared.folder.blueprints,
                to_document(prepared.folder.mapping),
                force=force,
            )
        finally:
            await store.close()
        for identifier in sync.created:
            click.echo(f"created blueprint {identifier!r}")
        for change in sync.applied:
            click.echo(f"updated blueprint {change}")
        for note in sync.notes(dock_command(path, catalog_url)):
            click.echo(note, err=True)
        click.echo(f"mapping kept as {prepared.owner.identifier!r}'s configuration")

    run(work)


@defaults.command()
@_PATH
@catalog_option
@click.option("-f", "--force", is_flag=True, help="Do not ask for confirmation.")
def clean(path: Path, catalog_url: str | None, force: bool) -> None:
    """Delete the blueprints of PATH/.port/resources from the catalog, with all their
    entities (asks first, unless --force)."""
    from ocean.defaults import clean as clean_defaults

    async def work() -> None:
        prepared, store = await _open(path, catalog_url)
        try:
            stored = {bp.get("identifier") for bp in await store.list_blueprints()}
            counts = await store.count_entities()
            mine = [
                bp["identifier"] for bp in prepared.folder.blueprints if bp["identifier"] in stored
            ]
            if not mine:
                click.echo(
                    "none of the integration's blueprints is in the catalog: nothing to clean"
                )
                return
            entities = sum(counts.get(identifier, 0) for identifier in mine)
            question = f"Delete the blueprints {', '.join(mine)} and their {entities} entities?"
            if not force and not click.confirm(question, default=False, err=True):
                raise click.Abort
            cleaned = await clean_defaults(store, prepared.folder.blueprints)
        finally:
            await store.close()
        click.echo(f"deleted {len(cleaned.blueprints)} blueprints and {cleaned.entities} entities")

    run(work)


async def _open(path: Path, catalog_url: str | None) -> tuple[Sail, Store]:
    from ocean.sail import prepare
    from ocean.store.open import open_store

    overrides = {"catalog": {"url": catalog_url}} if catalog_url else {}
    prepared = prepare(path, environ=os.environ, overrides=overrides)
    store = await open_store(prepared.catalog_url, credentials=prepared.credentials)
    return prepared, store
