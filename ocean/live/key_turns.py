"""Each key's turn in the SQLite live-event queue (:mod:`ocean.live.sqlite_queue`): an
event with a key goes out only when none of its key's is out (handed out and not finished)
or waiting before it. The others wait their turn, in memory up to :data:`WAITING_MAX` over
all keys, past it in the file only (the queue reads them again when their turn comes).
Only this process's memory: after a restart every waiting event comes from the file again.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

from ocean.live.queue import QueuedEvent

WAITING_MAX = 1024
"""Events kept in memory behind a key that has one out (handed out and not finished), over
all keys, at most (about 1 KB each); past it, a key's next events are read from the file
again when their turn comes."""
REFILL = 64
"""A key's events read from the file at once when its turn comes (memory permitting)."""


@dataclass
class _Key:
    """A key with an event out, or events waiting for their turn."""

    out: int
    """The ``seq`` of its event handed out and not finished yet (0 when none is)."""
    read: int
    """The highest ``seq`` of its events handed out or kept in :attr:`waiting`."""
    waiting: deque[QueuedEvent] = field(default_factory=deque)
    """Its events the cursor passed while one was out, kept in memory, in ``seq`` order."""
    behind: bool = False
    """Whether the cursor passed rows of it past :attr:`read` that memory did not keep
    (read from the file once :attr:`waiting` is empty and its turn comes)."""


class KeyTurns:
    """The keys with an event out or waiting, and those whose turn came."""

    def __init__(self) -> None:
        self._keys: dict[str, _Key] = {}
        self._due: dict[str, None] = {}
        """Keys whose event out finished while others waited: handed out first, in turn."""
        self._kept = 0
        """Events waiting in :attr:`_keys`, over all keys (at most :data:`WAITING_MAX`)."""

    def hands(self, event: QueuedEvent) -> bool:
        """Whether ``event``, just past the cursor, goes out now: it has no key, or its key
        has none out or waiting. Else it waits its turn: in memory while fewer than
        :data:`WAITING_MAX` wait there and none of its key's before it was left to the file,
        else in the file only."""
        if event.key is None:
            return True
        seq, key = int(event.id), self._keys.get(event.key)
        if key is None:
            self._keys[event.key] = _Key(out=seq, read=seq)
            return True
        if key.behind or self._kept >= WAITING_MAX:
            key.behind = True
        else:
            key.waiting.append(event)
            key.read, self._kept = seq, self._kept + 1
        return False

    def finished(self, event: QueuedEvent) -> bool:
        """``event`` is done or buried: whether its key's next event is due (it goes out
        at the next take), else the key is forgotten."""
        name = event.key
        key = self._keys.get(name) if name is not None else None
        if name is None or key is None or key.out != int(event.id):
            return False  # none waits for it, or it was finished before (a retried done)
        key.out = 0
        if key.waiting or key.behind:
            self._due[name] = None
            return True
        del self._keys[name]
        return False

    def due(self, limit: int) -> tuple[list[str], dict[str, tuple[int, int]]]:
        """Up to ``limit`` keys whose turn came, and those of them to read from the file
        (their waiting events memory dropped): the ``seq`` their rows to read follow, and
        how many to read (the next one, and as many more as memory may keep, up to
        :data:`REFILL`)."""
        names = list(itertools.islice(self._due, limit))
        spare, reads = WAITING_MAX - self._kept, dict[str, tuple[int, int]]()
        for name in names:
            if not self._keys[name].waiting:
                more = max(0, min(REFILL, spare))
                reads[name], spare = (self._keys[name].read, 1 + more), spare - more
        return names, reads

    def hand_out(
        self,
        names: list[str],
        found: dict[str, list[QueuedEvent]],
        reads: dict[str, tuple[int, int]],
    ) -> list[QueuedEvent]:
        """The next event of each of ``names`` (from :meth:`due`), oldest first, with the
        events ``found`` in the file for those :meth:`due` said to read."""
        events: list[QueuedEvent] = []
        for name in names:  # nothing changed these keys meanwhile: none is out
            del self._due[name]
            key = self._keys[name]
            if name in found:
                self._keep(key, found[name], reads[name][1])
            if key.waiting:
                event = key.waiting.popleft()
                key.out, self._kept = int(event.id), self._kept - 1
                events.append(event)
            else:  # its rows went meanwhile (none should)
                del self._keys[name]
        return sorted(events, key=lambda event: int(event.id))

    def _keep(self, key: _Key, events: list[QueuedEvent], asked: int) -> None:
        """A key's events read from the file into its waiting ones (which were none)."""
        key.waiting.extend(events)
        self._kept += len(events)
        key.behind = len(events) == asked  # maybe more: read again when their turn comes
        if events:
            key.read = int(events[-1].id)

    def put_back(self, events: list[QueuedEvent]) -> None:
        """Events :meth:`hand_out` gave that the take will not return: each first in its
        key's line again, its key's turn due (as before the take)."""
        for event in reversed(events):
            name = str(event.key)
            key = self._keys[name]
            key.waiting.appendleft(event)
            key.out, self._kept = 0, self._kept + 1
            self._due[name] = None
