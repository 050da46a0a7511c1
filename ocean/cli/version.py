"""``ocean version``: the installed version, as the original's command shows it."""

from __future__ import annotations

import click

from ocean.version import __version__


@click.command()
@click.option("-s", "--short", is_flag=True, help="Only the version number.")
def version(short: bool) -> None:
    """Show Ocean's version."""
    click.echo(__version__ if short else f"Ocean version: {__version__}")
