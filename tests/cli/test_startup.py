"""What ``ocean sail`` imports: every command pays for its imports, so the libraries only
some integrations or catalogs need stay out until they are used."""

from __future__ import annotations

import subprocess
import sys

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
