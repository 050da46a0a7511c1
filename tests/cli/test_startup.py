"""What ``ocean sail`` imports: every command pays for its imports, so the libraries only
some integrations or catalogs need stay out until they are used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SAIL_PATH = (
    "ocean.cli.main",
    "ocean.cli.sail",
    "ocean.listen.once",
    "ocean.store.open",
    "ocean.store.sqlite.store",
    "port_ocean.context.ocean",
    "port_ocean.core.ocean_types",
)


OPTIONAL = (
    "pydantic",
    "multiprocessing",
    "httpx",
    "starlette",
    "asyncpg",
    "redis",
    "aiokafka",
    "rich",
)


SAIL_COMMAND = ("ocean.cli.main", "ocean.cli.sail")
"""What runs before ``ocean sail`` starts the catalog's process (see catalog_spawn)."""

CATALOG_CHILD = ("ocean.store.sqlite.child",)
"""The embedded catalog's process, which starts beside the resync and should be ready first."""

RESYNC_MACHINERY = ("asyncio", "yaml", "msgspec", "jq", "click", "ocean.integration")


@pytest.mark.parametrize(
    ("modules", "unwanted"),
    [
        (SAIL_PATH, OPTIONAL),
        (
            SAIL_COMMAND,
            OPTIONAL + ("asyncio", "yaml", "jq", "ocean.resync", "ocean.store.sqlite.store"),
        ),
        (CATALOG_CHILD, OPTIONAL + RESYNC_MACHINERY),
    ],
    ids=["sail", "sail-before-the-catalog-process-starts", "catalog-child"],
)
def test_a_path_leaves_what_it_does_not_use_unimported(
    modules: tuple[str, ...], unwanted: tuple[str, ...]
) -> None:
    imports = "; ".join(f"import {module}" for module in modules)
    probe = f"{imports}; import sys; print(*sorted(set({unwanted!r}) & set(sys.modules)))"

    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()

    assert loaded == []


def test_the_actions_of_an_embedded_catalog_leave_the_port_api_client_unimported(
    tmp_path: Path,
) -> None:
    """Every sail asks for the catalog's actions (actions.json): a Port API's modules
    import httpx, a tenth of a sail's start-up into SQLite."""
    probe = (
        "import asyncio, pathlib, sys\n"
        "from ocean.actions.open import actions_of\n"
        "from ocean.store.sqlite.store import SQLiteStore\n"
        "async def main():\n"
        f"    store = await SQLiteStore.open(pathlib.Path({str(tmp_path / 'c.db')!r}))\n"
        "    try:\n"
        "        actions_of(store)\n"
        "    finally:\n"
        "        await store.close()\n"
        "asyncio.run(main())\n"
        "print(*sorted({'httpx', 'ocean.store.port.store'} & set(sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()

    assert loaded == []
