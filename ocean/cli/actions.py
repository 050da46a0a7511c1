"""``ocean actions list|create|run|runs|logs``: self-service actions in the catalog and
their runs (the embedded catalog, PostgreSQL, or a Port API such as ``ocean catalog serve``
with ``OCEAN__PORT__CLIENT_ID`` / ``OCEAN__PORT__CLIENT_SECRET``)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ocean.actions.catalog import ActionsCatalog
from ocean.actions.open import actions_of
from ocean.cli.options import (
    LIMIT,
    catalog_option,
    open_catalog,
    print_table,
    run,
)
from ocean.errors import ActionError


def _with_catalog(url: str | None, work: Callable[[ActionsCatalog], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        store = await open_catalog(url)
        try:
            return await work(actions_of(store))
        finally:
            await store.close()

    return run(go)


@click.group()
def actions() -> None:
    """Self-service actions and their runs."""


@actions.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one action per line.")
@catalog_option
def list_actions(as_json: bool, catalog_url: str | None) -> None:
    """The actions the catalog holds."""

    async def show(catalog: ActionsCatalog) -> None:
        table = Table("identifier", "title", "integration", "type", "blueprint")
        for action in await catalog.list_actions():
            if as_json:
                click.echo(json.dumps(action, ensure_ascii=False))
                continue
            invocation = action.get("invocationMethod") or {}
            table.add_row(action["identifier"], str(action.get("title") or ""),
                          str(invocation.get("installationId") or ""),
                          str(invocation.get("integrationActionType") or ""),
                          str((action.get("trigger") or {}).get("blueprintIdentifier") or ""))  # fmt: skip
        if not as_json:
            print_table(table)

    _with_catalog(catalog_url, show)


@actions.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace an action of the same identifier.")
@catalog_option
def create(file: Path, replace: bool, catalog_url: str | None) -> None:
    """Create the actions in FILE (a JSON object, or a list of them, as Port's)."""
    try:
        loaded = json.loads(file.read_text())
    except ValueError as error:
        raise click.BadParameter(
            f"{file} is not JSON ({error}); it must hold an action (a JSON object) or a list "
            "of them, as Port's",
            param_hint="FILE",
        ) from None
    definitions = loaded if isinstance(loaded, list) else [loaded]

    async def save(catalog: ActionsCatalog) -> None:
        for definition in definitions:
            stored = await catalog.save_action(definition, replace=replace)
            click.echo(f"saved action {stored['identifier']}")

    _with_catalog(catalog_url, save)


def _inputs(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``k=v`` pairs; a value that is JSON (a number, true, a list) is read as JSON."""
    inputs: dict[str, Any] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise click.BadParameter(f"{pair!r}: give inputs as KEY=VALUE", param_hint="--input")
        try:
            inputs[key] = json.loads(value)
        except ValueError:
            inputs[key] = value
    return inputs


@actions.command("run")
@click.argument("action")
@click.option("--entity", default=None, help="The entity to run it on: BLUEPRINT/IDENTIFIER.")
@click.option("--input", "pairs", multiple=True, help="An input, KEY=VALUE (repeatable).")
@click.option("--wait", is_flag=True, help="Wait for the run to end; print its logs.")
@click.option(
    "--timeout",
    default=300.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds --wait waits.",
)
@catalog_option
def run_action(
    action: str,
    entity: str | None,
    pairs: tuple[str, ...],
    wait: bool,
    timeout: float,
    catalog_url: str | None,
) -> None:
    """Trigger ACTION; with --wait, print its log lines as they come and exit 1 unless it
    ends SUCCESS."""
    blueprint, identifier = None, entity
    if entity is not None and "/" in entity:
        blueprint, identifier = entity.split("/", 1)
    inputs = _inputs(pairs)

    async def trigger(catalog: ActionsCatalog) -> str:
        created = await catalog.trigger(action, inputs, identifier, blueprint)
        click.echo(f"run {created['id']} of {action}: {created['status']}")
        if not wait:
            return str(created["status"])
        return await _follow(catalog, created["id"], timeout)

    status = _with_catalog(catalog_url, trigger)
    if wait and status != "SUCCESS":
        raise SystemExit(1)


async def _follow(catalog: ActionsCatalog, run_id: str, timeout: float) -> str:
    shown, deadline = 0, time.monotonic() + timeout
    while True:
        found = await catalog.get_run(run_id)
        lines = await catalog.run_logs(run_id)
        for line in lines[shown:]:
            click.echo(
                f"  {line.get('createdAt', '')} {line.get('level', 'INFO'):7} {line['message']}"
            )
        shown = len(lines)
        if found is not None and found["status"] != "IN_PROGRESS":
            links = " ".join(found.get("link") or [])
            click.echo(f"run {run_id}: {found['status']}" + (f" ({links})" if links else ""))
            return str(found["status"])
        if time.monotonic() > deadline:
            raise ActionError(
                f"run {run_id} is still IN_PROGRESS after {timeout:g} s; is an integration "
                "running its executor (ocean sail with OCEAN__EVENT_LISTENER__TYPE=ACTIONS_ONLY)? "
                f"Follow it with `ocean actions logs {run_id}`"
            )
        await asyncio.sleep(0.2)


@actions.command()
@click.option("--action", "action", default=None, help="Only this action's runs.")
@click.option("--active", is_flag=True, help="Only runs still in progress.")
@click.option("--limit", default=50, show_default=True, type=LIMIT)
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one run per line.")
@catalog_option
def runs(
    action: str | None, active: bool, limit: int, as_json: bool, catalog_url: str | None
) -> None:
    """Action runs, newest first."""

    async def show(catalog: ActionsCatalog) -> None:
        table = Table("id", "action", "status", "entity", "created", "ended", "link")
        found = await catalog.list_runs(action=action, active=True if active else None, limit=limit)
        for item in found:
            if as_json:
                click.echo(json.dumps(item, ensure_ascii=False))
                continue
            entity = item.get("entity") or {}
            table.add_row(item["id"], item["action"]["identifier"], item["status"],
                          f"{entity.get('blueprint')}/{entity.get('identifier')}" if entity else "",
                          str(item.get("createdAt", "")), str(item.get("endedAt") or ""),
                          " ".join(item.get("link") or []))  # fmt: skip
        if not as_json:
            print_table(table)

    _with_catalog(catalog_url, show)


@actions.command()
@click.argument("run_id")
@catalog_option
def logs(run_id: str, catalog_url: str | None) -> None:
    """RUN_ID's log lines and status."""

    async def show(catalog: ActionsCatalog) -> None:
        found = await catalog.get_run(run_id)
        if found is None:
            raise ActionError(f"action run {run_id!r} does not exist; see `ocean actions runs`")
        for line in await catalog.run_logs(run_id):
            click.echo(
                f"{line.get('createdAt', '')} {line.get('level', 'INFO'):7} {line['message']}"
            )
        click.echo(f"run {run_id}: {found['status']}")

    _with_catalog(catalog_url, show)
