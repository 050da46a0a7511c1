"""The shared vocabulary of the pipeline."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypedDict

RawItem = dict[str, Any]
"""One item as a third-party API returned it."""

RawBatch = list[RawItem]
"""A page of raw items, as one handler yield."""

Kind = str
"""The name a handler is registered under and a mapping resource selects."""

EntityKey = tuple[str, str]
"""(blueprint, identifier): what makes an entity unique in the catalog."""

ResyncHandler = Callable[[str], AsyncIterator[RawBatch] | Awaitable[RawBatch]]
"""An author's ``@on_resync`` function: an async generator of batches or a coroutine of a list."""

Hook = Callable[[], Awaitable[None]]
"""An author's ``@on_start`` / ``@on_resync_start`` / ``@on_resync_complete`` function."""


class Entity(TypedDict, total=False):
    """A catalog entity shaped as Port shapes it. Only mapped keys are present."""

    identifier: Any
    blueprint: Any
    title: Any
    icon: Any
    team: Any
    properties: dict[str, Any]
    relations: dict[str, Any]
    createdAt: str
    updatedAt: str
