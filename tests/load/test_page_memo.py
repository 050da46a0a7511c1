"""Pages synced cleanly last time and unchanged since are skipped, and only those."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest

from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.load.page_memo import fingerprint, to_keep
from ocean.mapping import parse_resource
from ocean.monitor.report import ResyncReport
from ocean.sail import prepare
from ocean.store.base import Owner, PageRecord
from ocean.store.open import open_store
from ocean.store.page_records import ClaimedPage
from ocean.store.sqlite.store import SQLiteStore
from ocean.transform.mapper import CompiledResource
from tests.conftest import DEFAULT_MAPPING, TEAMS, Workspace, resource, services

PAGES = [services(3), services(3, start=3), services(3, start=6)]


def _service(report: ResyncReport) -> Any:
    return next(kind for kind in report.kinds if kind.kind == "service")


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request: pytest.FixtureRequest) -> str | None:
    """The catalog the workspace syncs into: its embedded one, or PostgreSQL."""
    return None if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sail(workspace: Workspace, catalog: str | None) -> Any:
    return lambda: workspace.sail(catalog)


async def _entities(workspace: Workspace, catalog: str | None, blueprint: str) -> dict[str, Any]:
    return await workspace.entities(blueprint, catalog=catalog)


async def _with_store(workspace: Workspace, catalog: str | None, action: Any) -> None:
    """Someone else changes the catalog between two resyncs."""
    store = await open_store(catalog or str(workspace.catalog))
    try:
        await action(store)
    finally:
        await store.close()


async def test_an_unchanged_rerun_skips_every_page_and_reports_the_same_counts(
    workspace: Workspace, catalog: str | None, sail: Any
) -> None:
    workspace.set_data(services=PAGES, teams=TEAMS)
    first = await sail()
    before = await _entities(workspace, catalog, "service")

    rerun = await sail()

    counts = ("extracted", "mapped", "filtered_out", "skipped")
    assert [getattr(_service(rerun), c) for c in counts] == [
        getattr(_service(first), c) for c in counts
    ]
    assert (_service(rerun).unchanged_pages, _service(rerun).unchanged) == (3, 9)
    assert rerun.total("created") + rerun.total("updated") + rerun.deleted == 0
    assert await _entities(workspace, catalog, "service") == before


async def test_an_entity_edited_in_the_catalog_is_repaired_by_the_next_resync(
    workspace: Workspace, catalog: str | None, sail: Any
) -> None:
    workspace.set_data(services=PAGES, teams=TEAMS)
    await sail()
    renamed = {"identifier": "svc-4", "blueprint": "service", "title": "Renamed"}
    await _with_store(
        workspace,
        catalog,
        lambda store: store.upsert_entities([renamed], owner=Owner("ui", "someone"), merge=True),
    )

    rerun = await sail()

    assert (await _entities(workspace, catalog, "service"))["svc-4"]["title"] == "Service 4"
    assert (_service(rerun).unchanged_pages, _service(rerun).updated) == (2, 1)


async def test_an_entity_deleted_from_the_catalog_is_written_again(
    workspace: Workspace, catalog: str | None, sail: Any
) -> None:
    workspace.set_data(services=PAGES, teams=TEAMS)
    await sail()
    await _with_store(
        workspace, catalog, lambda store: store.delete_entities([("service", "svc-7")])
    )

    rerun = await sail()

    assert "svc-7" in await _entities(workspace, catalog, "service")
    assert (_service(rerun).unchanged_pages, _service(rerun).created) == (2, 1)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"environ": {}, "mapping": {"url": '.url + "/"'}}, id="mapping"),
        pytest.param(
            {"environ": {"OCEAN__SKIP_UNCHANGED_PAGES": "false"}, "mapping": {}}, id="turned-off"
        ),
    ],
)
async def test_every_page_is_mapped_again_when_the_mapping_changes_or_skipping_is_off(
    workspace: Workspace, change: dict[str, Any], sail: Any
) -> None:
    workspace.set_data(services=PAGES, teams=TEAMS)
    await sail()
    properties = {"url": ".url", "stars": ".stars"} | change["mapping"]
    service = resource("service", "service", properties=properties, relations={"team": ".team"})
    workspace.set_mapping({"resources": [DEFAULT_MAPPING["resources"][0], service]})
    workspace.environ.update(change["environ"])

    rerun = await sail()

    assert _service(rerun).unchanged_pages == 0
    assert _service(rerun).updated == (9 if change["mapping"] else 0)


async def test_a_skipped_page_still_reports_its_null_fields(
    workspace: Workspace, sail: Any
) -> None:
    broken = services(3, start=3)
    del broken[0]["url"]
    workspace.set_data(services=[services(3), broken], teams=TEAMS)
    await sail()

    rerun = await sail()

    assert _service(rerun).unchanged_pages == 2
    assert _service(rerun).misconfigurations == {"properties.url": ".url"}


async def test_a_page_with_a_failed_write_is_mapped_and_retried_every_run(
    workspace: Workspace, sail: Any
) -> None:
    broken = services(3, start=3)
    broken[0]["stars"] = "many"  # the blueprint wants a number
    workspace.set_data(services=[services(3), broken], teams=TEAMS)
    await sail()

    rerun = await sail()

    assert (_service(rerun).unchanged_pages, _service(rerun).failed) == (1, 1)


def _compiled(**mappings: Any) -> CompiledResource:
    config = parse_resource(resource("service", "service", **mappings))
    return CompiledResource(config, env={})


@pytest.mark.parametrize(
    ("properties", "pure"),
    [
        pytest.param({"url": ".url"}, True, id="plain"),
        pytest.param({"env": ".env", "nowhere": ".now"}, True, id="fields-named-like-builtins"),
        pytest.param({"seen": "now | todate"}, False, id="clock"),
        pytest.param({"token": "env.API_TOKEN"}, False, id="env"),
        pytest.param({"token": "$ENV.API_TOKEN"}, False, id="ENV"),
    ],
)
def test_only_a_mapping_that_depends_on_the_page_alone_gets_a_fingerprint(
    properties: dict[str, str], pure: bool
) -> None:
    mark = fingerprint(_compiled(properties=properties), {}, {})

    assert (mark is not None) == pure


def _record(digest: bytes, *identifiers: str) -> PageRecord:
    return PageRecord(digest, [("service", i) for i in identifiers], [1] * len(identifiers), {})


A, B, C = _record(b"a", "x", "y"), _record(b"b", "y"), _record(b"c", "z")
D = _record(b"d", "w")


@pytest.mark.parametrize(
    ("recalled", "kept", "remembered"),
    [
        pytest.param([], [A, B, C], [b"c"], id="pages-sharing-an-entity-are-dropped"),
        pytest.param([], [C, D], [b"c", b"d"], id="new-pages"),
        pytest.param([C, D], [C, D], None, id="the-same-pages-nothing-to-write"),
        pytest.param([C, D], [C], [b"c"], id="a-page-gone"),
        pytest.param([C, D], [C, C, D], [b"d"], id="a-page-seen-twice"),
    ],
)
def test_what_is_remembered_for_the_next_resync(
    recalled: list[PageRecord], kept: list[PageRecord], remembered: list[bytes] | None
) -> None:
    records = to_keep({r.digest: r for r in recalled}, kept)

    assert (None if records is None else [r.digest for r in records]) == remembered


async def test_unreadable_page_records_only_cost_the_skipping(workspace: Workspace) -> None:
    workspace.set_data(services=PAGES, teams=TEAMS)
    await workspace.sail()
    with sqlite3.connect(workspace.catalog) as db:
        db.execute("UPDATE resync_pages SET record = 'not json'")

    rerun = await workspace.sail()

    assert rerun.status == "completed"
    assert (_service(rerun).unchanged_pages, _service(rerun).unchanged) == (0, 9)


class _SlowClaims:
    """The real SQLite store, taking its time to answer which pages are unchanged."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store

    async def claim_pages(self, *args: Any) -> list[ClaimedPage]:
        await asyncio.sleep(0.3)
        return await self._store.claim_pages(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


async def _sail_with_slow_claims(workspace: Workspace) -> ResyncReport:
    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
    store = await SQLiteStore.open(workspace.catalog)
    try:
        return await run_once(prepared, _SlowClaims(store), SilentObserver())  # type: ignore[arg-type]
    finally:
        await store.close()


async def test_pages_read_while_the_catalog_answers_are_still_skipped(
    workspace: Workspace,
) -> None:
    workspace.set_data(services=PAGES, teams=TEAMS)
    await workspace.sail()
    rerun = await _sail_with_slow_claims(workspace)

    assert (_service(rerun).unchanged_pages, _service(rerun).unchanged) == (3, 9)


REUSING_MAIN_PY = """
import json
from ocean import Integration

ocean = Integration()

@ocean.on_resync("service")
async def services(kind):
    with open(ocean.integration_config["data_file"]) as handle:
        pages = json.load(handle)["service"]
    page = []
    for items in pages:
        page.clear()  # one list, refilled for every page
        page.extend(items)
        yield page

@ocean.on_resync("team")
async def teams(kind):
    return []
"""


async def test_a_handler_refilling_one_list_loses_no_page_read_ahead(
    workspace: Workspace,
) -> None:
    (workspace.folder / "main.py").write_text(REUSING_MAIN_PY)
    workspace.set_data(services=PAGES, teams=[])
    await workspace.sail()
    workspace.set_data(services=[*PAGES, services(3, start=9)], teams=[])
    rerun = await _sail_with_slow_claims(workspace)

    assert (_service(rerun).unchanged_pages, _service(rerun).created) == (3, 3)
    assert len(await workspace.entities("service")) == 12


def _shared(stars: int) -> list[list[dict[str, Any]]]:
    """Two pages that both name svc-1: the second page's svc-1 is the one to keep."""
    first = services(3)
    first[1] = services(1, start=1, stars=stars)[0]
    return [first, services(3, start=3) + services(1, start=1)]


async def test_an_entity_from_two_pages_ends_as_the_later_page_wrote_it(
    workspace: Workspace, catalog: str | None, sail: Any
) -> None:
    # The first sync writes both pages in one batch: the key twice, the later copy kept, so
    # the first page is not recorded (its svc-1 is the second's); the rerun writes it alone.
    workspace.set_data(services=_shared(stars=1), teams=TEAMS)
    await sail()
    assert _service(await sail()).unchanged_pages == 1
    assert _service(await sail()).unchanged_pages == 2  # they agree on svc-1
    workspace.set_data(services=_shared(stars=9), teams=TEAMS)

    rerun = await sail()

    assert (await _entities(workspace, catalog, "service"))["svc-1"]["properties"]["stars"] == 1
    assert _service(rerun).unchanged_pages == 0  # the second page was asked again, after the first


async def test_a_page_whose_entity_a_later_page_of_its_write_sent_is_not_skipped_for_it(
    workspace: Workspace, catalog: str | None, sail: Any
) -> None:
    pages = _shared(stars=9)  # the first page's svc-1 has 9 stars, the second's 1
    workspace.set_data(services=pages, teams=TEAMS)
    await sail()
    workspace.set_data(services=[pages[0], pages[1][:-1]], teams=TEAMS)  # the second drops it

    await sail()
    await sail()

    assert (await _entities(workspace, catalog, "service"))["svc-1"]["properties"]["stars"] == 9


async def test_the_records_of_pages_gone_are_dropped(workspace: Workspace) -> None:
    workspace.set_data(services=PAGES, teams=TEAMS)
    await workspace.sail()
    workspace.set_data(services=PAGES[:2], teams=TEAMS)

    rerun = await workspace.sail()

    assert (_service(rerun).unchanged_pages, rerun.deleted) == (2, 3)
    with sqlite3.connect(workspace.catalog) as db:
        slots = db.execute("SELECT slot, count(*) FROM resync_pages GROUP BY slot").fetchall()
        marks = db.execute("SELECT count(*) FROM resync_produced").fetchone()
    assert dict(slots)["1:service"] == 2
    assert marks == (0,)  # the run's marks, the pages it used among them, are dropped
