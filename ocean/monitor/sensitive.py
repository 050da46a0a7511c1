"""Sensitive values kept out of the log and the resync report, as the original's
``sensitive_log_filter``: the spec's ``sensitive: true`` fields and the credentials among
the settings, once :func:`hide_sensitive` knows them (``ocean sail`` tells it as it
configures the integration).

Wherever one occurs in a log record (its message, its exception's traceback) or a report's
error, it keeps its first characters (6, as in the original, but at most a quarter of the
value, so a short secret is not shown whole) followed by ``[REDACTED]``. Values shorter than
4 characters are not masked: they are no credential, and masking them would garble every
line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

MASK = "[REDACTED]"
_KEPT = 6
_SHORTEST = 4
_FORMATTER = logging.Formatter()


class Redactor:
    """The values to mask, and the masking itself."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def hide(self, values: Iterable[str]) -> None:
        """Mask ``values`` from now on (besides those already known)."""
        fresh = {text.strip() for text in values if len(text.strip()) >= _SHORTEST}
        if fresh <= self._values:
            return
        self._values |= fresh
        longest_first = sorted(self._values, key=len, reverse=True)  # a value holding another
        self._pattern = re.compile("|".join(re.escape(value) for value in longest_first))

    def __bool__(self) -> bool:
        return self._pattern is not None

    def mask(self, text: str, *, whole: bool = False) -> str:
        """``text`` with every known value masked (``whole``: none of its characters kept,
        for what is sent elsewhere rather than logged)."""
        if self._pattern is None:
            return text
        return self._pattern.sub(_hidden if whole else _masked, text)


def _masked(found: re.Match[str]) -> str:
    value = found.group()
    return value[: min(_KEPT, len(value) // 4)] + MASK


def _hidden(found: re.Match[str]) -> str:
    return MASK


class SensitiveFilter(logging.Filter):
    """Masks the known values in a record's message and exception text (a handler's filter:
    it passes every record)."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.redactor:
            return True
        message = record.getMessage()
        masked = self.redactor.mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            text = _FORMATTER.formatException(record.exc_info)
            if (masked := self.redactor.mask(text)) != text:
                record.exc_text = masked
        return True


REDACTOR = Redactor()
_FILTER = SensitiveFilter(REDACTOR)


def hide_sensitive(values: Iterable[str]) -> None:
    """Mask ``values`` in the log (the root logger's handlers) and in resync reports."""
    REDACTOR.hide(values)
    install_filter()


def install_filter() -> None:
    """Put the masking filter on the root logger's handlers (and on the handler of last
    resort, which prints when there are none); idempotent."""
    handlers = [*logging.getLogger().handlers, logging.lastResort]
    for handler in handlers:
        if handler is not None:
            handler.addFilter(_FILTER)


def redact(text: str, *, whole: bool = False) -> str:
    """``text`` with every sensitive value known so far masked (``whole``: entirely)."""
    return REDACTOR.mask(text, whole=whole)


def redact_object(value: Any, *, whole: bool = False) -> Any:
    """``value`` with :func:`redact` applied to its texts, however deep in its lists and
    dicts (new ones: ``value`` itself is left as it was); other values as they are."""
    if isinstance(value, str):
        return redact(value, whole=whole)
    if isinstance(value, list):
        return [redact_object(item, whole=whole) for item in value]
    if isinstance(value, dict):
        return {key: redact_object(item, whole=whole) for key, item in value.items()}
    return value
