"""``ocean defaults dock|clean``: an integration's blueprints and default mapping in the
catalog, as the original's commands of the same names."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ocean.cli.options import catalog_option, run

if TYPE_CHECKING:
    from ocean.defaults import CleanPlan
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
@click.option(
    "--with-related",
    is_flag=True,
    help="Also delete the other blueprints relating to these, with their entities "
    "(without it, clean refuses while any relates to them).",
)
@click.option(
    "-d",
    "--destroy",
    is_flag=True,
    help="Also delete the integration's record (its mapping and state), as the original's.",
)
@click.option(
    "-w",
    "--wait",
    is_flag=True,
    help="Accepted as the original's: the deletions here are done when the command returns.",
)
def clean(
    path: Path, catalog_url: str | None, force: bool, with_related: bool, destroy: bool,
    wait: bool,
) -> None:  # fmt: skip
    """Delete the blueprints of PATH/.port/resources from the catalog, with all their
    entities (asks first, unless --force); refuses, deleting nothing, while other
    blueprints or entities relate to them. --destroy deletes the integration's record too."""
    from ocean.defaults import clean as clean_defaults
    from ocean.defaults import destroy_integration, plan_clean
    from ocean.errors import ConflictError

    async def work() -> None:
        prepared, store = await _open(path, catalog_url)
        identifier = prepared.owner.identifier if destroy else None
        try:
            plan = await plan_clean(store, prepared.folder.blueprints, with_related=with_related)
            if refusal := plan.refusal():
                raise ConflictError(refusal)
            if not plan.blueprints and identifier is None:
                click.echo(
                    "none of the integration's blueprints is in the catalog: nothing to clean"
                )
                return
            if not force and not click.confirm(
                _question(plan, identifier), default=False, err=True
            ):
                raise click.Abort
            if plan.blueprints:  # (none: a catalog that cannot delete them may --destroy)
                cleaned = await clean_defaults(store, plan)
                click.echo(
                    f"deleted {len(cleaned.blueprints)} blueprints and {cleaned.entities} entities"
                )
            if identifier is not None:
                gone = await destroy_integration(store, identifier)
                click.echo(f"deleted the integration {identifier!r}" if gone else
                           f"the integration {identifier!r} has no record: none deleted")  # fmt: skip
        finally:
            await store.close()

    run(work)


def _question(plan: CleanPlan, destroyed: str | None) -> str:
    mine = [identifier for identifier in plan.blueprints if identifier not in plan.taken]
    also = (
        f", and also the other blueprints {', '.join(plan.taken)} that relate to them "
        f"({'; '.join(plan.related)}),"
        if plan.taken
        else ""
    )
    record = f" and the integration {destroyed!r}" if destroyed else ""
    if not plan.blueprints:
        return f"Delete the integration {destroyed!r} (none of its blueprints is in the catalog)?"
    return (
        f"Delete the blueprints {', '.join(mine)}{also} and their {plan.entities} entities{record}?"
    )


async def _open(path: Path, catalog_url: str | None) -> tuple[Sail, Store]:
    from ocean.sail import prepare
    from ocean.store.open import open_store

    overrides = {"catalog": {"url": catalog_url}} if catalog_url else {}
    prepared = prepare(path, environ=os.environ, overrides=overrides)
    store = await open_store(prepared.catalog_url, credentials=prepared.credentials)
    return prepared, store
