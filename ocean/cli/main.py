"""``ocean``: the command-line entry point (composition root for every command)."""

from __future__ import annotations

import importlib

import click

from ocean.monitor.logs import configure_logging
from ocean.process import exit_now, tune_interpreter

COMMANDS = {
    "sail": "ocean.cli.sail:sail",
    "actions": "ocean.cli.actions:actions",
    "catalog": "ocean.cli.catalog:catalog",
    "map": "ocean.cli.map:map_command",
    "defaults": "ocean.cli.defaults:defaults",
    "events": "ocean.cli.events:events",
    "new": "ocean.cli.new:new",
    "install": "ocean.cli.install:install",
    "version": "ocean.cli.version:version",
}
"""Each command and where it lives, imported when it runs (or when help lists it): ``ocean
sail --quiet`` loads neither the terminal tables of the other commands nor their modules."""


class _Commands(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, name = COMMANDS[cmd_name].split(":")
        command: click.Command = getattr(importlib.import_module(module), name)
        return command


@click.group(cls=_Commands)
@click.version_option(package_name="ocean-sync")
def cli() -> None:
    """Keep a software catalog in sync with the systems you run."""


def main() -> None:
    from ocean.install_check import warning as installation_warning

    for warning in (configure_logging(), installation_warning()):
        if warning is not None:
            click.echo(warning, err=True)
    tune_interpreter()
    try:
        cli()  # in its standalone mode click ends by raising SystemExit
    except SystemExit as ended:
        exit_now(ended.code)
