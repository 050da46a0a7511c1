"""``ocean``: the command-line entry point (composition root for every command)."""

from __future__ import annotations

import logging
import os
import sys

import click

from ocean.cli.catalog import catalog
from ocean.cli.events import events
from ocean.cli.map import map_command
from ocean.cli.sail import sail
from ocean.process import pace_collector


@click.group()
@click.version_option(package_name="ocean-sync")
def cli() -> None:
    """Keep a software catalog in sync with the systems you run."""


cli.add_command(sail)
cli.add_command(catalog)
cli.add_command(map_command)
cli.add_command(events)


def main() -> None:
    # The store's thread hands the GIL back after every SQLite call; with the default 5 ms
    # switch interval it waits that long whenever the event loop's thread is busy mapping.
    sys.setswitchinterval(0.0005)
    logging.basicConfig(
        level=os.environ.get("OCEAN__LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    pace_collector()
    cli()
