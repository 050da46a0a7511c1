"""Write deadlines between Ocean's client and Ocean's own catalog server.

A client that stops waiting for a write (its read timeout) sends it again, and may then
write newer data of the same entities; were the first send held on the way (a proxy, a
load balancer, a stalled connection) and delivered after that, it would write its older
data over the newer. So Ocean's server tells its clock on the token response
(:data:`NOW_HEADER`), and Ocean's client sends each write with the latest time, on that
clock, at which it still waits for the answer (:data:`DEADLINE_HEADER`): the server refuses
a write that reaches it later (503, so a client still waiting sends it again), without
writing anything. Port and the original client know neither header: nothing changes
for them.
"""

from __future__ import annotations

import math

NOW_HEADER = "X-Ocean-Now"
"""On the token response of Ocean's server: its clock, seconds since the epoch."""
DEADLINE_HEADER = "X-Ocean-Deadline"
"""On a write of Ocean's client: on the server's clock, when the client stops waiting."""
PATIENCE = 0.8
"""The share of its read timeout a client counts on: a write started later may be
answered after the client gave up."""
READS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that write nothing, sent with no deadline."""


def clock_offset(now_header: str | None, sent_at: float) -> float | None:
    """The server's clock minus this one's, from :data:`NOW_HEADER` on an answer to a
    call sent at ``sent_at`` (this clock): counted from the send, so that a deadline is, if
    anything, later than meant (a slow answer never makes one fall early). None when the
    header is absent or not a time."""
    try:
        now = float(now_header) if now_header else math.nan
    except ValueError:
        return None
    return now - sent_at if math.isfinite(now) else None


def passed(deadline_header: str, now: float) -> bool:
    """Whether the deadline a write carries is before ``now`` (the server's clock); a value
    that is not a time is not a deadline."""
    try:
        deadline = float(deadline_header)
    except ValueError:
        return False
    return math.isfinite(deadline) and now > deadline
