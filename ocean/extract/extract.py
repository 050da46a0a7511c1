"""Drive one kind's handlers: list handlers concurrently first, then generators batch by batch.

A handler that fails does not stop the others (as in the original): what they yield is
still written, and the kind fails at the end with every handler's error, so nothing of it
is deleted."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator
from typing import Any

from ocean.errors import ExtractError, KindNotImplementedError, RawDataError
from ocean.extract.trace import (
    defined_at,
    failure_text,
    raised_by_itself,
    source_folder,
    with_frames,
)
from ocean.integration import Integration
from ocean.load.under_way import stopping
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
    failures: list[ExtractError] = []
    started = [(handler, _call(kind, handler, failures)) for handler in handlers]
    coroutines = [(h, result) for h, result in started if inspect.isawaitable(result)]
    generators = [(h, result) for h, result in started if inspect.isasyncgen(result)]
    try:
        if coroutines:
            lists = await asyncio.gather(*(_await_list(kind, h, c) for h, c in coroutines))
            failures += [batch for batch in lists if isinstance(batch, ExtractError)]
            yield [item for batch in lists if isinstance(batch, list) for item in batch]
        for handler, generator in generators:
            async for batch in _guarded(kind, handler, generator, failures):
                yield batch
    finally:
        for _, generator in generators:
            await generator.aclose()
    if failures:
        raise _together(kind, failures)


def _call(kind: str, handler: ResyncHandler, failures: list[ExtractError]) -> Any:
    """The handler's coroutine or async generator; None when calling it failed (its error
    added to ``failures``: the other handlers go on)."""
    try:
        result = handler(kind)
    except Exception as error:
        failures.append(_misfit(kind, handler, error) or _raised(kind, handler, error))
        return None
    except (SystemExit, KeyboardInterrupt) as error:
        if not raised_by_itself(error):
            raise  # Ctrl-C: the sail stops
        failures.append(_raised(kind, handler, error))
        return None
    if inspect.isawaitable(result) or inspect.isasyncgen(result):
        return result
    if inspect.isgenerator(result):
        result.close()
    name = getattr(handler, "__qualname__", repr(handler))
    failures.append(
        ExtractError(
            kind,
            f"handler {name} ({defined_at(handler)}) gave a {type(result).__name__}, not a "
            "coroutine or an async generator: make it `async def` (`return` a list, or "
            "`yield` pages of one)",
        )
    )
    return None


def _misfit(kind: str, handler: ResyncHandler, error: Exception) -> ExtractError | None:
    """The kind's error when the handler cannot be called with the kind (its signature),
    else None (it raised)."""
    if not isinstance(error, TypeError):
        return None
    try:
        inspect.signature(handler).bind(kind)
    except TypeError:
        name = getattr(handler, "__qualname__", repr(handler))
        short = getattr(handler, "__name__", "handler")
        misfit = ExtractError(
            kind,
            f"handler {name} ({defined_at(handler)}) must accept the kind: "
            f"`async def {short}(kind: str)` ({error})",
        )
        misfit.__cause__ = error
        return misfit
    except ValueError:  # no signature to tell
        return None
    return None


async def _await_list(kind: str, handler: ResyncHandler, awaitable: Any) -> RawBatch | ExtractError:
    """The handler's list, or its error (the other handlers go on)."""
    try:
        return check_batch(kind, handler, await awaitable)
    except BaseException as error:  # (in a task: a Ctrl-C raised here would stop the loop)
        return _failure(kind, handler, error)


def _together(kind: str, failures: list[ExtractError]) -> ExtractError:
    """One error for the kind: the only one as it is, or every handler's message."""
    if len(failures) == 1:
        return failures[0]
    prefix = f"kind {kind!r}: "
    messages = "; ".join(str(failure).removeprefix(prefix) for failure in failures)
    together = ExtractError(kind, f"{len(failures)} handlers failed: {messages}")
    together.__cause__ = failures[0].__cause__ or failures[0]
    return together


async def _guarded(
    kind: str, handler: ResyncHandler, generator: Any, failures: list[ExtractError]
) -> AsyncIterator[RawBatch]:
    """The generator's batches until it ends or fails (its error added to ``failures``).
    A handler that caught the resync's stop (its CancelledError) and went on is stopped at
    its next page, or as it ends: what it fetched after the stop is not written."""
    while True:
        try:
            batch = await generator.__anext__()
            checked = check_batch(kind, handler, batch)
        except StopAsyncIteration:
            break
        except BaseException as error:
            failures.append(_failure(kind, handler, error))
            return
        if stopping():
            raise asyncio.CancelledError
        yield checked
    if stopping():
        raise asyncio.CancelledError


def _failure(kind: str, handler: ResyncHandler, error: BaseException) -> ExtractError:
    """The kind's error for what the handler raised; the resync's stop and Ctrl-C are
    raised again. A CancelledError that is not the stop fails the handler alone, as any
    error does (its siblings go on, none left running)."""
    if isinstance(error, ExtractError):
        return error
    if isinstance(error, asyncio.CancelledError):
        if stopping():
            raise error
        return _cancelled(kind, handler, error)
    if isinstance(error, SystemExit | KeyboardInterrupt) and not raised_by_itself(error):
        raise error  # Ctrl-C: the sail stops
    if isinstance(error, Exception | SystemExit | KeyboardInterrupt):
        return _raised(kind, handler, error)
    raise error


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


def _raised(kind: str, handler: ResyncHandler, error: BaseException) -> ExtractError:
    """The kind's error: what the handler raised (or that it ended itself: sys.exit()),
    with the integration's frames (file:line); the whole traceback is logged at DEBUG."""
    name = getattr(handler, "__qualname__", repr(handler))
    _log.debug("kind %r: handler %s raised", kind, name, exc_info=error)
    failure = ExtractError(kind, failure_text(f"handler {name}", handler, error))
    failure.__cause__ = error
    return failure


def _cancelled(kind: str, handler: ResyncHandler, error: BaseException) -> ExtractError:
    """The kind's error when the handler raised CancelledError though the resync was not
    stopped: it fails alone, as a handler that raised anything else (the kind's other
    handlers go on, and nothing of it is deleted)."""
    name = getattr(handler, "__qualname__", repr(handler))
    _log.debug("kind %r: handler %s was cancelled", kind, name, exc_info=error)
    message = (
        f"handler {name} raised CancelledError though the resync was not stopped (a task it "
        "awaited was cancelled by something else?); make it catch or not cancel what it awaits"
    )
    failure = ExtractError(kind, with_frames(message, error, source_folder(handler)))
    failure.__cause__ = error
    return failure
