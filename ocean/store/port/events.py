"""The event a Port API write belongs to, sent with each entity write and deletion as the
original does (``ocean_info_event_type``, and ``ocean_info_resync_id`` within a resync).

A resync's ``running`` report (:meth:`PortAPIStore.record_run
<ocean.store.port.store.PortAPIStore.record_run>`) starts its event in the task running
it, which the tasks it starts inherit; its final report ends it. Writes outside one (a
live event) send none: this client does not know what they are.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar

from ocean.store.base import RunRecord

_EVENT: ContextVar[dict[str, str] | None] = ContextVar("port_event", default=None)


def event_params() -> dict[str, str]:
    """The query parameters naming the current event (none outside one)."""
    return dict(_EVENT.get() or {})


def follow_run(run: RunRecord) -> None:
    """A run reported ``running`` starts its event; its final report ends it."""
    if run.status != "running":
        _EVENT.set(None)
        return
    if run.trigger == "incremental":
        _EVENT.set({"ocean_info_event_type": "incremental_resync"})
        return
    _EVENT.set({"ocean_info_event_type": "resync", "ocean_info_resync_id": str(uuid.uuid4())})
