"""Run an integration's resync from its own tests, as ``ocean sail --once`` runs it, into a
catalog of the test's own (a temporary SQLite file unless one is given)::

    from ocean.testing import resync

    def test_items_are_synced():
        synced = resync(FOLDER, config={"base_url": "https://api.test"})
        assert synced.status == "completed", synced.errors
        assert synced.entities["item"]["item-1"]["title"] == "Item 1"

The folder's ``.port/`` files and ``main.py`` are loaded as ``ocean sail`` loads them;
``config`` fills the spec's fields (snake_case or the spec's own names) and ``environ``
stands for the environment (empty by default, so that a test does not depend on the
shell's ``OCEAN__*`` variables, nor on a ``.env`` file, which ``ocean sail`` reads). Replace the integration's HTTP transport to fake its API
(``httpx.MockTransport``), as the ``ocean new`` scaffold's tests show.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocean.monitor.report import ResyncReport
from ocean.types import Entity


@dataclass
class Synced:
    """What one resync did, and what the catalog held after it."""

    report: ResyncReport
    entities: dict[str, dict[str, Entity]]
    """By blueprint, then identifier: every entity of the catalog after the resync."""

    @property
    def status(self) -> str:
        """``completed``, or ``failed`` (see :attr:`errors`)."""
        return self.report.status

    @property
    def errors(self) -> list[str]:
        """Every error of the run: the kinds' (with the handler's file:line) and the rest."""
        kinds = [f"{kind.kind}: {error}" for kind in self.report.kinds for error in kind.errors]
        return kinds + list(self.report.errors)


def resync(
    folder: str | Path,
    *,
    config: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    catalog: str | Path | None = None,
) -> Synced:
    """One resync of ``folder`` (see the module's documentation); not inside a running
    event loop (use :func:`resync_async` there)."""
    return asyncio.run(resync_async(folder, config=config, environ=environ, catalog=catalog))


async def resync_async(
    folder: str | Path,
    *,
    config: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    catalog: str | Path | None = None,
) -> Synced:
    """:func:`resync` for tests that run in an event loop."""
    if catalog is not None:
        return await _resync(Path(folder), config or {}, environ or {}, str(catalog))
    with tempfile.TemporaryDirectory(prefix="ocean-test-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'catalog.db'}"
        return await _resync(Path(folder), config or {}, environ or {}, url)


async def _resync(
    folder: Path, config: Mapping[str, Any], environ: Mapping[str, str], catalog: str
) -> Synced:
    from ocean.job import SilentObserver
    from ocean.listen.once import run_once
    from ocean.sail import prepare
    from ocean.store.open import open_store

    overrides = {"integration": {"config": dict(config)}, "event_listener": {"type": "ONCE"}}
    prepared = prepare(folder, environ=environ, overrides=overrides, dotenv=False)
    store = await open_store(catalog)
    try:
        report = await run_once(prepared, store, SilentObserver())
        entities: dict[str, dict[str, Entity]] = {}
        async for entity in store.iter_entities():
            entities.setdefault(entity["blueprint"], {})[entity["identifier"]] = entity
    finally:
        await store.close()
    return Synced(report=report, entities=entities)
