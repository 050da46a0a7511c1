"""``process_in_queue``: a bounded worker pool over a list (``port_ocean.utils.queue_utils``)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from port_ocean._unsupported import missing
from port_ocean.utils.async_iterators import throttle_batch_operation

T = TypeVar("T")
_log = logging.getLogger(__name__)


async def process_in_queue(
    objects_to_process: list[Any],
    func: Callable[..., Awaitable[T]],
    *args: Any,
    concurrency: int = 50,
) -> list[T]:
    """``func(item, *args)`` for every item, at most ``concurrency`` at a time, started in
    the items' order; the results in the order they finished, as the original's (not the
    items' order: pair each result with its item, or sort them, where that matters). Every
    item is processed even when some fail; the failures are then raised together in an
    ``ExceptionGroup``, in the order they happened, each logged as it happens."""
    finished: list[T] = []
    errors: list[Exception] = []

    async def process(item: Any) -> None:
        try:
            finished.append(await func(item, *args))
        except Exception as error:
            _log.error("Error processing task: %s", error)  # as each is, in the original
            errors.append(error)

    await throttle_batch_operation(
        [functools.partial(process, item) for item in objects_to_process], concurrency
    )
    if errors:
        raise ExceptionGroup(f"{len(errors)} of {len(objects_to_process)} tasks failed", errors)
    return finished


__getattr__ = missing(__name__)
