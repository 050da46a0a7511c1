"""``port_ocean.run``: start an integration folder the way the original's ``debug.py`` does."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ocean.store.sqlite.spawn import SpareCatalog
from port_ocean._unsupported import missing


def run(
    path: str = ".",
    log_level: str = "INFO",
    port: int = 8000,
    initialize_port_resources: bool | None = None,
    config_override: dict[str, Any] | None = None,
) -> None:
    """Run one resync of the integration at ``path`` into the catalog (``--once``)."""
    spare = SpareCatalog.start_for(os.environ.get("OCEAN__CATALOG__URL"))  # beside the rest
    try:
        _run(Path(path), config_override or {}, spare)
    finally:
        if spare is not None:
            spare.close()


def _run(path: Path, overrides: dict[str, Any], spare: SpareCatalog | None) -> None:
    from ocean.job import SilentObserver
    from ocean.listen.once import run_once
    from ocean.process import run_process, tune_interpreter
    from ocean.sail import prepare
    from ocean.store.open import open_store

    prepared = prepare(path, environ=os.environ, overrides=overrides)

    async def once() -> None:
        store = await open_store(
            prepared.catalog_url, credentials=prepared.credentials, own_process=True, spare=spare
        )
        try:
            await run_once(prepared, store, SilentObserver())
        finally:
            await store.close()

    tune_interpreter()
    run_process(once())


__getattr__ = missing(__name__)
