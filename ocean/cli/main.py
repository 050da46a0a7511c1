"""``ocean``: the command-line entry point (composition root for every command)."""

from __future__ import annotations

import click

from ocean.cli.catalog import catalog
from ocean.cli.map import map_command
from ocean.cli.sail import sail


@click.group()
@click.version_option(package_name="ocean-sync")
def cli() -> None:
    """Keep a software catalog in sync with the systems you run."""


cli.add_command(sail)
cli.add_command(catalog)
cli.add_command(map_command)


def main() -> None:
    cli()
