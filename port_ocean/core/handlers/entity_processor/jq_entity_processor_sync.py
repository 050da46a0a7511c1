"""``JQEntityProcessorSync``: JQ evaluated synchronously (``_search``,
``_search_as_bool``), for integrations that evaluate mapping-like values outside a
resync, as the original's. Ocean's JQ engine evaluates them (single-quoted strings
accepted, as Port's; ``env`` / ``$ENV`` as in :mod:`.jq_env`)."""

from __future__ import annotations

from typing import Any

from port_ocean._unsupported import missing
from port_ocean.core.handlers.entity_processor.jq_env import search_as_bool_value, search_first
from port_ocean.exceptions.core import EntityProcessorException


class JQEntityProcessorSync:
    @staticmethod
    def _search(data: dict[str, Any], pattern: str, field: str | None = None) -> Any:
        """The first output of ``pattern`` on ``data``; None (and a warning) if it fails."""
        return search_first(data, pattern, field)

    @staticmethod
    def _search_as_bool(data: dict[str, Any], pattern: str) -> bool:
        """``pattern``'s value, which must be a boolean (``EntityProcessorException``); a
        pattern that does not compile raises ``ValueError``, as the original's jq does."""
        value = search_as_bool_value(data, pattern)
        if not isinstance(value, bool):
            raise EntityProcessorException(
                f"Expected boolean value for pattern {pattern!r}, got value:{value} of type: "
                f"{type(value)} instead"
            )
        return value


__all__ = ["JQEntityProcessorSync"]
__getattr__ = missing(__name__)
