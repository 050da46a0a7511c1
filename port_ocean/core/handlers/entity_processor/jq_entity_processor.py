"""``JQEntityProcessor``: the base of integrations' own entity processors.

Ocean maps with its own compiled engine. An integration whose ``BaseIntegration`` subclass
names an ``EntityProcessorClass`` (GitLab's and GitHub's, for ``file://`` and ``search://``
values) has the mapping values of the form ``scheme://...`` handed to that class's
``_search(item, value)`` once each item is mapped; every other value is JQ, as their
``_search`` would have it. ``_search`` here evaluates JQ, for ``super()._search(...)``,
with ``env`` / ``$ENV`` reading the process environment unless the integration's
``allow_environment_variables_jq_access`` is false (as the core's mappings).
"""

from __future__ import annotations

import re
from typing import Any

from ocean.integration import FieldResolver
from port_ocean._unsupported import missing
from port_ocean.core.handlers.entity_processor.jq_env import search_as_bool_value, search_first
from port_ocean.exceptions.core import EntityProcessorException


class JQEntityProcessor:
    """Evaluates one mapping value for one item (subclasses add their own values)."""

    def __init__(self, context: Any = None) -> None:
        self.context = context

    async def _search(self, data: dict[str, Any], pattern: str, field: str | None = None) -> Any:
        """The first output of the JQ ``pattern`` on ``data``; None if it fails (logged,
        naming ``field``, the mapping's path to the value, when given)."""
        return search_first(data, pattern, field)

    async def _search_as_bool(self, data: dict[str, Any], pattern: str) -> bool:
        """``pattern``'s value, which must be a boolean (``EntityProcessorException``); a
        pattern that does not compile raises ``ValueError``, as the original's jq does."""
        value = search_as_bool_value(data, pattern)
        if not isinstance(value, bool):
            raise EntityProcessorException(
                f"Expected boolean value for pattern {pattern!r}, got value:{value} of type: "
                f"{type(value)} instead"
            )
        return value

    async def _search_as_object(
        self,
        data: dict[str, Any],
        obj: dict[str, Any],
        misconfigurations: dict[str, str] | None = None,
        path: str = "",
    ) -> dict[str, Any]:
        """Each value of ``obj`` searched on ``data`` (objects and lists of objects within
        it in turn), as the original's: a key whose value comes out None is noted in
        ``misconfigurations`` by its dotted path; a key whose search raises is None."""
        result: dict[str, Any] = {}
        for key, value in obj.items():
            where = f"{path}.{key}" if path else key
            try:
                if isinstance(value, list):
                    found: Any = [
                        await self._search_as_object(data, item, misconfigurations, where)
                        for item in value
                    ]
                    missed = any(entry is None for entry in found)
                elif isinstance(value, dict):
                    found = await self._search_as_object(data, value, misconfigurations, where)
                    missed = False
                else:
                    found = await self._search(data, value, field=where)
                    missed = found is None
            except Exception:
                result[key] = None
                continue
            if missed and misconfigurations is not None:
                misconfigurations[where] = value
            result[key] = found
        return result


_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://")


class _ProcessorFields:
    """The ``scheme://...`` values, resolved by the integration's entity processor."""

    def __init__(self, processor: JQEntityProcessor) -> None:
        self._processor = processor

    def claims(self, text: str) -> bool:
        return _SCHEME.match(text) is not None

    async def resolve(self, item: Any, text: str) -> Any:
        return await self._processor._search(item, text)


def fields_of(integration_class: type, context: Any) -> FieldResolver | None:
    """The fields ``integration_class``'s own ``EntityProcessorClass`` resolves, if it
    names one that adds values of its own."""
    processor = getattr(integration_class, "EntityProcessorClass", JQEntityProcessor)
    if not isinstance(processor, type) or not issubclass(processor, JQEntityProcessor):
        return None
    if processor._search is JQEntityProcessor._search:
        return None
    return _ProcessorFields(processor(context))


__getattr__ = missing(__name__)
