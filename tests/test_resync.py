"""One resync end to end: real integration folder, real SQLite catalog."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from ocean.errors import ConfigError, StoreError
from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.sail import prepare
from ocean.store.base import Owner, RunRecord, Store
from ocean.store.open import open_store
from ocean.store.sqlite.store import SQLiteStore
from tests.conftest import DEFAULT_MAPPING, TEAMS, Workspace, resource, services
from tests.store.postgres import connected, until_waiting


def _kind(report, name):  # type: ignore[no-untyped-def]
    return next(kind for kind in report.kinds if kind.kind == name)


async def test_first_sync_creates_every_entity(workspace: Workspace) -> None:
    workspace.set_data(services=[services(3), services(2, start=3)], teams=TEAMS)

    report = await workspace.sail()

    assert report.status == "completed"
    assert (_kind(report, "service").created, _kind(report, "team").created) == (5, 2)
    stored = await workspace.entities("service")
    assert stored["svc-4"]["properties"] == {"url": "https://x/4", "stars": 1}
    assert stored["svc-4"]["relations"] == {"team": "core"}
    assert report.created_blueprints == ["team", "service"]


async def test_identical_second_sync_writes_nothing(workspace: Workspace) -> None:
    workspace.set_data(services=[services(5)], teams=TEAMS)
    await workspace.sail()
    before = await workspace.entities()

    report = await workspace.sail()

    assert report.total("created") + report.total("updated") + report.deleted == 0
    assert report.total("unchanged") == 7
    assert await workspace.entities() == before


async def test_changed_item_is_updated(workspace: Workspace) -> None:
    workspace.set_data(services=[services(3)], teams=TEAMS)
    await workspace.sail()
    changed = services(3)
    changed[1]["stars"] = 99
    workspace.set_data(services=[changed], teams=TEAMS)

    report = await workspace.sail()

    assert (_kind(report, "service").updated, _kind(report, "service").unchanged) == (1, 2)
    assert (await workspace.entities("service"))["svc-1"]["properties"]["stars"] == 99


async def test_vanished_item_is_deleted(workspace: Workspace) -> None:
    workspace.set_data(services=[services(10)], teams=TEAMS)
    await workspace.sail()
    workspace.set_data(services=[services(9)], teams=TEAMS)

    report = await workspace.sail()

    assert report.deleted == 1
    assert _kind(report, "service").deleted == 1
    assert "svc-9" not in await workspace.entities("service")


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        ("fail_service_after", "the service API went away"),
        ("cancel_service_after", "CancelledError though the resync was not stopped"),
    ],
    ids=["raises", "cancelled-inside"],
)
async def test_kind_failing_midway_keeps_its_entities_while_others_sync(
    workspace: Workspace, failure: str, error: str
) -> None:
    workspace.set_data(services=[services(3), services(3, start=3)], teams=TEAMS[:1])
    await workspace.sail()
    workspace.set_data(
        services=[services(3, stars=7), services(3, start=3)], teams=TEAMS, **{failure: 1}
    )

    report = await workspace.sail()

    service = _kind(report, "service")
    assert report.status == "failed"
    assert service.status == "failed"
    assert error in service.errors[0]
    assert service.updated == 3 and service.deleted == 0
    assert sorted(await workspace.entities("service")) == [f"svc-{i}" for i in range(6)]
    assert _kind(report, "team").created == 1


async def test_threshold_blocks_a_mass_deletion_and_says_so(workspace: Workspace) -> None:
    workspace.set_data(services=[services(20)], teams=TEAMS)
    await workspace.sail()
    workspace.set_data(services=[], teams=TEAMS)

    report = await workspace.sail()

    assert report.deleted == 0
    assert "entityDeletionThreshold" in " ".join(report.deletion_notes)
    assert "20 entities" in " ".join(report.deletion_notes)
    assert len(await workspace.entities("service")) == 20


class _CountsOwned:
    """The real SQLite store, counting the times the owner's entities are counted."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store, self.counted = store, 0

    async def count_owned(self, owner: Owner) -> int:
        self.counted += 1
        return await self._store.count_owned(owner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


async def test_entities_are_counted_for_the_threshold_only_when_some_are_stale(
    workspace: Workspace,
) -> None:
    workspace.set_data(services=[services(20)], teams=TEAMS)
    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
    store = await SQLiteStore.open(workspace.catalog)
    counting = _CountsOwned(store)
    try:
        await run_once(prepared, counting, SilentObserver())  # type: ignore[arg-type]
        await run_once(prepared, counting, SilentObserver())  # type: ignore[arg-type]
        assert counting.counted == 0  # a first sync and an unchanged one: nothing stale
        workspace.set_data(services=[services(19)], teams=TEAMS)
        shrunk = prepare(workspace.folder, environ=workspace.environ, overrides={})
        report = await run_once(shrunk, counting, SilentObserver())  # type: ignore[arg-type]
    finally:
        await store.close()

    assert counting.counted == 1
    assert report.deleted == 1


@pytest.mark.parametrize(
    ("value", "named_type"),
    [
        pytest.param({"id": "x"}, "dict", id="dict-instead-of-list"),
        pytest.param(["x", "y"], "str", id="list-of-strings"),
        pytest.param(None, "NoneType", id="none"),
    ],
)
async def test_bad_yield_is_an_error_naming_kind_and_type(
    workspace: Workspace, value: object, named_type: str
) -> None:
    workspace.set_mapping(
        {"resources": [*DEFAULT_MAPPING["resources"], resource("broken", "team")]}
    )
    workspace.set_data(services=[services(1)], teams=TEAMS, broken=value)

    report = await workspace.sail()

    broken = _kind(report, "broken")
    assert broken.status == "failed"
    assert "'broken'" in broken.errors[0] and named_type in broken.errors[0]
    assert _kind(report, "service").created == 1


async def test_missing_required_config_fails_before_anything_is_fetched(
    workspace: Workspace,
) -> None:
    workspace.environ = {}

    with pytest.raises(ConfigError, match="dataFile: required") as raised:
        await workspace.sail()

    assert "OCEAN__INTEGRATION__CONFIG__DATA_FILE" in str(raised.value)
    assert not workspace.catalog.exists()


async def test_kind_without_handler_is_reported_and_others_sync(workspace: Workspace) -> None:
    workspace.set_mapping({"resources": [resource("ghost", "team"), *DEFAULT_MAPPING["resources"]]})
    workspace.set_data(services=[services(2)], teams=TEAMS)

    report = await workspace.sail()

    ghost = _kind(report, "ghost")
    assert ghost.status == "failed"
    assert "no @on_resync handler" in ghost.errors[0] and "'service'" in ghost.errors[0]
    assert _kind(report, "service").created == 2
    assert report.status == "failed"


async def test_failed_kind_protects_only_its_own_blueprint(workspace: Workspace) -> None:
    workspace.set_data(services=[services(3)], teams=TEAMS)
    await workspace.sail()
    workspace.set_data(services=[services(3)], teams=TEAMS[:1], fail_service_after=0)

    report = await workspace.sail()

    assert _kind(report, "team").deleted == 1
    assert sorted(await workspace.entities("service")) == ["svc-0", "svc-1", "svc-2"]
    assert any(
        note.startswith("kept 3 stale entities of blueprints a failed kind produces")
        for note in report.deletion_notes
    )


async def test_items_to_parse_expands_list_handler_results(workspace: Workspace) -> None:
    members = resource("team", "service")
    members["port"]["itemsToParse"] = ".members"
    members["port"]["entity"]["mappings"] = {
        "identifier": '.id + "-" + .item',
        "blueprint": '"service"',
        "relations": {"team": ".id"},
    }
    workspace.set_mapping({"resources": [resource("team", "team"), members]})
    teams = [
        {"id": "core", "name": "Core", "members": ["ann", "bob"]},
        {"id": "edge", "name": "Edge", "members": None},
    ]
    workspace.set_data(services=[], teams=teams)

    report = await workspace.sail()

    assert sorted(await workspace.entities("service")) == ["core-ann", "core-bob"]
    assert report.kinds[1].dropped == 1


async def test_jq_heavy_batches_go_through_the_worker_pool(workspace: Workspace) -> None:
    heavy = resource(
        "service", "service", properties={"url": ".url | ascii_upcase", "stars": "[.stars] | add"}
    )
    workspace.set_mapping({"resources": [heavy]})
    workspace.set_data(services=[services(300)], teams=[])
    workspace.environ["OCEAN__TRANSFORM_WORKERS"] = "2"

    report = await workspace.sail()

    assert report.kinds[0].created == 300
    assert (await workspace.entities("service"))["svc-7"]["properties"] == {
        "url": "HTTPS://X/7",
        "stars": 1,
    }


async def test_null_required_fields_are_reported_as_errors(workspace: Workspace) -> None:
    blueprints = json.loads((workspace.folder / ".port/resources/blueprints.json").read_text())
    blueprints[1]["schema"]["required"] = ["url"]
    (workspace.folder / ".port/resources/blueprints.json").write_text(json.dumps(blueprints))
    no_url = services(2)
    for item in no_url:
        del item["url"], item["stars"]
    workspace.set_data(services=[no_url], teams=TEAMS)

    report = await workspace.sail()

    service = _kind(report, "service")
    assert service.misconfigurations == {"properties.url": ".url", "properties.stars": ".stars"}
    assert service.required_misconfigured == ["properties.url"]


async def test_mapped_fields_the_blueprint_lacks_are_dropped_and_said_once_per_kind(
    workspace: Workspace, catalog: str, caplog: pytest.LogCaptureFixture
) -> None:
    """As the original's GitHub mapping sends ``prNumber``: the entities are written, the
    field dropped, and the report and the log say so once for the kind."""
    workspace.set_mapping({"resources": [
        resource("team", "team"),
        resource("service", "service", properties={"url": ".url", "prNumber": ".stars"},
                 relations={"team": ".team", "lead": ".team"}),
    ]})  # fmt: skip
    workspace.set_data(services=[services(3)], teams=TEAMS)

    with caplog.at_level(logging.WARNING):
        report = await workspace.sail(catalog)

    service = _kind(report, "service")
    assert (report.status, service.created, service.failed) == ("completed", 3, 0)
    assert service.undefined == ["properties.prNumber (service)", "relations.lead (service)"]
    stored = (await workspace.entities("service", catalog))["svc-0"]
    assert "prNumber" not in stored["properties"] and "lead" not in stored["relations"]
    assert caplog.text.count("maps properties.prNumber (service)") == 1


async def test_postgresql_catalog_gives_the_same_result_as_the_embedded_one(
    workspace: Workspace, postgres_url: str
) -> None:
    workspace.set_data(services=[services(30)], teams=TEAMS)
    for catalog in (None, postgres_url):
        first = await workspace.sail(catalog)
        assert first.status == "completed" and first.total("created") == 32
    workspace.set_data(services=[services(29, stars=3)], teams=TEAMS)
    for catalog in (None, postgres_url):
        changed = await workspace.sail(catalog)
        assert (changed.total("updated"), changed.deleted) == (29, 1)

    def comparable(entities: dict[str, Any]) -> dict[str, Any]:
        return {
            k: {f: v for f, v in e.items() if f not in ("createdAt", "updatedAt")}
            for k, e in entities.items()
        }

    assert comparable(await workspace.entities()) == comparable(
        await workspace.entities(catalog=postgres_url)
    )


async def test_stale_entities_that_others_still_relate_to_are_kept(workspace: Workspace) -> None:
    workspace.set_data(services=[services(3)], teams=TEAMS)
    await workspace.sail()
    workspace.set_data(services=[services(3)], teams=[])  # "core" is still the services' team
    workspace.set_mapping(DEFAULT_MAPPING | {"entityDeletionThreshold": 1})  # teams emptied

    report = await workspace.sail()

    assert _kind(report, "team").deleted == 1
    assert sorted(await workspace.entities("team")) == ["core"]


@pytest.mark.parametrize(
    ("bound", "finished"), [(1, ["service", "team"]), (2, ["team", "service"])]
)
async def test_kinds_run_concurrently_up_to_the_bound(
    workspace: Workspace, bound: int, finished: list[str]
) -> None:
    workspace.set_mapping({"resources": list(reversed(DEFAULT_MAPPING["resources"]))})
    workspace.set_data(services=[services(1)], teams=TEAMS, slow=0.3)
    workspace.environ["OCEAN__MAX_CONCURRENT_KINDS"] = str(bound)
    order: list[str] = []

    class Recorder(SilentObserver):
        def kind_finished(self, kind: Any) -> None:
            order.append(kind.kind)

    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
    store = await SQLiteStore.open(workspace.catalog)
    report = await run_once(prepared, store, Recorder())
    await store.close()

    assert order == finished
    assert [k.kind for k in report.kinds] == ["service", "team"]
    assert report.status == "completed"


class _SlowWrites:
    """The real SQLite store, with every entity write taking a while longer (a busy
    catalog), and, given ``mapped_first``, not ending before that many pages were mapped
    (however long a loaded machine takes to map them); records how many entities each
    write carried."""

    def __init__(
        self,
        store: SQLiteStore,
        failing: int | None = None,
        seconds: float = 0.3,
        mapped_first: int = 0,
    ) -> None:
        self._store, self.sizes, self.beside, self.running = store, [], [], 0
        self._failing, self._seconds = failing, seconds
        """The write (by its place, from 0) that fails after its wait, and the wait."""
        self._mapped_first, self.mapped = mapped_first, 0

    def prepare_writes(self, entities: list[Any]) -> Any:
        self.mapped += 1  # (a resync prepares each page as it maps it)
        return self._store.prepare_writes(entities)

    async def upsert_prepared(self, entities: list[Any], prepared: Any, **options: Any) -> Any:
        place = len(self.sizes)
        self.sizes.append(len(entities))
        self.beside.append(self.running)  # the writes under way as this one starts
        self.running += 1
        try:
            await asyncio.sleep(self._seconds)
            async with asyncio.timeout(30):
                while self.mapped < self._mapped_first:
                    await asyncio.sleep(0.01)
            if place == self._failing:
                raise StoreError("the catalog went away")
            return await self._store.upsert_prepared(entities, prepared, **options)
        finally:
            self.running -= 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@pytest.fixture
async def eight_pages(workspace: Workspace) -> AsyncIterator[tuple[Any, SQLiteStore]]:
    """An integration yielding eight pages of 1,000 services, and its SQLite catalog."""
    workspace.set_data(services=[services(1000, start=i * 1000) for i in range(8)], teams=[])
    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
    store = await SQLiteStore.open(workspace.catalog)
    try:
        yield prepared, store
    finally:
        await store.close()


async def test_pages_mapped_while_the_store_writes_go_into_the_next_write(
    eight_pages: tuple[Any, SQLiteStore],
) -> None:
    prepared, store = eight_pages
    slow = _SlowWrites(store, mapped_first=7)  # pages 3-7 mapped while 1 and 2 are written
    report = await run_once(prepared, slow, SilentObserver())  # type: ignore[arg-type]

    assert _kind(report, "service").created == 8000
    # The first two full writes start at once (the catalog takes them in order); the next
    # pages are mapped meanwhile and written together, up to MAX_PENDING.
    assert slow.sizes == [1000, 1000, 5000, 1000]
    # The kind's last write goes beside the one under way rather than after it.
    assert slow.beside[-1] == 1


async def test_a_write_failing_at_the_end_of_a_kind_leaves_no_later_write_running(
    eight_pages: tuple[Any, SQLiteStore],
) -> None:
    prepared, store = eight_pages
    slow = _SlowWrites(store, failing=2, mapped_first=7)  # the 5,000: the last write runs beside it
    with pytest.raises(StoreError, match="went away"):
        await run_once(prepared, slow, SilentObserver())  # type: ignore[arg-type]
    assert slow.running == 0  # the later writes ended before the failure was raised


async def test_pages_mapped_while_a_write_failed_are_still_written(
    eight_pages: tuple[Any, SQLiteStore], workspace: Workspace
) -> None:
    prepared, store = eight_pages
    slow = _SlowWrites(store, failing=0, mapped_first=7)  # pages 3-7 wait for a place then
    with pytest.raises(StoreError, match="went away"):
        await run_once(prepared, slow, SilentObserver())  # type: ignore[arg-type]

    assert slow.running == 0
    assert slow.sizes == [1000, 1000, 5000]
    assert len(await workspace.entities("service")) == 6000  # all but the failed write's


async def test_a_resync_stopped_while_its_last_writes_run_leaves_none_running(
    eight_pages: tuple[Any, SQLiteStore],
) -> None:
    prepared, store = eight_pages
    slow = _SlowWrites(store)
    running = asyncio.create_task(run_once(prepared, slow, SilentObserver()))  # type: ignore[arg-type]
    async with asyncio.timeout(10):
        while len(slow.sizes) < 4:  # the kind's last write has started
            await asyncio.sleep(0.01)
    running.cancel()  # (a newer trigger, a lost lease, a shutdown)
    with pytest.raises(asyncio.CancelledError):
        await running
    assert slow.running == 0


async def test_a_resync_stopped_while_it_extracts_stops_its_writes_and_starts_none(
    eight_pages: tuple[Any, SQLiteStore], workspace: Workspace
) -> None:
    prepared, store = eight_pages
    workspace.set_data(
        services=[services(1000, start=i * 1000) for i in range(8)], teams=[], slow=0.05
    )
    slow = _SlowWrites(store, seconds=2)
    running = asyncio.create_task(run_once(prepared, slow, SilentObserver()))  # type: ignore[arg-type]
    async with asyncio.timeout(10):
        while slow.running < 2:  # two writes under way
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.15)  # the next pages fetched and mapped meanwhile
    running.cancel()  # (a newer trigger, a lost lease, a shutdown)
    with pytest.raises(asyncio.CancelledError):
        await running
    assert slow.running == 0
    assert len(slow.sizes) == 2  # what was mapped meanwhile is not written


async def test_a_rerun_stopped_while_it_writes_its_last_pages_leaves_no_write_running(
    eight_pages: tuple[Any, SQLiteStore], workspace: Workspace
) -> None:
    prepared, store = eight_pages
    await run_once(prepared, store, SilentObserver())  # its pages remembered: a rerun asks
    workspace.set_data(  # every page changed: taken once the catalog has answered
        services=[services(1000, start=i * 1000, stars=2) for i in range(8)], teams=[]
    )
    slow = _SlowWrites(store, seconds=2)
    running = asyncio.create_task(run_once(prepared, slow, SilentObserver()))  # type: ignore[arg-type]
    async with asyncio.timeout(10):
        while slow.running < 2:
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # every page read: the last ones are taken as the kind ends
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert slow.running == 0


async def test_a_stale_entity_written_by_someone_else_during_the_resync_is_kept(
    workspace: Workspace,
) -> None:
    workspace.set_data(services=[services(3)], teams=TEAMS)
    await workspace.sail()
    workspace.set_data(services=[services(2), []], teams=TEAMS, slow=0.3)  # svc-2 vanished

    resync = asyncio.create_task(workspace.sail())
    await asyncio.sleep(0.15)  # the resync has started and waits for its first page
    other = await SQLiteStore.open(workspace.catalog)
    edit = {"identifier": "svc-2", "blueprint": "service", "title": "Edited live"}
    await other.upsert_entities([edit], owner=Owner("testing", "live"), merge=True)
    await other.close()
    report = await resync

    assert report.deleted == 0
    assert (await workspace.entities("service"))["svc-2"]["title"] == "Edited live"


@pytest.mark.parametrize("workers", ["0", "2"])
async def test_fields_null_by_design_are_not_reported_as_misconfigured(
    workspace: Workspace, workers: str
) -> None:
    expected_null = resource("service", "service", properties={"url": ".url", "stars": ".stars"})
    expected_null["expectNull"] = ["properties.stars"]
    workspace.set_mapping({"resources": [expected_null]})
    no_stars = services(3)
    for item in no_stars:
        del item["url"], item["stars"]
    workspace.set_data(services=[no_stars], teams=[])
    workspace.environ["OCEAN__TRANSFORM_WORKERS"] = workers

    report = await workspace.sail()

    assert _kind(report, "service").misconfigurations == {"properties.url": ".url"}
    assert _kind(report, "service").created == 3


@pytest.mark.parametrize("workers", ["0", "2"], ids=["in-process, in chunks", "worker pool"])
async def test_a_page_mapped_in_parts_names_a_failing_item_by_its_place_in_the_page(
    workspace: Workspace, workers: str
) -> None:
    """A page is mapped in parts: in-process a chunk at a time (a write's answers are read
    between chunks), or split across workers; an error names the item by its place in the
    page all the same."""
    workspace.environ["OCEAN__TRANSFORM_WORKERS"] = workers
    selected = resource("service", "service") | {
        "selector": {"query": '(.name | ascii_downcase) != ""'}
    }
    workspace.set_mapping({"resources": [selected]})
    page = services(600)
    page[400]["name"] = 5
    workspace.set_data(services=[page], teams=[])

    report = await workspace.sail()

    service = _kind(report, "service")
    assert service.created == 599 and len(service.errors) == 1
    assert "item 400:" in service.errors[0]


class _DeletionHeld:
    """The real catalog, whose stale deletion waits behind another writer's transaction
    until :meth:`release` (SQLite's write lock; PostgreSQL's ``entities`` table locked
    against writes); ``asked`` is set once the deletion is asked of the catalog."""

    def __init__(self, store: Store, catalog: str) -> None:
        self._store, self._catalog, self.asked = store, catalog, asyncio.Event()
        self._sqlite: sqlite3.Connection | None = None
        self._postgres: asyncpg.Connection | None = None

    async def delete_entities(self, keys: list[Any], **options: Any) -> Any:
        if isinstance(self._store, SQLiteStore):
            self._sqlite = sqlite3.connect(self._store.path, isolation_level=None)
            self._sqlite.execute("BEGIN IMMEDIATE")
        else:
            self._postgres = await connected(self._catalog)
            await self._postgres.execute("BEGIN; LOCK TABLE entities IN SHARE MODE")
        self.asked.set()
        return await self._store.delete_entities(keys, **options)

    async def deleting(self) -> None:
        """Until the deletion's transaction waits for the other writer."""
        await self.asked.wait()
        if self._postgres is not None:
            await until_waiting(self._postgres)
        else:  # (its busy handler waits, unseen from here)
            await asyncio.sleep(0.3)

    async def release(self) -> None:
        sqlite, postgres, self._sqlite, self._postgres = self._sqlite, self._postgres, None, None
        if sqlite is not None:
            sqlite.execute("COMMIT")
            sqlite.close()
        if postgres is not None:
            await postgres.execute("COMMIT")
            await postgres.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@pytest.mark.parametrize("backend", ["sqlite", "sqlite-process", "postgresql"])
async def test_a_resync_stopped_while_it_deletes_reports_what_its_chunk_under_way_deleted(
    workspace: Workspace, postgres_url: str, backend: str
) -> None:
    """The chunk being deleted when the resync is stopped goes all the same (SQLite's
    thread or process runs a call to its end; the deletion is fenced by the lease, still
    held): the run recorded aborted counts it, rather than a false 0."""
    catalog = postgres_url if backend == "postgresql" else str(workspace.catalog)
    run = await _stopped_while_deleting(workspace, catalog, backend, stops=1)

    left = await workspace.entities("service", catalog)
    assert (run.status, len(left)) == ("aborted", 10)
    assert run.report["deleted"] == 20
    assert [kind["deleted"] for kind in run.report["kinds"]] == [0, 20]
    assert not any("not counted" in note for note in run.report["deletion_notes"])


async def test_a_resync_stopped_again_while_its_chunk_is_deleted_says_it_is_not_counted(
    workspace: Workspace,
) -> None:
    run = await _stopped_while_deleting(workspace, str(workspace.catalog), "sqlite", stops=2)

    assert (run.status, run.report["deleted"]) == ("aborted", 0)
    assert (
        "stopped while the catalog deleted a chunk of 20 stale entities: what it deleted of "
        "them is not counted in deleted"
    ) in run.report["deletion_notes"]


async def _stopped_while_deleting(
    workspace: Workspace, catalog: str, backend: str, stops: int
) -> RunRecord:
    """A resync of 30 services down to 10, stopped ``stops`` times while the catalog
    deletes the 20 stale ones (one chunk); the run it recorded."""
    workspace.set_data(services=[services(30)], teams=TEAMS)
    await workspace.sail(catalog)
    workspace.set_data(services=[services(10)], teams=TEAMS)
    store = await open_store(catalog, own_process=backend == "sqlite-process")
    held = _DeletionHeld(store, catalog)
    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
    try:
        resync = asyncio.create_task(run_once(prepared, held, SilentObserver()))  # type: ignore[arg-type]
        async with asyncio.timeout(20):
            await held.deleting()
        for _ in range(stops):  # (SIGTERM, a newer trigger; then Ctrl-C again)
            resync.cancel()
            await asyncio.sleep(0.1)
        await held.release()
        with pytest.raises(asyncio.CancelledError):
            await resync
        return (await store.list_runs())[0]
    finally:
        await held.release()
        await store.close()
