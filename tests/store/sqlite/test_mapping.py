"""Pages the catalog's own process maps come out as pages mapped by the resync."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from pathlib import Path
from typing import Any

import pytest

from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.load.page_memo import page_json
from ocean.monitor.report import KindReport
from ocean.sail import prepare
from ocean.store.prepared import MappedPage
from ocean.store.sqlite.process import CatalogProcess
from ocean.store.sqlite.store import SQLiteStore
from ocean.transform.mapper import MapSummary
from ocean.transform.mapping_spec import MappingSpec
from ocean.types import Entity
from tests.conftest import TEAMS, Workspace, resource

MAPPING = {
    "resources": [
        resource("team", "team"),
        {
            **resource(
                "service",
                "service",
                title=".name | ascii_downcase",
                properties={"url": ".url", "stars": ".stars"},
                relations={"team": ".team"},
            ),
            "selector": {"query": ".stars != 0"},
        },
    ]
}


def _service(i: int) -> dict[str, Any]:
    """A service; some filtered out, without identifier, with a title that fails to map,
    with a URL the blueprint refuses or in a team that does not exist."""
    return {
        "id": "" if i % 11 == 0 else f"svc-{i}",
        "name": i if i % 13 == 0 else f"Service {i}",
        "url": 5 if i % 17 == 0 else f"https://x/{i}",
        "stars": 0 if i % 7 == 0 else i,
        "team": "ghost" if i % 19 == 0 else "core",
    }


class _Counting(SQLiteStore):
    """The embedded catalog in its own process, counting the pages handed to it."""

    handed = warmed = 0

    async def warm_pages(self, spec: MappingSpec) -> None:
        self.warmed += 1
        await super().warm_pages(spec)

    async def upsert_pages(
        self, spec: MappingSpec, pages: list[MappedPage | bytes], **options: Any
    ) -> tuple[list[Any], list[MapSummary]]:
        self.handed += sum(isinstance(page, bytes) for page in pages)
        return await super().upsert_pages(spec, pages, **options)


async def _sync(workspace: Workspace, store: SQLiteStore) -> KindReport:
    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
    report = await run_once(prepared, store, SilentObserver())
    (kind,) = [kind for kind in report.kinds if kind.kind == "service"]
    return kind


def _counts(kind: KindReport) -> dict[str, Any]:
    fields = dataclasses.asdict(kind)
    for timing in ("extract_seconds", "transform_seconds", "load_seconds"):
        del fields[timing]
    fields["errors"] = sorted(fields["errors"])
    return fields


async def _entities(store: SQLiteStore) -> list[Entity]:
    return [
        {k: v for k, v in entity.items() if k not in ("createdAt", "updatedAt")}
        async for entity in store.iter_entities()
    ]


async def test_pages_the_catalog_maps_end_as_the_pages_mapped_by_the_resync(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.set_mapping(MAPPING)
    pages = [[_service(page * 40 + i) for i in range(40)] for page in range(30)]
    workspace.set_data(services=pages, teams=TEAMS)
    here = await SQLiteStore.open(tmp_path / "here.db")
    there = _Counting(await CatalogProcess.start(tmp_path / "there.db"), tmp_path / "there.db")
    try:
        mapped_here, mapped_there = await _sync(workspace, here), await _sync(workspace, there)
        assert there.handed > 0 and there.warmed == 2  # each kind's mapping, before its pages
        assert _counts(mapped_there) == _counts(mapped_here)
        assert await _entities(there) == await _entities(here)
        assert mapped_there.failed > 0 and mapped_there.misconfigurations

        rerun_here, rerun_there = await _sync(workspace, here), await _sync(workspace, there)
        assert rerun_here.unchanged_pages > 0  # the pages that mapped cleanly
        assert _counts(rerun_there) == _counts(rerun_here)
    finally:
        await here.close()
        await there.close()


async def test_warming_up_for_a_mapping_that_does_not_compile_leaves_it_to_the_write(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(await CatalogProcess.start(tmp_path / "c.db"), tmp_path / "c.db")
    try:
        await store.warm_pages(MappingSpec('{"kind": "x", "port": {}}', None, 0))

        assert await store.list_blueprints() == []  # the catalog still answers
    finally:
        await store.close()


class _Colour(enum.Enum):
    RED = "red"


class _Name(enum.StrEnum):
    CORE = "core"


@pytest.mark.parametrize(
    ("page", "text", "exact"),
    [
        ([{"id": 1, "tags": ["a"], "score": 1.5, "private": False}], True, True),
        ([{"id": 1, "at": dt.datetime(2024, 1, 1)}], True, False),
        ([{"id": 1, "team": _Name.CORE}], True, True),
        ([{"id": 1, "colour": _Colour.RED}], True, True),
        ([{"id": 1, "blob": object()}], False, False),
        ([{1: "a key JSON cannot hold"}], False, False),
    ],
    ids=["plain", "datetime", "str-enum-as-its-value", "enum-as-its-value", "object", "int-key"],
)
def test_only_pages_whose_json_reads_back_as_themselves_are_handed_over(
    page: list[Any], text: bool, exact: bool
) -> None:
    written, read_back_exactly = page_json(page)

    assert (written is not None, read_back_exactly) == (text, exact)
