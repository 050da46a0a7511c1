"""What a log record shipped to Port becomes, and which records are (see
:mod:`ocean.monitor.port_logs`).

Each record becomes ``{"message", "level", "timestamp", "extra"}`` as the original ships
it: the message without a trailing newline (a loguru record's without the traceback loguru
writes into it: that is in ``extra``), the level's name, the time in UTC as the original
writes it (``2024-05-01T12:00:00.123456Z``), and in ``extra`` what the record was bound with
(loguru's ``bind``, or the standard ``extra=``; copied, JSON's types, deeper than 10 levels
as text), its ``traceback``, then what Ocean adds: ``hostname``, the process's ``instance``,
the ``logger`` and, within a resync, its ``event_id``. Whatever the record holds, JSON can
carry it (an integer beyond 64 bits is written as text, a lone surrogate as its escape), and
each text keeps at most 32,768 characters (a longer one is masked whole, then cut, saying
so). :func:`masked` masks it entirely before it leaves
(:func:`~ocean.monitor.secret_shapes.mask_secrets`).
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
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
TEXT = 32_768
"""Characters each shipped text keeps at most (the message, the traceback, each text it was
bound with): a longer one is cut, saying how much was."""
_OWN = ("ocean", "port_ocean")
"""Whose records below WARNING are shipped, besides the integration's."""
_LIBRARIES = frozenset({"site-packages", "dist-packages"})
"""Folders that hold installed libraries: what logs from them is not the integration's."""
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
_INTEGERS = range(-(2**63), 2**64)
"""The integers JSON is written with here (orjson's: 64 bits); the others as text."""
_SPELLINGS = (os.path.abspath, os.path.realpath)


def local_only(record: logging.LogRecord) -> bool:
    """Whether ``record`` was bound ``local_only`` (loguru's ``bind`` or ``extra=``)."""
    bound = getattr(record, "extra", None)
    in_bound = isinstance(bound, dict) and bool(bound.get("local_only"))
    return in_bound or bool(getattr(record, "local_only", False))


class Origin:
    """Whose records are shipped: any at WARNING and above; below it, Ocean's and the
    integration's (logged with loguru, or from a file of its ``folder``: not one of the
    libraries installed there, in a virtualenv such as the ``.venv`` ``ocean install``
    makes: a file under ``site-packages`` or ``dist-packages``, in a dot-folder, or in the
    running Python's own prefix)."""

    def __init__(self, folder: Path | None = None) -> None:
        places = {os.path.abspath(folder), os.path.realpath(folder)} if folder else set()
        self._folders = tuple(os.path.join(place, "") for place in places)
        pythons = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        prefixes = {os.path.join(f(python), "") for python in pythons for f in _SPELLINGS}
        self._pythons = tuple(  # (the folder may be in one: /usr/src/app, Python's in /usr)
            prefix for prefix in prefixes if not _within(self._folders, prefix)
        )
        self._files: dict[str, bool] = {}
        """Whether each source file seen logging below WARNING is the integration's."""

    def __call__(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING or record.name.partition(".")[0] in _OWN:
            return True
        if isinstance(getattr(record, "extra", None), dict):  # loguru's (port_ocean._loguru)
            return True
        known = self._files.get(record.pathname)
        if known is None:
            known = self._files[record.pathname] = self._theirs(record.pathname)
        return known

    def _theirs(self, pathname: str) -> bool:
        """Whether the file at ``pathname`` is the integration's own."""
        path = os.path.abspath(pathname)
        if path.startswith(self._pythons):
            return False
        for folder in self._folders:
            if path.startswith(folder):
                inner = path[len(folder) :].split(os.sep)[:-1]
                return not any(part.startswith(".") or part in _LIBRARIES for part in inner)
        return False


def _within(folders: tuple[str, ...], prefix: str) -> bool:
    return any(folder.startswith(prefix) for folder in folders)


def entry(record: logging.LogRecord, context: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` as the original ships it (not masked yet), ``context`` in its ``extra``."""
    stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "message": _text(_message(record).rstrip("\n")),
        "level": _string(record.levelname),
        "timestamp": stamp,
        "extra": _extra(record, context),
    }


def weight(shipped: Mapping[str, Any]) -> int:
    """About how many characters ``shipped`` holds (its texts', a few for other values)."""
    return len(shipped["message"]) + _weight(shipped["extra"])


def _weight(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(len(key) + _weight(item) for key, item in value.items())
    if isinstance(value, list):
        return 8 + sum(map(_weight, value))
    return 8


def _message(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except Exception:  # arguments that do not fit the message: the console says so
        message = _string(record.msg)
    if record.exc_info and isinstance(getattr(record, "extra", None), dict):
        return _without_exception(message, record.exc_info)
    return message


def _without_exception(message: str, exc_info: Any) -> str:
    """A loguru record's message without the exception loguru's standard-library sink
    writes at its end (shipped as ``extra.traceback``): cut where the exception's text
    starts, known by its first line (found as many times from the end as the exception's
    text holds it), when the message ends as that text does; else as it is."""
    try:
        lines = traceback.format_exception(*exc_info)
    except Exception:
        return message
    head = lines[0].splitlines(keepends=True)[0] if lines and lines[0] else ""
    if not head or not message.endswith(lines[-1]):
        return message
    at = len(message)
    for _ in range("".join(lines).count(head)):
        at = message.rfind(head, 0, at)
        if at < 0:
            return message
    return message[:at]


def _extra(record: logging.LogRecord, context: Mapping[str, Any]) -> dict[str, Any]:
    """What the record was bound with, its traceback, then what Ocean adds (``context``,
    the logger, the resync's id: :data:`_CONTEXT`, over what was bound of the same name)."""
    bound = getattr(record, "extra", None)
    extra: dict[str, Any] = dict(bound) if isinstance(bound, dict) else {}
    extra.update((key, value) for key, value in vars(record).items() if key not in _STANDARD)
    extra.pop("local_only", None)
    if record.exc_info and record.exc_info[0] is not None:
        extra["traceback"] = _FORMATTER.formatException(record.exc_info)
    found = {_string(key): _plain(value, 1) for key, value in extra.items()}
    found |= {**context, "logger": _string(record.name)}
    event = event_params().get("ocean_info_resync_id")
    if event:
        found["event_id"] = _plain(event, 1)
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
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, int) and value in _INTEGERS:
        return int(value)
    if isinstance(value, float):
        return float(value)
    if depth < _DEPTH and isinstance(value, Mapping):
        return {_string(key): _plain(item, depth + 1) for key, item in value.items()}
    if depth < _DEPTH and isinstance(value, list | tuple | set | frozenset):
        return [_plain(item, depth + 1) for item in value]
    return _string(value)


def _string(value: Any) -> str:
    """``value`` as text (:func:`_text`), or its type's name when it has none."""
    try:
        return _text(value if isinstance(value, str) else str(value))
    except Exception:  # (an integer of more digits than Python writes: sys.int_info)
        return f"<{type(value).__name__}>"


def _text(value: str) -> str:
    """``value`` as JSON can carry it (a lone surrogate, from a file name decoded with
    ``surrogateescape``, written as its escape ``\\udce9``), at most :data:`TEXT`
    characters: a longer one is masked whole first, so that no secret is cut in two and
    half of it left unmasked."""
    if not value.isascii():
        value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(value) <= TEXT:
        return value
    value = mask_secrets(value)
    if len(value) <= TEXT:
        return value
    return f"{value[:TEXT]}… [{len(value) - TEXT} more characters cut]"
