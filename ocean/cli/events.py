"""``ocean events dead|retry IDENTIFIER``: the live-event dead-letter list."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import click
from rich.table import Table

from ocean.cli.options import catalog_option, catalog_url, print_table, run, settings
from ocean.errors import ConfigError, OceanError
from ocean.live.open import open_queue, queue_url
from ocean.live.queue import EventQueue
from ocean.store.catalog_url import sqlite_path

queue_option = click.option(
    "--queue",
    "queue",
    default=None,
    help="Live-event queue URL (env OCEAN__LIVE_EVENTS__QUEUE_URL; default: the catalog's file).",
)


@click.group()
def events() -> None:
    """Live events waiting, and those that ran out of retries."""


@events.command()
@click.argument("identifier")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one event per line.")
@queue_option
@catalog_option
def dead(identifier: str, as_json: bool, queue: str | None, catalog_url: str | None) -> None:
    """List IDENTIFIER's dead-lettered events, oldest first."""

    async def show(opened: EventQueue) -> None:
        table = Table("id", "path", "key", "received", "attempts", "error")
        for event in await opened.dead():
            if as_json:
                click.echo(json.dumps(event.to_dict(), ensure_ascii=False))
                continue
            received = datetime.fromtimestamp(event.received_at, UTC).isoformat(timespec="seconds")
            table.add_row(event.id, event.path, event.key or "", received, str(event.attempts),
                          event.error or "")  # fmt: skip
        if not as_json:
            print_table(table)

    _with_queue(identifier, queue, catalog_url, show)


@events.command()
@click.argument("identifier")
@queue_option
@catalog_option
def pending(identifier: str, queue: str | None, catalog_url: str | None) -> None:
    """How many of IDENTIFIER's live events wait to be applied (or are being applied)."""

    async def count(opened: EventQueue) -> None:
        click.echo(f"{await opened.depth()} event(s) pending for {identifier}")

    _with_queue(identifier, queue, catalog_url, count)


@events.command()
@click.argument("identifier")
@click.argument("ids", nargs=-1)
@queue_option
@catalog_option
def retry(
    identifier: str, ids: tuple[str, ...], queue: str | None, catalog_url: str | None
) -> None:
    """Put IDENTIFIER's dead-lettered events (all, or those with IDS) back in line; the
    running integration applies them."""

    async def revive(opened: EventQueue) -> None:
        unknown = sorted(set(ids) - {event.id for event in await opened.dead()})
        if unknown:  # (none revived: the ids are those `dead` prints, as it prints them)
            raise OceanError(
                f"no dead-lettered event of {identifier} has the id(s) {', '.join(unknown)}, "
                f"so none was queued again: `ocean events dead {identifier}` lists those "
                "there are"
            )
        count = await opened.revive(list(ids) or None)
        click.echo(f"{count} event(s) queued again for {identifier}")

    _with_queue(identifier, queue, catalog_url, revive)


def _with_queue(
    identifier: str,
    queue: str | None,
    catalog: str | None,
    action: Callable[[EventQueue], Awaitable[None]],
) -> None:
    configured = queue or settings().live_events.queue_url
    url = queue_url(configured, catalog_url(catalog))

    async def go() -> None:
        path = sqlite_path(url)
        if path is not None and not path.exists():  # (from the wrong folder: not made empty)
            raise ConfigError(
                f"there is no live-event queue at {path}: run this where `ocean sail` keeps "
                "its catalog (the integration's folder), or name it with --catalog or --queue"
            )
        opened = await open_queue(url, identifier)
        try:
            await action(opened)
        finally:
            await opened.close()

    run(go)
