"""``port_ocean.utils.relative_time``: "N days/months ago" for selectors' look-back
windows, in UTC, and RFC 3339 text for APIs that want it (as the original's)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Literal

from port_ocean._unsupported import missing

Rfc3339Timespec = Literal["seconds", "microseconds"]


def days_ago(days: int) -> dt.datetime:
    """Now minus ``days`` days, in UTC (a negative number is in the future)."""
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)


def months_ago(months: int) -> dt.datetime:
    """Now minus ``months`` calendar months, in UTC; the day is kept, or the month's last
    day when the month is shorter (31 March minus one month is 28 or 29 February)."""
    now = dt.datetime.now(dt.UTC)
    index = now.year * 12 + now.month - 1 - months
    year, month = divmod(index, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def to_rfc3339(value: dt.datetime, *, timespec: Rfc3339Timespec = "seconds") -> str:
    """``value`` in UTC as RFC 3339 text ending in ``Z`` (a naive value is taken as UTC)."""
    utc = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return utc.isoformat(timespec=timespec).replace("+00:00", "Z")


__all__ = ["days_ago", "months_ago", "to_rfc3339"]
__getattr__ = missing(__name__)
