"""``ocean catalog audit``: the audit log of writes through the catalog server, newest
first, with the filters of Port's ``GET /v1/audit-log``."""

from __future__ import annotations

import json

import click
from rich.table import Table

from ocean.cli.options import (
    LIMIT,
    catalog_option,
    open_catalog,
    print_table,
    run,
)
from ocean.store.audit import (
    ACTIONS,
    RESOURCES,
    STATUSES,
    AuditEntry,
    AuditFilter,
    KeepsAudit,
    audit_moment,
)


def _moment(_context: click.Context, parameter: click.Parameter, value: str | None) -> str | None:
    """``--since``/``--until`` as the log stamps its times (UTC, milliseconds), so that
    they compare with its entries; a usage error for anything else."""
    if value is None:
        return None
    try:
        return audit_moment(value, f"--{parameter.name}")
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command()
@click.option("--entity", default=None, help="Only entries of this entity identifier.")
@click.option("--blueprint", default=None, help="Only entries of this blueprint.")
@click.option("--action", type=click.Choice(ACTIONS, case_sensitive=False), default=None)
@click.option("--status", type=click.Choice(STATUSES, case_sensitive=False), default=None)
@click.option("--resource", type=click.Choice(RESOURCES), default=None)
@click.option("--origin", default=None, help="Only writes of this integration (or API).")
@click.option(
    "--since", default=None, callback=_moment, help="Only entries at or after this ISO-8601 time."
)
@click.option(
    "--until", default=None, callback=_moment, help="Only entries at or before this ISO-8601 time."
)
@click.option("--limit", default=50, show_default=True, type=LIMIT)
@click.option(
    "--json", "as_json", is_flag=True, help="JSON lines, as GET /v1/audit-log shapes them."
)
@catalog_option
def audit(  # noqa: PLR0913 (one parameter per filter, as click hands them)
    entity: str | None,
    blueprint: str | None,
    action: str | None,
    status: str | None,
    resource: str | None,
    origin: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    as_json: bool,
    catalog_url: str | None,
) -> None:
    """Who wrote what and when through the catalog server, newest first."""
    wanted = AuditFilter(
        entity=entity,
        blueprint=blueprint,
        action=action.upper() if action else None,
        status=status.upper() if status else None,
        resources=(resource,) if resource else (),
        origins=(origin,) if origin else (),
        since=since,
        until=until,
        limit=limit,
    )
    entries = run(lambda: _read(catalog_url, wanted))
    if as_json:
        for entry in entries:
            click.echo(json.dumps(entry.shaped(), ensure_ascii=False))
    else:
        print_table(_table(entries))


async def _read(url: str | None, wanted: AuditFilter) -> list[AuditEntry]:
    store = await open_catalog(url)
    try:
        if not isinstance(store, KeepsAudit):
            raise click.ClickException(
                "this catalog keeps no audit log: it is kept by the embedded (SQLite) and "
                "PostgreSQL catalogs that `ocean catalog serve` serves"
            )
        return await store.audit_log(wanted)
    finally:
        await store.close()


def _table(entries: list[AuditEntry]) -> Table:
    table = Table(
        "at", "action", "status", "blueprint", "entity", "client id", "datasource", "changes"
    )
    for entry in entries:
        diff = entry.diff
        changes = "; ".join(
            f"{word} {', '.join(diff[key])}"
            for key, word in (("added", "+"), ("removed", "-"), ("changed", "~"))
            if diff.get(key)
        )
        table.add_row(
            entry.at,
            entry.action,
            entry.status,
            entry.blueprint,
            entry.entity or "",
            entry.credential or "",
            entry.datasource,
            changes or (entry.message or ""),
        )
    return table
