"""``port_ocean.utils.time``: reading timestamps and intervals, as the original's."""

from __future__ import annotations

import datetime as dt

from port_ocean._unsupported import missing

_MINUTES_PER_UNIT = {"s": 1 / 60, "m": 1, "h": 60, "d": 1440, "w": 10080}


def convert_str_to_utc_datetime(time_str: str) -> dt.datetime:
    """An ISO 8601 time (``Z`` for UTC accepted) as an aware UTC datetime."""
    return dt.datetime.fromisoformat(time_str.replace("Z", "+00:00")).astimezone(dt.UTC)


def convert_to_minutes(s: str) -> int:
    """``"90s"``, ``"15m"``, ``"2h"``, ``"1d"`` or ``"1w"`` in whole minutes."""
    try:
        return int(int(s[:-1]) * _MINUTES_PER_UNIT[s[-1]])
    except (KeyError, ValueError, IndexError):
        raise ValueError(
            f"{s!r} is not an interval: a whole number ending in one of {list(_MINUTES_PER_UNIT)}"
        ) from None


def parse_interval_to_minutes(value: str | int, *, default_minutes: int = 15) -> int:
    """Minutes of an interval given as a number, digits, or :func:`convert_to_minutes` text."""
    if isinstance(value, int):
        return value
    text = value.strip()
    if not text:
        return default_minutes
    return int(text) if text.isdigit() else convert_to_minutes(text)


def get_next_occurrence(
    interval_seconds: int, start_time: dt.datetime, now: dt.datetime | None = None
) -> dt.datetime:
    """The first time after ``now`` of a schedule every ``interval_seconds`` from ``start_time``."""
    now = now or dt.datetime.now(dt.UTC)
    passed = int((now - start_time).total_seconds() // interval_seconds)
    return start_time + dt.timedelta(seconds=(passed + 1) * interval_seconds)


__all__ = [
    "convert_str_to_utc_datetime",
    "convert_to_minutes",
    "get_next_occurrence",
    "parse_interval_to_minutes",
]
__getattr__ = missing(__name__)
