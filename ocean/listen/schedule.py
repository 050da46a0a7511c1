"""``OCEAN__SCHEDULED_RESYNC_INTERVAL``: a full resync every N minutes beside whatever
listener triggers the others (POLLING and WEBHOOK in :mod:`ocean.listen.polling`, KAFKA in
:mod:`ocean.listen.kafka`), as the original runs its scheduled resync beside any event
listener. The time is counted from the end of the last full resync (from the listener's
start before the first), so a resync a trigger asked for moves the next scheduled one;
none is due while a resync runs."""

from __future__ import annotations

import time


class Schedule:
    """When the next scheduled resync is due (never without an interval)."""

    def __init__(self, minutes: float | None) -> None:
        self.seconds = (minutes or 0) * 60.0
        self._since = time.monotonic()

    def restart(self) -> None:
        """A full resync has ended (or stood by): the next is due an interval from now."""
        self._since = time.monotonic()

    def due(self) -> bool:
        return bool(self.seconds) and time.monotonic() - self._since >= self.seconds
