"""Ocean's log: the level names it accepts and where records go (sensitive values
masked, see :mod:`ocean.monitor.sensitive`).

Every level the original accepts is accepted here, spelled in any case: its CLI's and
settings' DEBUG, INFO, WARNING, ERROR, CRITICAL, and the other levels of loguru, which it
logs with (TRACE, SUCCESS). Also accepted: WARN and FATAL (Python's aliases), VERBOSE (a
name other tools use for "more than INFO", read as DEBUG) and a number (``10``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from ocean.monitor.sensitive import install_filter

DEFAULT_LEVEL = "WARNING"
ENV_VARIABLES = ("OCEAN__LOG_LEVEL", "APPLICATION__LOG_LEVEL")
"""Where the level is read from, first found wins: Ocean's name, then the original's."""

LEVELS: dict[str, int] = {
    "TRACE": 5,
    "DEBUG": logging.DEBUG,
    "VERBOSE": logging.DEBUG,
    "INFO": logging.INFO,
    "SUCCESS": 25,
    "WARNING": logging.WARNING,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
    "FATAL": logging.CRITICAL,
}
CHOICES = ("TRACE", "DEBUG", "VERBOSE", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL")
"""The names offered by ``-l/--log-level`` (the aliases are accepted too)."""

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def parse_level(text: str) -> int | None:
    """The numeric level ``text`` names, or None if it names none."""
    name = text.strip().upper()
    if name in LEVELS:
        return LEVELS[name]
    if name.isdigit():
        return int(name)
    return None


def level_from_env(environ: Mapping[str, str]) -> tuple[int, str | None]:
    """The level the environment asks for, and a warning when it names no level (the
    default is used then: a typo in a log level must not stop a command)."""
    for variable in ENV_VARIABLES:
        text = environ.get(variable)
        if not text:
            continue
        level = parse_level(text)
        if level is None:
            return LEVELS[DEFAULT_LEVEL], (
                f"warning: {variable}={text!r} is not a log level, logging at {DEFAULT_LEVEL}; "
                f"set it to one of {', '.join(CHOICES)}"
            )
        return level, None
    return LEVELS[DEFAULT_LEVEL], None


def configure_logging(level: int | None = None) -> str | None:
    """Send records to stderr at ``level`` (else the environment's, else WARNING); returns
    a warning to show when the environment's level was not understood."""
    for name in ("TRACE", "SUCCESS"):
        logging.addLevelName(LEVELS[name], name)
    warning = None
    if level is None:
        level, warning = level_from_env(os.environ)
    logging.basicConfig(level=level, format=_FORMAT)
    logging.getLogger().setLevel(level)
    install_filter()  # sensitive values masked (see ocean.monitor.sensitive)
    return warning


def console_level() -> int:
    """The level the console shows records at: the root logger's, or the one its stream
    handlers keep when higher (the log shipped to Port lowers the root logger's, see
    :mod:`ocean.monitor.port_logs`)."""
    root = logging.getLogger()
    kept = [
        handler.level for handler in root.handlers if isinstance(handler, logging.StreamHandler)
    ]
    return max(root.level, min(kept, default=0))
