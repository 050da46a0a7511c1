"""Integrations written for the original log with loguru (which the original installs for
them). Their records go to Ocean's logging, at Ocean's level (``OCEAN__LOG_LEVEL``, WARNING
by default), instead of loguru's default handler, which prints everything down to DEBUG."""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import Any

_DEFAULT_HANDLER = 0
"""The id of the handler loguru adds on import (stderr, DEBUG)."""


class _ToLogging(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


def route_loguru() -> None:
    """Send loguru's records to Ocean's logging, if the integration imported loguru; once."""
    module = sys.modules.get("loguru")
    if module is None:
        return
    logger: Any = module.logger
    with contextlib.suppress(ValueError):  # already removed: by us, or by the integration
        logger.remove(_DEFAULT_HANDLER)
        # diagnose=False: a traceback shows no variable values (a token could be one)
        logger.add(_ToLogging(), format="{message}", level=0, backtrace=False, diagnose=False)
