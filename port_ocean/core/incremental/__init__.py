"""``port_ocean.core.incremental``: helpers of the original's incremental resyncs, over
Ocean's (``ocean.on_incremental_resync``; see README, Incremental sync). The cursor is
Ocean's own: a datetime in an incremental run, None in a full resync, where strategies
ask for everything."""

from __future__ import annotations

from port_ocean._unsupported import missing
from port_ocean.core.incremental.cursor_context import (
    active_incremental_cursor,
    with_active_incremental_cursor,
)
from port_ocean.core.incremental.strategies import (
    ClientSideCutoffStrategy,
    IncrementalStrategy,
    ServerSideTimestampStrategy,
    paginate_with_strategy,
)

__all__ = [
    "ClientSideCutoffStrategy",
    "IncrementalStrategy",
    "ServerSideTimestampStrategy",
    "active_incremental_cursor",
    "paginate_with_strategy",
    "with_active_incremental_cursor",
]
__getattr__ = missing(__name__)
