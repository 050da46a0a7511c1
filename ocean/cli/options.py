"""Options and error handling shared by every command."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Coroutine, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ocean.config.settings import DEFAULT_CATALOG
from ocean.errors import ConfigError, OceanError
from ocean.process import run_process
from ocean.store.catalog_url import sqlite_path

if TYPE_CHECKING:
    from rich.table import Table

    from ocean.config.settings import Settings
    from ocean.store.base import Store

T = TypeVar("T")

LIMIT = click.IntRange(min=1)
"""How many rows a listing shows: at least one."""
RECORD_ID = click.IntRange(min=1, max=2**63 - 1)
"""A catalog record's id: what both SQL catalogs can hold (a 64-bit integer)."""
PORT = click.IntRange(min=0, max=65535)
"""A TCP port (0: any free one)."""

catalog_option = click.option(
    "--catalog",
    "catalog_url",
    default=None,
    help=f"Catalog URL (env OCEAN__CATALOG__URL; default {DEFAULT_CATALOG}).",
)


def environment() -> Mapping[str, str]:
    """The environment over the working directory's ``.env``, as ``ocean sail`` reads it:
    a catalog URL or Port credentials set there serve every command run in that folder."""
    from ocean.config.dotenv import with_dotenv  # imported on use: `ocean sail` starts faster

    try:
        return with_dotenv(os.environ, Path.cwd())
    except ConfigError as error:  # a .env that does not parse
        raise click.ClickException(str(error)) from None


_SECTIONS = ("catalog", "port", "live_events")
"""The settings the commands beside ``ocean sail`` read: the others' problems are the sail's."""


def settings() -> Settings:
    """The working directory's catalog, Port and live-event settings as ``ocean sail`` run
    there reads them: its ``config.yaml`` under the environment over its ``.env`` (any
    spelling the sail takes: ``OCEAN__CATALOG__URL``, lower case, ``OCEAN__CATALOG='{"url":
    ...}'``)."""
    from ocean.config.config_file import read_config_file  # imported on use, as above
    from ocean.config.settings import load_settings

    prefixes = tuple(f"OCEAN__{name.upper()}" for name in _SECTIONS)
    environ = environment()  # all of it for config.yaml's {{ from env NAME }} templates
    sections = {k: v for k, v in environ.items() if k.upper().startswith(prefixes)}
    try:
        file = read_config_file(Path.cwd() / "config.yaml", environ).values
        own = {name: value for name, value in file.items() if name in _SECTIONS}
        return load_settings(environ=sections, from_file=own, overrides={})
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def catalog_url(given: str | None) -> str:
    """``--catalog`` wins over the settings' catalog URL (:func:`settings`), which wins over
    the default."""
    return given or settings().catalog.url or DEFAULT_CATALOG


def port_credentials() -> tuple[str, str] | None:
    """The Port client id and secret of the settings (:func:`settings`:
    ``OCEAN__PORT__CLIENT_ID`` / ``OCEAN__PORT__CLIENT_SECRET``, config.yaml's ``port``),
    when both are set (a Port API catalog needs them)."""
    port = settings().port
    return (port.client_id, port.client_secret) if port.client_id and port.client_secret else None


async def open_catalog(url: str | None, *, existing: bool = False) -> Store:
    """The catalog ``--catalog`` (else ``OCEAN__CATALOG__URL``) names; a Port API's with
    the Port credentials (:func:`port_credentials`). ``existing``: an embedded catalog
    whose file is not there is refused, not made (a command that reads it, run from the
    wrong folder, would show an empty new catalog)."""
    from ocean.store.open import open_store  # imported on use: the CLI starts faster

    chosen = catalog_url(url)
    path = sqlite_path(chosen)
    if existing and path is not None and not path.exists():
        raise ConfigError(
            f"there is no catalog at {path}: run this where `ocean sail` wrote one (the "
            "integration's folder), or name it with --catalog (or OCEAN__CATALOG__URL)"
        )
    return await open_store(chosen, credentials=port_credentials())


@contextlib.contextmanager
def errors_reported() -> Iterator[None]:
    """Turn an Ocean error into a clean message and exit 2."""
    try:
        yield
    except OceanError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(2) from None


def run(coroutine_fn: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a command's coroutine once, turning Ocean errors into a clean message and exit 2."""
    with errors_reported():
        return run_process(coroutine_fn())


def print_table(table: Table) -> None:
    """Print a table of the catalog's text as it is (no markup: a title such as
    ``Release [/notes]`` is data); when piped, wide enough not to truncate."""
    from rich.console import Console  # imported on use: `ocean sail` need not load it

    console = Console(markup=False)
    (console if console.is_terminal else Console(width=200, markup=False)).print(table)
