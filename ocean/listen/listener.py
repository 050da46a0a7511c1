"""Pick the resync trigger the settings name (``OCEAN__EVENT_LISTENER__TYPE``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ocean.extras import require
from ocean.job import Observer
from ocean.listen.once import start
from ocean.listen.polling import poll
from ocean.load.freshness import Freshness
from ocean.monitor.report import ResyncReport
from ocean.sail import Sail
from ocean.store.base import Store

LISTENERS = ("ONCE", "POLLING", "WEBHOOK", "KAFKA", "WEBHOOKS_ONLY", "ACTIONS_ONLY")
"""ONCE runs one resync and exits; the others run until stopped."""


async def listen(
    sail: Sail,
    store: Store,
    observer: Observer,
    *,
    stop: asyncio.Event,
    on_report: Callable[[ResyncReport], None],
    freshness: Freshness | None,
) -> None:
    """Resync whenever the configured listener says so, until ``stop`` is set. WEBHOOK
    polls the catalog for the requests its ``POST /resync`` records; WEBHOOKS_ONLY and
    ACTIONS_ONLY never resync (they only create the blueprints and run ``on_start``)."""
    # imported on use: `--once` runs no actions
    from ocean.actions.service import start_actions, until_stopped

    kind = sail.settings.event_listener.type.upper()
    actions = start_actions(sail, store, stop)  # beside any listener; logs if it fails
    try:
        if kind in ("POLLING", "WEBHOOK"):
            await poll(sail, store, observer, stop=stop, on_report=on_report, freshness=freshness)
        elif kind == "KAFKA":
            require("kafka")
            from ocean.listen.kafka import connection, consume  # imported on use: aiokafka

            target, settings = await connection(sail.settings.event_listener, sail.owner, store)
            await consume(sail, store, observer, stop=stop, target=target, settings=settings,
                          on_report=on_report, freshness=freshness)  # fmt: skip
        else:
            await start(sail, store, freshness)
            # ACTIONS_ONLY: the manager failing stops the sail (its only work)
            await (until_stopped(actions, stop) if kind == "ACTIONS_ONLY" else stop.wait())
    finally:
        if not stop.is_set():  # the listener failed: running action runs end with it
            actions.cancel()
        await asyncio.gather(actions, return_exceptions=True)
