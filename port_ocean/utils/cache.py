"""Result caching decorators (``port_ocean.utils.cache``), as the original's.

Results are kept in ``ocean.app.cache_provider`` (read through this module's ``ocean``;
integrations' tests give a mock provider), keyed by the function and its arguments (a
method's ``self`` left out). Concurrent callers with the same key share one call, as in
the original: an iterator's batches are yielded to its first caller as they come (a failure
after some leaves those with the caller) and kept once it has ended, while the callers
that came meanwhile wait for them (or, when it failed, make their own call). A call that
asks again for the result it is computing (a nested call, which would wait for itself in
the original) makes its own call. A falsy
result (``[]``, ``None``, ``0``) is not served from the cache. When Ocean runs the
integration the provider is in memory and emptied when each full resync starts and ends.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from port_ocean._result_cache import results as _results
from port_ocean._unsupported import missing
from port_ocean.cache.errors import FailedToReadCacheError, FailedToWriteCacheError
from port_ocean.context.ocean import ocean

T = TypeVar("T")
_log = logging.getLogger(__name__)


def hash_func(func: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """The cache key of a call: the function's name and a short hash of its arguments
    (without the first when it is the method's own object)."""
    if args and hasattr(args[0], func.__name__):
        args = args[1:]
    digest = hashlib.sha256((repr(args) + repr(sorted(kwargs.items()))).encode()).digest()[:8]
    short = base64.urlsafe_b64encode(digest).decode().rstrip("=").replace("-", "_")
    name = re.sub(r"[.\- <>]", "_", f"{func.__module__}_{func.__qualname__}").lower()
    return f"{name}_{short}"


async def _read(key: str) -> Any:
    try:
        return await ocean.app.cache_provider.get(key)
    except FailedToReadCacheError as error:
        _log.warning("could not read the cache for %s: %s", key, error)
        return None


async def _write(key: str, value: Any) -> None:
    try:
        await ocean.app.cache_provider.set(key, value)
    except FailedToWriteCacheError as error:
        _log.warning("could not write the cache for %s: %s", key, error)


def cache_iterator_result() -> Callable[
    [Callable[..., AsyncIterator[Any]]], Callable[..., AsyncIterator[Any]]
]:
    def decorate(function: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            key = hash_func(function, *args, **kwargs)
            cached = await _read(key)
            if cached:
                for batch in cached:
                    yield batch
                return
            if _results.produced_here(key):  # a nested call: it would wait for itself
                async for batch in function(*args, **kwargs):
                    yield batch
                return
            fresh = functools.partial(function, *args, **kwargs)
            async with contextlib.aclosing(_shared(key, fresh)) as batches:
                async for batch in batches:
                    yield batch

        return wrapper

    return decorate


async def _shared(key: str, fresh: Callable[[], AsyncIterator[Any]]) -> AsyncGenerator[Any, None]:
    """The batches kept for ``key`` once the caller computing them is done, or else those
    of ``fresh()``, yielded as they come and kept once it has ended; one caller at a
    time."""
    async with _results.lock(key):
        cached = await _read(key)
        if cached:
            for batch in cached:
                yield batch
            return
        batches = []
        with _results.producing(key):
            async for batch in fresh():
                batches.append(batch)
                yield batch
        await _write(key, batches)


def cache_coroutine_result(
    cache_keys: list[str] | None = None,
) -> Callable[[Callable[..., Awaitable[T]]], Callable[..., Awaitable[T]]]:
    """As :func:`cache_iterator_result`, for a coroutine. With ``cache_keys``, a call
    passes ``cache_keys={...}`` holding each of them (part of the key, not of the call);
    a call missing one is not cached."""

    def decorate(function: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> T:
            extra = kwargs.pop("cache_keys", None) or {}
            if cache_keys and any(name not in extra for name in cache_keys):
                return await function(*args, **kwargs)
            key = hash_func(function, *args, **extra, **kwargs)
            async with _results.lock(key):
                cached = await _read(key)
                if cached:
                    return cached  # type: ignore[no-any-return]
                result = await function(*args, **kwargs)
                await _write(key, result)
            return result

        return wrapper

    return decorate


__all__ = ["cache_coroutine_result", "cache_iterator_result", "hash_func"]
__getattr__ = missing(__name__)
