"""How a cursor becomes API parameters (``port_ocean.core.incremental.strategies``): the
server filters (:class:`ServerSideTimestampStrategy`), or pages come newest first and stop
at the cursor (:class:`ClientSideCutoffStrategy`). Without a cursor both ask for all."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any

from port_ocean._unsupported import missing
from port_ocean.utils.time import convert_str_to_utc_datetime

Page = list[dict[str, Any]]


class IncrementalStrategy(ABC):
    @abstractmethod
    def build_params(self, cursor: dt.datetime | None) -> dict[str, Any]:
        """The request parameters for ``cursor`` (none without one)."""

    def merge_params(
        self, base_params: dict[str, Any], cursor: dt.datetime | None
    ) -> dict[str, Any]:
        return {**base_params, **self.build_params(cursor)}

    def filter_page(self, page: Page, cursor: dt.datetime | None) -> Page:
        return page

    def should_break_pagination(self, page: Page, cursor: dt.datetime | None) -> bool:
        return False


class ServerSideTimestampStrategy(IncrementalStrategy):
    """The cursor as one query parameter (``param_key``), formatted with ``date_format``
    (ISO 8601 by default) after ``value_prefix`` (``">="``, say)."""

    def __init__(
        self, param_key: str, date_format: str | None = None, value_prefix: str = ""
    ) -> None:
        self._param_key, self._date_format, self._value_prefix = (
            param_key,
            date_format,
            value_prefix,
        )

    def build_params(self, cursor: dt.datetime | None) -> dict[str, Any]:
        if cursor is None:
            return {}
        text = cursor.strftime(self._date_format) if self._date_format else cursor.isoformat()
        return {self._param_key: self._value_prefix + text}


class ClientSideCutoffStrategy(IncrementalStrategy):
    """Pages sorted newest first (``query_params``); items older than the cursor (by their
    ``stop_field``) are dropped and end the paging."""

    def __init__(self, *, stop_field: str, query_params: dict[str, Any] | None = None) -> None:
        self._stop_field, self._query_params = stop_field, dict(query_params or {})

    def build_params(self, cursor: dt.datetime | None) -> dict[str, Any]:
        return {} if cursor is None else dict(self._query_params)

    def should_stop(self, item: dict[str, Any], cursor: dt.datetime | None) -> bool:
        stamp = item.get(self._stop_field)
        if cursor is None or not stamp:
            return False
        return convert_str_to_utc_datetime(str(stamp)) < cursor

    def page_exhausted(self, page: Page, cursor: dt.datetime | None) -> bool:
        return any(self.should_stop(item, cursor) for item in page)

    def filter_page(self, page: Page, cursor: dt.datetime | None) -> Page:
        return [item for item in page if not self.should_stop(item, cursor)]

    def should_break_pagination(self, page: Page, cursor: dt.datetime | None) -> bool:
        return self.page_exhausted(page, cursor)


async def paginate_with_strategy(
    pages: AsyncIterator[Page], *, cursor: dt.datetime | None, strategy: IncrementalStrategy | None
) -> AsyncIterator[Page]:
    """``pages`` as ``strategy`` filters them, stopping where it says."""
    async for page in pages:
        batch = page if strategy is None else strategy.filter_page(page, cursor)
        if batch:
            yield batch
        if strategy is not None and strategy.should_break_pagination(page, cursor):
            return


__all__ = [
    "ClientSideCutoffStrategy",
    "IncrementalStrategy",
    "ServerSideTimestampStrategy",
    "paginate_with_strategy",
]
__getattr__ = missing(__name__)
