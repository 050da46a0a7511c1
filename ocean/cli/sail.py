"""``ocean sail PATH``: run an integration folder against the catalog."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from ocean.cli.options import catalog_option, run
from ocean.errors import ConfigError
from ocean.listen.once import run_once
from ocean.monitor.render import ProgressDisplay, render_report
from ocean.monitor.report import ResyncReport
from ocean.sail import prepare
from ocean.store.open import open_store


@click.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--once", is_flag=True, help="Run one resync, then exit (non-zero if it failed).")
@catalog_option
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the resync summary as JSON to this file.",
)
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def sail(
    path: Path, once: bool, catalog_url: str | None, report_path: Path | None, quiet: bool
) -> None:
    """Sync the integration in PATH into the catalog."""
    overrides: dict[str, Any] = {}
    if once:
        overrides["event_listener"] = {"type": "ONCE"}
    if catalog_url:
        overrides["catalog"] = {"url": catalog_url}
    console = Console(stderr=True, quiet=quiet)
    report = run(lambda: _sail(path, overrides, console))
    if report_path is not None:
        report_path.write_text(json.dumps(report.to_dict(), indent=2))
    output = Console(quiet=quiet)
    render_report(report, output if output.is_terminal else Console(quiet=quiet, width=160))
    if report.status != "completed":
        raise SystemExit(1)


async def _sail(path: Path, overrides: dict[str, Any], console: Console) -> ResyncReport:
    prepared = prepare(path, environ=os.environ, overrides=overrides)
    listener = prepared.settings.event_listener.type.upper()
    if listener != "ONCE":
        raise ConfigError(
            f"event listener {listener} is not available in this version; run with --once "
            "(or OCEAN__EVENT_LISTENER__TYPE=ONCE)."
        )
    store = await open_store(prepared.catalog_url)
    try:
        with ProgressDisplay(console) as progress:
            return await run_once(prepared, store, progress)
    finally:
        await store.close()
