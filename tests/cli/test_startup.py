"""What ``ocean sail`` imports: every command pays for its imports, so the libraries only
some integrations or catalogs need stay out until they are used."""

from __future__ import annotations

import subprocess
import sys

SAIL_PATH = (
    "ocean.cli.main",
    "ocean.cli.sail",
    "ocean.listen.once",
    "ocean.store.open",
    "ocean.store.sqlite",
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


def test_the_embedded_sail_path_leaves_optional_libraries_unimported() -> None:
    imports = "; ".join(f"import {module}" for module in SAIL_PATH)
    probe = f"{imports}; import sys; print(*sorted(set({OPTIONAL!r}) & set(sys.modules)))"

    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()

    assert loaded == []
