"""How ``ocean catalog runs`` and ``ocean catalog resync`` show recorded runs."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ocean.monitor.render import render_report
from ocean.monitor.report import KindReport, ResyncReport
from ocean.store.base import RunRecord


def run_document(record: RunRecord) -> dict[str, Any]:
    """One run as JSON: its record, with the report the resync wrote."""
    return {
        "id": record.id,
        "integration": record.integration,
        "trigger": record.trigger,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "status": record.status,
        "report": record.report,
    }


def runs_table(records: list[RunRecord]) -> Table:
    table = Table(
        "id", "integration", "trigger", "mode", "started", "ended", "status", "created",
        "updated", "deleted", "errors", "cursor",
    )  # fmt: skip
    for record in records:
        kinds = record.report.get("kinds", [])
        total = {n: sum(k.get(n, 0) for k in kinds) for n in ("created", "updated")}
        errors = len(record.report.get("errors", [])) + sum(len(k.get("errors", [])) for k in kinds)
        table.add_row(
            str(record.id),
            record.integration,
            record.trigger,
            str(record.report.get("mode", "full")),
            record.started_at,
            record.ended_at or "",
            record.status,
            str(total["created"]),
            str(total["updated"]),
            str(record.report.get("deleted", 0)),
            str(errors),
            _cursors(kinds),
        )
    return table


def _cursors(kinds: list[dict[str, Any]]) -> str:
    """The cursors an incremental run ended on, per kind (empty for a full resync)."""
    return ", ".join(f"{k['kind']}: {k['cursor']}" for k in kinds if k.get("cursor"))


def show_run(record: RunRecord, as_json: bool) -> None:
    """One run: as JSON, or as ``ocean sail`` showed it (its kinds, errors and notes)."""
    if as_json:
        import json

        click.echo(json.dumps(run_document(record), indent=2, ensure_ascii=False))
        return
    click.echo(
        f"run {record.id} of {record.integration} ({record.trigger}), "
        f"{record.started_at} to {record.ended_at or 'now'}: {record.status}"
    )
    console = Console()
    render_report(report_of(record), console if console.is_terminal else Console(width=200))


def report_of(record: RunRecord) -> ResyncReport:
    """The recorded report as the resync made it (fields it no longer has are dropped)."""
    document = _known(ResyncReport, record.report)
    kinds = [KindReport(**_known(KindReport, kind)) for kind in record.report.get("kinds", [])]
    document.update(
        kinds=kinds,
        integration=record.integration,
        trigger=record.trigger,
        started_at=record.started_at,
        ended_at=record.ended_at,
        status=record.status,
    )
    return ResyncReport(**document)


def unknown_integration(identifier: str, known: list[str]) -> str:
    """Why ``ocean catalog resync IDENTIFIER`` refused, and what to do."""
    listed = ", ".join(known) if known else "none has run on this catalog yet"
    return (
        f"no integration {identifier!r} has run on this catalog (known: {listed}). An "
        "integration's identifier is OCEAN__INTEGRATION__IDENTIFIER, else "
        "my-<type>-integration, the type being OCEAN__INTEGRATION__TYPE, else the name in "
        "its folder's pyproject.toml, else the folder's name; pass --force to ask before "
        "its first run."
    )


def _known(cls: type, document: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {key: value for key, value in document.items() if key in names}
