"""``JQEntityProcessor``: the base of integrations' own entity processors.

Ocean maps with its own compiled engine. An integration whose ``BaseIntegration`` subclass
names an ``EntityProcessorClass`` (GitLab's and GitHub's, for ``file://`` and ``search://``
values) has the mapping values of the form ``scheme://...`` handed to that class's
``_search(item, value)`` once each item is mapped; every other value is JQ, as their
``_search`` would have it. ``_search`` here evaluates JQ, for ``super()._search(...)``.
"""

from __future__ import annotations

import re
from typing import Any

from ocean.integration import FieldResolver
from ocean.transform.jq import CompileError, EvaluationError, Expression, Input
from port_ocean._unsupported import missing


class JQEntityProcessor:
    """Evaluates one mapping value for one item (subclasses add their own values)."""

    def __init__(self, context: Any = None) -> None:
        self.context = context

    async def _search(self, data: dict[str, Any], pattern: str) -> Any:
        """The first output of the JQ ``pattern`` on ``data``; None if it fails."""
        try:
            return Expression(pattern, None).first(Input(data))
        except (CompileError, EvaluationError):
            return None

    async def _search_as_bool(self, data: dict[str, Any], pattern: str) -> bool:
        """``pattern``'s value, which must be a boolean."""
        value = await self._search(data, pattern)
        if not isinstance(value, bool):
            raise ValueError(f"{pattern!r} gave {value!r}, not a boolean; make it true or false")
        return value


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
