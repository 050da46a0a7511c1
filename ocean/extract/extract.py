"""Drive one kind's handlers: list handlers concurrently first, then generators batch by batch."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator
from typing import Any

from ocean.errors import ExtractError, KindNotImplementedError, RawDataError
from ocean.extract.trace import describe_error, source_folder, with_frames
from ocean.integration import Integration
from ocean.types import RawBatch, ResyncHandler

_log = logging.getLogger(__name__)


async def extract(
    integration: Integration, kind: str, *, incremental: bool = False
) -> AsyncIterator[RawBatch]:
    """Yield the kind's raw batches (from its ``on_incremental_resync`` handlers when
    ``incremental``); raise :class:`ExtractError` naming the kind on failure."""
    handlers = (
        integration.incremental_handlers_for(kind)
        if incremental
        else integration.handlers_for(kind)
    )
    if not handlers:
        raise KindNotImplementedError(kind, integration.kinds)
    started = [(handler, _call(handler, kind)) for handler in handlers]
    coroutines = [(h, result) for h, result in started if not inspect.isasyncgen(result)]
    generators = [(h, result) for h, result in started if inspect.isasyncgen(result)]
    try:
        if coroutines:
            lists = await asyncio.gather(*(_await_list(kind, h, c) for h, c in coroutines))
            yield [item for batch in lists for item in batch]
        for handler, generator in generators:
            async for batch in _guarded(kind, handler, generator):
                yield batch
    finally:
        for _, generator in generators:
            await generator.aclose()


def _call(handler: ResyncHandler, kind: str) -> Any:
    return handler(kind)


async def _await_list(kind: str, handler: ResyncHandler, awaitable: Any) -> RawBatch:
    try:
        result = await awaitable
    except ExtractError:
        raise
    except Exception as error:
        raise _raised(kind, handler, error) from error
    return check_batch(kind, handler, result)


async def _guarded(kind: str, handler: ResyncHandler, generator: Any) -> AsyncIterator[RawBatch]:
    while True:
        try:
            batch = await generator.__anext__()
        except StopAsyncIteration:
            return
        except ExtractError:
            raise
        except Exception as error:
            raise _raised(kind, handler, error) from error
        yield check_batch(kind, handler, batch)


def check_batch(kind: str, handler: ResyncHandler, batch: Any) -> RawBatch:
    """A batch must be a list of dicts; anything else is an error naming kind and type."""
    name = getattr(handler, "__qualname__", repr(handler))
    if not isinstance(batch, list):
        raise RawDataError(
            kind,
            f"handler {name} gave a {type(batch).__name__} ({batch!r:.60}); "
            "yield (or return) a list of dicts, e.g. `yield [item]`.",
        )
    for item in batch:
        if not isinstance(item, dict):
            raise RawDataError(
                kind,
                f"handler {name} gave a list holding a {type(item).__name__} ({item!r:.60}); "
                "every raw item must be a dict.",
            )
    return batch


def _raised(kind: str, handler: ResyncHandler, error: Exception) -> ExtractError:
    """The kind's error: what the handler raised, with the integration's frames (file:line);
    the whole traceback is logged at DEBUG."""
    name = getattr(handler, "__qualname__", repr(handler))
    _log.debug("kind %r: handler %s raised", kind, name, exc_info=error)
    message = f"handler {name} raised {describe_error(error)}"
    return ExtractError(kind, with_frames(message, error, source_folder(handler)))
