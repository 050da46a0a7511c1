"""A replica's name in the Redis consumer group of the live-event queue.

The name is the host's by default, so that a replica restarted on its host (after a crash,
or ``kill -9``) takes back at once the events it was given before. Two replicas on one host
must not share it (each would re-read the other's events, and apply a key's events at
once): the name is held by the alive key the replica renews (its value the holder's
process id), and a replica finding it held by a process still running on this host takes
the host name and its own process id instead. A holder whose process is gone, or whose
process id is this process's own (a restarted container's first process), was this
replica's predecessor: its name is taken over, in one step with the check of who held it,
so that of two replicas starting at once one only gets it.
"""

from __future__ import annotations

import logging
import os
import socket

import redis.asyncio as redis

_log = logging.getLogger(__name__)

_TAKE_OVER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""
"""Take the name over (KEYS[1]: its alive key) if its holder is still ARGV[1] (the dead
predecessor's process id), saying ARGV[2] (this process's id) for ARGV[3] ms."""


def alive_key(prefix: str, consumer: str) -> str:
    """The key that says ``consumer`` is alive while it is there (its value: the process id
    of the replica holding the name)."""
    return f"{prefix}:alive:{consumer}"


async def free_name(client: redis.Redis, prefix: str, reclaim: float) -> str:
    """The host name if no other live process on this host holds it (then held from now
    on, for ``reclaim`` seconds until renewed), else the host name and this process's id."""
    name, me, expiry = socket.gethostname(), str(os.getpid()), int(reclaim * 1000)
    key = alive_key(prefix, name)
    if await client.set(key, me, nx=True, px=expiry):
        return name
    holder = await client.get(key)
    held_by = holder.decode() if isinstance(holder, bytes) else holder
    if held_by is None or held_by == me or not _running(held_by):
        taken = await client.eval(_TAKE_OVER, 1, key, held_by or "", me, expiry)
        if taken or held_by is None and await client.set(key, me, nx=True, px=expiry):
            return name
    own = f"{name}-{me}"
    _log.info("live-event queue: %s is held by process %s on this host; this replica is %s",
              name, held_by, own)  # fmt: skip
    return own


def _running(pid: str) -> bool:
    """Whether process ``pid`` runs on this host (text that is no process id: not ours)."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
