"""One dedicated thread per SQLite connection: every call on it runs there, one at a time,
so the event loop stays free while SQLite works and transactions never interleave."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from ocean.errors import StoreError

P = ParamSpec("P")
T = TypeVar("T")


class SQLiteThread:
    """Start with :meth:`start`; ``what`` names the database in error messages."""

    def __init__(self, executor: ThreadPoolExecutor, what: str) -> None:
        self._executor, self._what = executor, what

    @classmethod
    async def start(
        cls, what: str, opener: Callable[[], T], *, hint: str = ""
    ) -> tuple[SQLiteThread, T]:
        """A new thread and what ``opener`` returned, run on it (usually the connection);
        an error opening is a StoreError naming ``what``, followed by ``hint``."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocean-sqlite")
        try:
            opened = await asyncio.get_running_loop().run_in_executor(executor, opener)
        except (OSError, sqlite3.Error) as error:
            executor.shutdown()
            raise StoreError(f"cannot open {what}: {error}{hint}") from error
        return cls(executor, what), opened

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        call = functools.partial(function, *args, **kwargs)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, call)
        except sqlite3.Error as error:
            raise StoreError(f"{self._what} failed: {error}") from error

    def stop(self) -> None:
        self._executor.shutdown()
