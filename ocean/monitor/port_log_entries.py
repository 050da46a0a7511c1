"""What a log record shipped to Port becomes, and which records are (see
:mod:`ocean.monitor.port_logs`).

Each record becomes ``{"message", "level", "timestamp", "extra"}`` as the original ships
it: the message without a trailing newline, the level's name, the time in UTC as the
original writes it (``2024-05-01T12:00:00.123456Z``), and in ``extra`` what the record was
bound with (loguru's ``bind``, or the standard ``extra=``; copied, JSON's types, deeper than
10 levels as text), its ``traceback``, then what Ocean adds: ``hostname``, the process's
``instance``, the ``logger`` and, within a resync, its ``event_id``. :func:`masked` masks it
entirely before it leaves (:func:`~ocean.monitor.secret_shapes.mask_secrets`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ocean.monitor.secret_shapes import mask_secrets
from ocean.store.port.events import event_params

LOCAL: Mapping[str, Any] = MappingProxyType({"local_only": True})
"""What a record to keep out of Port is logged with (``extra=LOCAL``), as the original's
``logger.bind(local_only=True)``."""
_OWN = ("ocean", "port_ocean")
"""Whose records below WARNING are shipped, besides the integration's."""
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "extra",
    "taskName",
}
"""A record's own attributes (the others: what ``extra=`` gave it)."""
_CONTEXT = ("hostname", "instance", "logger", "event_id")
"""What Ocean adds to each record's ``extra``."""
_FORMATTER = logging.Formatter()
_DEPTH = 10
"""How deep in what a record was bound with values are kept (deeper: as text)."""


def local_only(record: logging.LogRecord) -> bool:
    """Whether ``record`` was bound ``local_only`` (loguru's ``bind`` or ``extra=``)."""
    bound = getattr(record, "extra", None)
    in_bound = isinstance(bound, dict) and bool(bound.get("local_only"))
    return in_bound or bool(getattr(record, "local_only", False))


class Origin:
    """Whose records are shipped: any at WARNING and above; below it, Ocean's and the
    integration's (a file of its ``folder``, or logged with loguru)."""

    def __init__(self, folder: Path | None = None) -> None:
        places = {os.path.abspath(folder), os.path.realpath(folder)} if folder else set()
        self._folders = tuple(os.path.join(place, "") for place in places)
        self._files: dict[str, bool] = {}
        """Whether each source file seen logging below WARNING is the integration's."""

    def __call__(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING or record.name.partition(".")[0] in _OWN:
            return True
        if isinstance(getattr(record, "extra", None), dict):  # loguru's (port_ocean._loguru)
            return True
        known = self._files.get(record.pathname)
        if known is None:
            path = os.path.abspath(record.pathname)
            known = self._files[record.pathname] = any(map(path.startswith, self._folders))
        return known


def entry(record: logging.LogRecord, context: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` as the original ships it (not masked yet), ``context`` in its ``extra``."""
    stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "message": _message(record).rstrip("\n"),
        "level": record.levelname,
        "timestamp": stamp,
        "extra": _extra(record, context),
    }


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # arguments that do not fit the message: the console says so
        return str(record.msg)


def _extra(record: logging.LogRecord, context: Mapping[str, Any]) -> dict[str, Any]:
    """What the record was bound with, its traceback, then what Ocean adds (``context``,
    the logger, the resync's id: :data:`_CONTEXT`, over what was bound of the same name)."""
    bound = getattr(record, "extra", None)
    extra: dict[str, Any] = dict(bound) if isinstance(bound, dict) else {}
    extra.update((key, value) for key, value in vars(record).items() if key not in _STANDARD)
    extra.pop("local_only", None)
    if record.exc_info and record.exc_info[0] is not None:
        extra["traceback"] = _FORMATTER.formatException(record.exc_info)
    found = {str(key): _plain(value, 1) for key, value in extra.items()}
    found |= {**context, "logger": record.name}
    event = event_params().get("ocean_info_resync_id")
    if event:
        found["event_id"] = event
    return found


def masked(shipped: dict[str, Any]) -> dict[str, Any]:
    """``shipped`` masked entirely: its message and what its record was bound with (not
    what Ocean adds, its own values, nor its level and time)."""
    extra = shipped["extra"]
    own = {key: extra[key] for key in _CONTEXT if key in extra}
    rest = mask_secrets({key: value for key, value in extra.items() if key not in own})
    return shipped | {"message": mask_secrets(shipped["message"]), "extra": rest | own}


def _plain(value: Any, depth: int) -> Any:
    """``value`` as JSON can carry it, copied (what was bound may change after)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if depth < _DEPTH and isinstance(value, Mapping):
        return {str(key): _plain(item, depth + 1) for key, item in value.items()}
    if depth < _DEPTH and isinstance(value, list | tuple | set | frozenset):
        return [_plain(item, depth + 1) for item in value]
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__}>"
