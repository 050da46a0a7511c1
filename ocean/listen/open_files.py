"""How many files a serving ``ocean sail`` may have open (RLIMIT_NOFILE): each connection
a sender opens is one. Past the limit the server cannot accept a connection, and its event
loop (uvloop's libuv) closes it unanswered, with no line in the log: a sender sees a reset
(and sends again) while the sail looks idle. So the soft limit is raised to the hard one,
as far as :data:`WANTED`, and a limit still under :data:`ENOUGH` is a warning at start
naming it and what to do."""

from __future__ import annotations

import logging
import resource

_log = logging.getLogger(__name__)
WANTED = 65536
"""The soft limit asked for (at most the hard limit)."""
ENOUGH = 1024
"""Fewer open files than this is warned about: a few hundred senders at once exhaust it."""


def raise_open_files() -> int:
    """The soft limit after raising it to the hard one (up to :data:`WANTED`); warns when
    it stays under :data:`ENOUGH`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = WANTED if hard == resource.RLIM_INFINITY else min(hard, WANTED)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):  # refused (a sandbox): keep what there is
            pass
    if soft != resource.RLIM_INFINITY and soft < ENOUGH:
        _log.warning(
            "this process may have only %d files open (RLIMIT_NOFILE, its hard limit %s): "
            "past about that many connections at once the server closes new ones unanswered "
            "(their senders see a reset and must send again) and the catalog's and the "
            "queue's files may fail to open; raise it (ulimit -n %d, systemd's "
            "LimitNOFILE=, a container's --ulimit nofile=)",
            soft, "unlimited" if hard == resource.RLIM_INFINITY else hard, ENOUGH * 4,
        )  # fmt: skip
    return int(soft)
