"""Where the embedded catalog's connection lives: a thread of this process
(:class:`CatalogThread`) or a child process (:mod:`ocean.store.sqlite.process`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from ocean.errors import StoreError
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.sqlite.failures import catalog_failure, unusable
from ocean.store.sqlite.thread import SQLiteThread

P = ParamSpec("P")
T = TypeVar("T")


class CatalogHost(Protocol):
    """Where the catalog's connection lives: a thread of this process or a child process."""

    async def call(
        self, method: Callable[Concatenate[SQLiteCatalog, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``method`` run on the catalog there, with these arguments."""
        ...

    async def stop(self) -> None:
        """Close the catalog and end its thread or process."""
        ...

    @property
    def where(self) -> str:
        """``thread`` or ``process``: where the next call runs, as far as known."""
        ...


class CatalogThread:
    """The catalog on a thread of this process (the catalog server, the CLI's reads)."""

    def __init__(self, thread: SQLiteThread, catalog: SQLiteCatalog) -> None:
        self._thread, self._catalog = thread, catalog

    @classmethod
    async def start(cls, path: Path) -> CatalogThread:
        try:
            thread, catalog = await SQLiteThread.start(
                f"the catalog {path}", lambda: SQLiteCatalog.open(path)
            )
        except StoreError as error:  # a full disk, a locked file: said as the process says it
            if not unusable(error.__cause__):
                raise
            raise catalog_failure(str(error), error.__cause__) from None
        return cls(thread, catalog)

    async def call(
        self, method: Callable[Concatenate[SQLiteCatalog, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        try:
            return await self._thread.run(method, self._catalog, *args, **kwargs)
        except StoreError as error:  # (the catalog's: the live-event queue's are its own)
            if not unusable(error.__cause__):
                raise
            raise catalog_failure(str(error), error.__cause__) from error

    async def stop(self) -> None:
        try:
            await self._thread.run(self._catalog.close)
        finally:
            self._thread.stop()

    @property
    def where(self) -> str:
        return "thread"
