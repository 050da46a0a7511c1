"""Apply one mapped batch to the catalog: write only what changed, count every outcome."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from ocean.mapping import PortAppConfig
from ocean.monitor.report import KindReport
from ocean.store.base import Owner, Store, WriteOutcome
from ocean.store.prepared import MappedPage, MapsPages, PreparesWrites
from ocean.store.search_values import ResolvesSearches, has_searches, resolved_in
from ocean.store.writes import PreparedBatch
from ocean.transform.mapper import MapSummary
from ocean.transform.mapping_spec import MappingSpec
from ocean.types import Entity


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def summarize(outcomes: list[WriteOutcome]) -> LoadResult:
    """Count outcomes by status, with a message per failure."""
    result = LoadResult()
    for outcome in outcomes:
        if outcome.ok:
            setattr(result, outcome.status, getattr(result, outcome.status) + 1)
        else:
            result.failed += 1
            result.errors.append(failure_message(outcome))
    return result


MAX_ERRORS_KEPT = 50
"""Errors a kind's report keeps (its count of failures goes on)."""


def keep_errors(kind: KindReport, errors: list[str]) -> None:
    """Add errors to the kind's report, up to :data:`MAX_ERRORS_KEPT`."""
    kind.errors.extend(errors[: max(0, MAX_ERRORS_KEPT - len(kind.errors))])


def count_written(kind: KindReport, outcomes: list[WriteOutcome]) -> None:
    """Count a write's outcomes in its kind's report."""
    loaded = summarize(outcomes)
    kind.created += loaded.created
    kind.updated += loaded.updated
    kind.unchanged += loaded.unchanged
    kind.failed += loaded.failed
    keep_errors(kind, loaded.errors)


async def write_entities(
    store: Store,
    entities: list[Entity],
    *,
    owner: Owner,
    mapping: PortAppConfig,
    prepared: PreparedBatch | None = None,
    only_changed: bool = True,
    searches: bool = False,
) -> list[WriteOutcome]:
    """Each entity's outcome, in order, with the mapping's merge and relation settings;
    ``prepared``: the entities prepared ahead by the store (:class:`PreparesWrites`);
    ``only_changed``: an entity equal to the stored one is not written (a resync's, whose
    run remembers what it produced); a live event's is, so that it counts as written since
    a running resync started. ``searches``: some entities may hold search queries (search
    identifiers or relations), which the catalog resolves, or else they are resolved here
    (:mod:`ocean.store.search_values`)."""
    if not entities:
        return []
    if searches and not isinstance(store, ResolvesSearches) and any(map(has_searches, entities)):
        resolved = await resolved_in(store, entities, unknown_fails=False)
        written = await write_entities(
            store, resolved.entities, owner=owner, mapping=mapping, only_changed=only_changed
        )
        return resolved.outcomes(written)
    upsert = (
        functools.partial(store.upsert_prepared, entities, prepared)
        if isinstance(store, PreparesWrites)
        else functools.partial(store.upsert_entities, entities)
    )
    return await upsert(
        owner=owner,
        merge=mapping.enable_merge_entity,
        only_changed=only_changed,
        create_missing_related=mapping.create_missing_related_entities,
    )


async def write_pages(
    store: MapsPages,
    spec: MappingSpec,
    pages: list[MappedPage | bytes],
    *,
    owner: Owner,
    mapping: PortAppConfig,
) -> tuple[list[WriteOutcome], list[MapSummary]]:
    """:func:`write_entities` for pages some of which the catalog maps (their JSON, with
    ``spec``): every entity's outcome in page order, and what mapping told of those pages."""
    return await store.upsert_pages(
        spec,
        pages,
        owner=owner,
        merge=mapping.enable_merge_entity,
        only_changed=True,
        create_missing_related=mapping.create_missing_related_entities,
    )


def failure_message(outcome: WriteOutcome) -> str:
    return f"entity {outcome.identifier!r:.80} of blueprint {outcome.blueprint!r}: {outcome.error}"
