"""``ocean catalog ...``: look at what the catalog holds."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import click
from rich.table import Table

from ocean.cli.audit import audit
from ocean.cli.credentials import credentials, warn_migrated
from ocean.cli.options import (
    LIMIT,
    PORT,
    RECORD_ID,
    catalog_option,
    open_catalog,
    print_table,
    run,
)
from ocean.cli.runs import run_document, runs_table, show_run, unknown_integration
from ocean.server.bind import serving_at
from ocean.store.base import InstallsIntegrations, Store
from ocean.types import Entity


@click.group()
def catalog() -> None:
    """Inspect the catalog (blueprints, entities, runs)."""


@catalog.command()
@catalog_option
def blueprints(catalog_url: str | None) -> None:
    """List blueprints with their entity counts."""

    async def show(store: Store) -> None:
        counts = await store.count_entities()
        table = Table("identifier", "title", "entities", "relations")
        for bp in await store.list_blueprints():
            relations = ", ".join(
                f"{n}→{r.get('target')}" for n, r in (bp.get("relations") or {}).items()
            )
            table.add_row(
                bp["identifier"],
                str(bp.get("title") or ""),
                str(counts.get(bp["identifier"], 0)),
                relations,
            )
        print_table(table)

    _with_store(catalog_url, show)


@catalog.command()
@click.option("--blueprint", default=None, help="Only entities of this blueprint.")
@click.option(
    "--json", "as_json", is_flag=True, help="JSON lines, one entity per line, as Port shapes them."
)
@catalog_option
def entities(blueprint: str | None, as_json: bool, catalog_url: str | None) -> None:
    """List entities."""

    async def show(store: Store) -> None:
        table = Table("blueprint", "identifier", "title", "updated")
        async for entity in store.iter_entities(blueprint):
            if as_json:
                click.echo(json.dumps(entity, ensure_ascii=False))
            else:
                table.add_row(
                    entity["blueprint"],
                    entity["identifier"],
                    str(entity.get("title") or ""),
                    entity["updatedAt"],
                )
        if not as_json:
            print_table(table)

    _with_store(catalog_url, show)


@catalog.command()
@click.argument("blueprint")
@click.argument("identifier")
@catalog_option
def show(blueprint: str, identifier: str, catalog_url: str | None) -> None:
    """Show one entity as JSON."""

    async def show_one(store: Store) -> None:
        found: dict[str, Entity] = await store.get_entities(blueprint, [identifier])
        if identifier not in found:
            raise click.ClickException(
                f"no entity {identifier!r} of blueprint {blueprint!r}; "
                "list them with `ocean catalog entities --blueprint " + blueprint + "`"
            )
        click.echo(json.dumps(found[identifier], indent=2, ensure_ascii=False))

    _with_store(catalog_url, show_one)


@catalog.command()
@click.option("--limit", default=20, show_default=True, type=LIMIT)
@click.option(
    "--id", "run_id", type=RECORD_ID, default=None, help="Only this run, with its errors."
)
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one run per line.")
@catalog_option
def runs(limit: int, run_id: int | None, as_json: bool, catalog_url: str | None) -> None:
    """Resync history, newest first; --id N shows one run's kinds and errors."""

    async def show_runs(store: Store) -> None:
        if run_id is not None:
            record = await store.get_run(run_id)
            if record is None:
                raise click.ClickException(
                    f"no run {run_id} in the catalog; list them with `ocean catalog runs`"
                )
            show_run(record, as_json)
            return
        records = await store.list_runs(limit)
        if as_json:
            for record in records:
                click.echo(json.dumps(run_document(record), ensure_ascii=False))
        else:
            print_table(runs_table(records))

    _with_store(catalog_url, show_runs)


def _with_store(
    url: str | None, action: Callable[[Store], Awaitable[None]], *, existing: bool = True
) -> None:
    """Run ``action`` on the catalog ``url`` names (one that exists, unless not
    ``existing``: ``serve`` starts a new one)."""

    async def go() -> None:
        store = await open_catalog(url, existing=existing)
        try:
            await action(store)
        finally:
            await store.close()

    run(go)


@catalog.command()
@click.argument("integration")
@click.option("--force", is_flag=True, help="Ask even if INTEGRATION never ran on this catalog.")
@catalog_option
def resync(integration: str, force: bool, catalog_url: str | None) -> None:
    """Ask the polling integration INTEGRATION (its identifier) to resync."""

    async def request(store: Store) -> None:
        if isinstance(store, InstallsIntegrations):  # (a Port API: it keeps its requests)
            raise click.ClickException(
                "Port records resync requests itself: ask for one in Port's UI, or POST "
                "/resync to the integration's WEBHOOK listener"
            )
        known = await store.run_integrations()
        if integration not in known and not force:
            raise click.ClickException(unknown_integration(integration, known))
        stamp = await store.request_resync(integration)
        click.echo(f"resync of {integration} requested at {stamp}")

    _with_store(catalog_url, request, existing=False)  # (a request a sail to come reads)


@catalog.command()
@catalog_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=PORT)
@click.option(
    "--forwarded-allow-ips",
    "proxies",
    default="",
    metavar="IPS",
    help="The reverse proxies (addresses or CIDR networks, comma-separated; '*': any) "
    "whose X-Forwarded-For and X-Forwarded-Proto to trust: a request's client address is "
    "then the one its proxy names (the token route limits failures per address). "
    "Default: none, a request's address is its TCP peer's.",
)
def serve(catalog_url: str | None, host: str, port: int, proxies: str) -> None:
    """Serve the catalog over Port's API (for `ocean sail --catalog http://...` and port-ocean)."""
    flags = _feature_flags()

    async def serve_forever(store: Store) -> None:
        import uvicorn  # imported on use, as the server: other commands start faster

        from ocean.cli.options import catalog_url as resolved
        from ocean.cli.options import settings
        from ocean.live.open import queue_url
        from ocean.server.app import create_app

        configured = settings().live_events.queue_url
        queue = queue_url(configured, resolved(catalog_url))
        days = settings().catalog.audit_retention_days
        app = create_app(
            store,
            queue_of=lambda _integration: queue,
            feature_flags=flags,
            audit_retention=_retention(days),
        )
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **_proxied(proxies)))
        await warn_migrated(store)
        listening = _bound(host, port)
        serving = asyncio.create_task(server.serve(sockets=[listening]))
        while not (server.started or serving.done()):
            await asyncio.sleep(0.05)
        if server.started:
            at = f"http://{host}:{listening.getsockname()[1]}"
            click.echo(
                f"serving the catalog at {at} (its API under /v1; sync into it with "
                f"--catalog {at}) and its web UI at {at}/ (Ctrl-C stops)"
            )
        await serving

    _with_store(catalog_url, serve_forever, existing=False)


def _feature_flags() -> list[str]:
    """The organization's feature flags the server answers (``OCEAN__CATALOG__FEATURE_FLAGS``,
    in the environment or the working directory's ``.env``)."""
    from ocean.cli.options import settings

    return settings().catalog.feature_flags


def _proxied(proxies: str) -> dict[str, Any]:
    """uvicorn's proxy settings, set rather than left to its defaults (which trust
    ``X-Forwarded-For`` from loopback, or from ``FORWARDED_ALLOW_IPS``): forwarded headers
    are read only from the ``proxies`` named."""
    trusted = [address.strip() for address in proxies.split(",") if address.strip()]
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted}


def _bound(host: str, port: int) -> socket.socket:
    """The server's socket, for its worker processes too (inheritable)."""
    listening = serving_at(host, port)
    listening.set_inheritable(True)
    return listening


catalog.add_command(credentials)


catalog.add_command(audit)


def _retention(days: float) -> dt.timedelta | None:
    """The audit log's retention (None: all kept, as 0 days, or more than a timedelta holds)."""
    try:
        return dt.timedelta(days=days) if days else None
    except OverflowError:  # (beyond 2.7 million years)
        return None
