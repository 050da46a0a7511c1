"""``process_in_queue``: a bounded worker pool over a list (``port_ocean.utils.queue_utils``)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from port_ocean._unsupported import missing
from port_ocean.utils.async_iterators import throttle_batch_operation

T = TypeVar("T")


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


async def process_in_queue(
    objects_to_process: list[Any],
    func: Callable[..., Awaitable[T]],
    *args: Any,
    concurrency: int = 50,
) -> list[T]:
    """``func(item, *args)`` for every item, at most ``concurrency`` at a time; the results
    in the items' order. Every item is processed even when some fail; the failures are
    then raised together in an ``ExceptionGroup``."""

    async def outcome(item: Any) -> T | _Failed:
        try:
            return await func(item, *args)
        except Exception as error:
            return _Failed(error)

    outcomes = await throttle_batch_operation(
        [functools.partial(outcome, item) for item in objects_to_process], concurrency
    )
    errors = [o.error for o in outcomes if isinstance(o, _Failed)]
    if errors:
        raise ExceptionGroup(f"{len(errors)} of {len(outcomes)} tasks failed", errors)
    return [o for o in outcomes if not isinstance(o, _Failed)]


__getattr__ = missing(__name__)
