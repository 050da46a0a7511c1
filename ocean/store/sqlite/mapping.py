"""Raw pages mapped by the embedded catalog's own process, beside the resync's mapping.

A big first sync is bound by the resync's process: it runs the integration's generator,
maps each page and prepares its write, while the catalog's process (see
:mod:`ocean.store.sqlite.process`) writes and waits about half the time. So the resync
hands some raw pages over as JSON (made anyway for the page's digest): the catalog's
process maps them with the same mapping (compiled there once), prepares them and writes
them in one transaction with the pages mapped by the resync, in page order. What mapping
told about each handed page (counts, errors, null fields) comes back with the outcomes.

Only pages whose JSON reads back as the same values are handed over (no dates,
dataclasses or subclasses of JSON's types, see :func:`~ocean.load.page_memo.page_json`);
as in jq, a page is read as its JSON: a tuple is an array, NaN and infinities are null.
"""

from __future__ import annotations

import contextlib
from typing import Any

import orjson

from ocean.store.base import Owner
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.sqlite.rules import stamped_blueprints
from ocean.store.writes import PreparedBatch, WriteOutcomes, concatenated, prepare
from ocean.transform.mapper import MapSummary
from ocean.transform.mapping_spec import MappingSpec, compiled
from ocean.types import Entity

Part = PreparedBatch | list[Entity] | bytes
"""Entities prepared by the resync, entities it mapped (to prepare here: it had not read
their blueprints), or a page handed over (its JSON, to map here)."""


def warm(catalog: SQLiteCatalog, spec: MappingSpec) -> None:
    """Compile ``spec`` and read the blueprint rules ahead of the first handed page (a
    tenth of the first write's time, spent while the resync fetches that page). A mapping
    that does not compile is left for that page's write to report."""
    with contextlib.suppress(Exception):
        compiled(spec)
    catalog.read_rules()


def blueprints_read(catalog: SQLiteCatalog) -> tuple[int, list[dict[str, Any]]]:
    """The catalog's blueprints and the count of blueprint changes they were read at: the
    resync prepares pages by them (see :attr:`PreparedBatch.stamp
    <ocean.store.writes.PreparedBatch.stamp>`)."""
    return catalog.read(stamped_blueprints)


def write_parts(
    catalog: SQLiteCatalog,
    spec: MappingSpec | None,
    parts: list[Part],
    owner: Owner,
    options: dict[str, bool],
) -> tuple[WriteOutcomes, list[MapSummary], int | None]:
    """Prepare the parts that are not, mapping handed pages with ``spec`` (where the
    catalog runs), then write every part's entities in order in one transaction: each
    entity's outcome, what mapping told about each handed page, and the count of
    blueprint changes the catalog's rules were read at (the resync's store reads its
    own again if it prepared by others)."""
    batches, summaries = [], []
    for part in parts:
        if isinstance(part, PreparedBatch):
            batches.append(part)
            continue
        if isinstance(part, bytes):
            assert spec is not None, "a page handed over comes with its mapping"
            mapped = compiled(spec).map_items(orjson.loads(part))
            summaries.append(mapped.summary())
            part = mapped.passed
        blueprints = {str(entity.get("blueprint")) for entity in part}
        rules = catalog.blueprint_rules(blueprints)
        batches.append(prepare(part, rules, catalog.rules_stamp))
    whole = concatenated(batches, catalog.blueprint_rules(set()))
    return catalog.upsert_entities(whole, owner, options), summaries, catalog.rules_stamp
