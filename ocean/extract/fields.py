"""Fields the integration resolves itself: mapping values no JQ computes, such as GitLab's
``file://README.md`` (the content of that file in the item's repository), handed with the
item to the integration's :class:`~ocean.integration.FieldResolver` once it is mapped, as
the original's custom entity processors are.

A page's fields are resolved concurrently (the integration paces its own API calls); a
field whose resolution fails or gives None (a file that is not there) is null and is
reported as misconfigured with its text, as the original reports it, unless the
resource's ``expectNull`` names it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from ocean.integration import FieldResolver
from ocean.load.under_way import stopping
from ocean.transform.mapper import CompiledResource, MapResult
from ocean.types import Entity

_log = logging.getLogger(__name__)


async def resolve_fields(resource: CompiledResource, result: MapResult) -> None:
    """Fill ``resource``'s deferred fields in the entities of ``result``."""
    resolver = resource.resolver
    if resolver is None:
        return
    await asyncio.gather(
        *(
            _resolve(entity, item, path, text, resolver, result)
            for entity, item in result.sources
            for path, text in resource.deferred.items()
        )
    )
    result.sources = []
    resource.forgive(result.misconfigurations)  # expectNull, as for the mapped fields


async def _resolve(
    entity: Entity, item: Any, path: str, text: str, resolver: FieldResolver, result: MapResult
) -> None:
    try:
        value = await resolver.resolve(item, text)
    except (Exception, asyncio.CancelledError) as error:  # (the others go on: none left running)
        if isinstance(error, asyncio.CancelledError) and stopping():
            raise
        _log.warning(
            "%s of %s: the integration could not resolve %r: %s: %s",
            path, entity.get("identifier"), text, type(error).__name__, error,
        )  # fmt: skip
        result.misconfigurations[path] = text
        return
    if value is None:
        result.misconfigurations[path] = text
    fields: dict[str, Any] = cast(dict[str, Any], entity)
    group, _, key = path.partition(".")
    if key:
        fields[group][key] = value
    else:
        fields[group] = value
