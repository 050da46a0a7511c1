"""``port_ocean.utils.misc``: the original's small helpers that integrations import."""

from __future__ import annotations

import inspect
import time
import uuid
from collections.abc import Callable
from enum import Enum
from typing import Any

from port_ocean._unsupported import missing


class IntegrationStateStatus(Enum):
    """A resync's state, as the original reports it."""

    Running = "running"
    Failed = "failed"
    Completed = "completed"
    Aborted = "aborted"


def get_time(seconds_precision: bool = True) -> float:
    """Now, in seconds since the epoch: whole seconds by default, else with a fraction."""
    now = time.time()
    return int(now) if seconds_precision else now


def generate_uuid() -> str:
    """A random UUID (version 4), as text."""
    return str(uuid.uuid4())


def get_function_location(func: Callable[..., Any]) -> str:
    """Where ``func`` is defined: ``path:line``."""
    return f"{inspect.getsourcefile(func)}:{inspect.getsourcelines(func)[1]}"


__getattr__ = missing(__name__)
