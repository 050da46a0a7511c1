"""Result caching decorators (``port_ocean.utils.cache``).

Results are keyed by the function and its arguments, and kept until the next full resync
starts or ends (as in the original); concurrent callers with the same key share one
computation. A falsy result (``[]``, ``None``, ``0``) is not kept.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from port_ocean._result_cache import results as _cache
from port_ocean._unsupported import missing

T = TypeVar("T")


def _key(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    material = repr(args) + repr(sorted(kwargs.items()))
    return f"{function.__module__}.{function.__qualname__}:{hashlib.sha256(material.encode()).hexdigest()[:16]}"


def cache_iterator_result() -> Callable[
    [Callable[..., AsyncIterator[Any]]], Callable[..., AsyncIterator[Any]]
]:
    def decorate(function: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            key = _key(function, args, kwargs)
            async with _cache.lock(key):
                if not _cache.values.get(key):
                    _cache.values[key] = [batch async for batch in function(*args, **kwargs)]
            for batch in _cache.values[key]:
                yield batch

        return wrapper

    return decorate


def cache_coroutine_result(
    cache_keys: list[str] | None = None,
) -> Callable[[Callable[..., Awaitable[T]]], Callable[..., Awaitable[T]]]:
    def decorate(function: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> T:
            extra = kwargs.pop("cache_keys", None)
            key = _key(function, args, {**kwargs, "__keys__": extra})
            async with _cache.lock(key):
                if not _cache.values.get(key):
                    _cache.values[key] = await function(*args, **kwargs)
            return _cache.values[key]  # type: ignore[no-any-return]

        return wrapper

    return decorate


__getattr__ = missing(__name__)
