"""Shared fixtures: integration folders written to disk and run against a real SQLite catalog."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import subprocess
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml

from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.load import freshness as freshness_module
from ocean.load.freshness import Freshness
from ocean.monitor import sensitive
from ocean.monitor.report import ResyncReport
from ocean.process import pace_collector
from ocean.sail import prepare
from ocean.store.base import Store
from ocean.store.open import open_store
from ocean.store.postgres.store import PostgresStore
from ocean.store.sqlite.process import CatalogProcess
from ocean.store.sqlite.store import SQLiteStore

MAIN_PY = """
import asyncio, json, os
from ocean import Integration

ocean = Integration()

def _data():
    with open(ocean.integration_config["data_file"]) as handle:
        return json.load(handle)

@ocean.on_resync("service")
async def services(kind):
    data = _data()
    for position, page in enumerate(data["service"]):
        if data.get("slow"):
            await asyncio.sleep(data["slow"])
        while data.get("hold_while") and os.path.exists(data["hold_while"]):
            await asyncio.sleep(0.05)
        if data.get("fail_service_after") == position:
            raise RuntimeError("the service API went away")
        if data.get("cancel_service_after") == position:  # a task it awaits cancelled by
            fetch = asyncio.ensure_future(asyncio.sleep(10))  # another component
            asyncio.get_running_loop().call_soon(fetch.cancel)
            await asyncio.gather(fetch)
        yield page

@ocean.on_resync("team")
async def teams(kind):
    return _data()["team"]

@ocean.on_resync("broken")
async def broken(kind):
    yield _data()["broken"]
"""
RAISED_AT = next(
    number
    for number, line in enumerate(MAIN_PY.splitlines(), 1)
    if 'raise RuntimeError("the service API went away")' in line
)
"""The line of ``main.py`` (:data:`MAIN_PY`) where its service handler fails
(``fail_service_after``): what an error's trace names."""

SPEC = {
    "type": "testing",
    "configurations": [
        {"name": "dataFile", "type": "string", "required": True},
        {"name": "apiToken", "type": "string", "required": False},
    ],
}

BLUEPRINTS = [
    {"identifier": "team", "title": "Team", "schema": {"properties": {}}, "relations": {}},
    {
        "identifier": "service",
        "title": "Service",
        "schema": {"properties": {"url": {"type": "string"}, "stars": {"type": "number"}}},
        "relations": {"team": {"target": "team", "many": False, "required": False}},
    },
]


def resource(kind: str, blueprint: str, **mappings: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "selector": {"query": "true"},
        "port": {
            "entity": {
                "mappings": {"identifier": ".id", "title": ".name", "blueprint": f'"{blueprint}"'}
                | mappings
            }
        },
    }


DEFAULT_MAPPING: dict[str, Any] = {
    "resources": [
        resource("team", "team"),
        resource(
            "service",
            "service",
            properties={"url": ".url", "stars": ".stars"},
            relations={"team": ".team"},
        ),
    ]
}


class Workspace:
    """An integration folder, its raw data file and a catalog file, all under tmp_path."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / "integration"
        self.data_file = root / "data.json"
        self.catalog = root / "catalog.db"
        self.environ: dict[str, str] = {
            "OCEAN__INTEGRATION__CONFIG__DATA_FILE": str(self.data_file)
        }
        port = self.folder / ".port"
        (port / "resources").mkdir(parents=True)
        (self.folder / "main.py").write_text(MAIN_PY)
        (port / "spec.yaml").write_text(yaml.safe_dump(SPEC))
        (port / "resources" / "blueprints.json").write_text(json.dumps(BLUEPRINTS))
        self.set_mapping(DEFAULT_MAPPING)

    def set_mapping(self, mapping: dict[str, Any]) -> None:
        path = self.folder / ".port" / "resources" / "port-app-config.yml"
        path.write_text(yaml.safe_dump(mapping, sort_keys=False))

    def set_data(
        self, *, services: list[list[dict[str, Any]]], teams: list[dict[str, Any]], **extra: Any
    ) -> None:
        self.data_file.write_text(json.dumps({"service": services, "team": teams, **extra}))

    async def sail(
        self, catalog: str | None = None, *, freshness: Freshness | None = None
    ) -> ResyncReport:
        """One ``ocean sail --once`` of the workspace (the run's live writes and its resync
        sharing ``freshness`` when given)."""
        prepared = prepare(self.folder, environ=self.environ, overrides={})
        store = await open_store(catalog or str(self.catalog))
        try:
            return await run_once(prepared, store, SilentObserver(), freshness=freshness)
        finally:
            await store.close()

    def add_finishing_hook(self, seconds: float) -> Path:
        """An ``on_resync_complete`` hook in main.py that touches the file returned, then
        sleeps ``seconds`` (a resync past its deletions, held there)."""
        mark = self.root / "finishing"
        hook = (f"\n\n@ocean.on_resync_complete()\nasync def _finishing():\n"
                f"    with open({str(mark)!r}, 'a') as out:\n        out.write('x')\n"
                f"    await asyncio.sleep({seconds!r})\n")  # fmt: skip
        main = self.folder / "main.py"
        main.write_text(main.read_text() + hook)
        return mark

    async def entities(
        self, blueprint: str | None = None, catalog: str | None = None
    ) -> dict[str, Any]:
        store = await open_store(catalog or str(self.catalog))
        try:
            return {e["identifier"]: e async for e in store.iter_entities(blueprint)}
        finally:
            await store.close()


def _writable(text: str) -> str:
    """``text`` with each lone surrogate (a name read with surrogateescape) escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A test's report as UTF-8 can carry it: a test whose log holds a lone surrogate (what
    the log-shipping tests log on purpose) would otherwise stop its pytest-xdist worker,
    whose channel to the controller sends only text UTF-8 can write."""
    report = yield
    report.sections = [(title, _writable(text)) for title, text in report.sections]
    if report.failed:
        try:
            str(report.longrepr).encode("utf-8")
        except UnicodeEncodeError:
            report.longrepr = _writable(str(report.longrepr))
    return report


@pytest.fixture(autouse=True)
def _hidden_values_forgotten() -> Iterator[None]:
    """What a test hides is forgotten after it (``ocean sail`` run in-process hides its
    credentials: ``secret`` would then be masked inside every later test's text), and the
    masking filter it put on the log's handlers (pytest's live for the session) is taken
    off: masking is process-wide, as in a real process, and a test suite is one process."""
    redactor = sensitive.REDACTOR
    values, pattern = set(redactor._values), redactor._pattern
    yield
    redactor._values, redactor._pattern = values, pattern
    if not values:
        for handler in [*logging.getLogger().handlers, logging.lastResort]:
            if handler is not None:
                handler.removeFilter(sensitive._FILTER)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request: pytest.FixtureRequest, workspace: Workspace, postgres_url: str) -> str:
    """The workspace's SQLite catalog file, or a fresh PostgreSQL schema's URL."""
    return str(workspace.catalog) if request.param == "sqlite" else postgres_url


def services_before_teams() -> dict[str, Any]:
    """A mapping whose services relate to teams, a kind mapped after them, with no
    placeholders made for missing targets."""
    service = resource(
        "service",
        "service",
        properties={"url": ".url", "stars": ".stars"},
        relations={"team": ".team"},
    )
    return {"createMissingRelatedEntities": False, "resources": [service, resource("team", "team")]}


def services(count: int, *, stars: int = 1, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "id": f"svc-{i}",
            "name": f"Service {i}",
            "url": f"https://x/{i}",
            "stars": stars,
            "team": "core",
        }
        for i in range(start, start + count)
    ]


TEAMS = [{"id": "core", "name": "Core"}, {"id": "edge", "name": "Edge"}]


SHARED = Path(__file__).resolve().parents[1].parent / "shared"
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason="../shared is not beside this checkout"
)

SHARED_POSTGRES_URL = os.environ.get(
    "OCEAN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


def _workers_own(url: str) -> str:
    """``url``, in a pytest-xdist worker naming a database of the worker's own (``test_gw0``,
    made by :func:`_postgres_database`): advisory locks, and the waits and sessions the
    tests look for, are the database's, so workers sharing one would see each other's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"{parts.path}_{worker}"))


POSTGRES_URL = _workers_own(SHARED_POSTGRES_URL)


async def _create_database(url: str) -> None:
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    try:
        connection = await asyncpg.connect(SHARED_POSTGRES_URL)
    except (OSError, asyncpg.PostgresError):
        return  # no PostgreSQL: the tests that need it fail as they would
    try:
        for _ in range(50):  # another worker's CREATE DATABASE may be copying the template
            if await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                return
            with contextlib.suppress(asyncpg.ObjectInUseError, asyncpg.DuplicateDatabaseError):
                await connection.execute(f'CREATE DATABASE "{name}"')
                return
            await asyncio.sleep(0.1)
    finally:
        await connection.close()


@pytest.fixture(scope="session", autouse=True)
def _postgres_database() -> None:
    """The worker's own PostgreSQL database (:func:`_workers_own`), made if missing and kept
    for the next run (each test's schema is dropped after it)."""
    if POSTGRES_URL != SHARED_POSTGRES_URL:
        asyncio.run(_create_database(POSTGRES_URL))


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = await SQLiteStore.open(tmp_path / "store.db")
    yield opened
    await opened.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A PostgreSQL catalog URL on a fresh schema, dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield f"{POSTGRES_URL}?schema={schema}"
    connection = await asyncpg.connect(POSTGRES_URL)
    await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await connection.close()


STORES = ["sqlite", "sqlite-process", "postgresql"]


@contextlib.asynccontextmanager
async def opened_store(kind: str, tmp_path: Path) -> AsyncIterator[Store]:
    """One of Ocean's catalogs (:data:`STORES`), new, closed (and dropped) afterwards."""
    if kind == "sqlite":
        opened: Store = await SQLiteStore.open(tmp_path / "store.db")
        yield opened
        await opened.close()
        return
    if kind == "sqlite-process":  # every call in the catalog's own process
        path = tmp_path / "store.db"
        opened = SQLiteStore(await CatalogProcess.start(path), path)
        yield opened
        await opened.close()
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    opened = await PostgresStore.open(f"{POSTGRES_URL}?schema={schema}")
    yield opened
    await opened.close()
    connection = await asyncpg.connect(POSTGRES_URL)
    await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await connection.close()


@pytest.fixture(params=STORES)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """The same catalog tests against both backends (SQLite on a thread and in a child
    process)."""
    async with opened_store(request.param, tmp_path) as opened:
        yield opened


@contextlib.contextmanager
def collector_passes() -> Iterator[list[int]]:
    """The generations of the cycle collector's passes made meanwhile."""
    passes: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    gc.callbacks.append(count)
    try:
        yield passes
    finally:
        gc.callbacks.remove(count)


@pytest.fixture
def paced() -> Iterator[list[int]]:
    """The cycle collector paced as an Ocean process paces it (as it was, after): the
    generations of the passes it makes meanwhile."""
    threshold = gc.get_threshold()
    pace_collector()
    try:
        with collector_passes() as passes:
            yield passes
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


@pytest.fixture
def forgetful_freshness(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every :class:`Freshness` looks at each claim for the writes it may forget (no older
    data in flight), however few it remembers."""
    monkeypatch.setattr(freshness_module, "PRUNE_EVERY", 0.0)
    monkeypatch.setattr(freshness_module, "PRUNE_AT_LEAST", 0)
    monkeypatch.setattr(freshness_module, "PRUNE_GROWTH", 0.0)


@contextlib.contextmanager
def small_disk(folder: Path, megabytes: int) -> Iterator[Path]:
    """``folder``, made, a tmpfs of ``megabytes`` (a disk a test can fill; the test skips
    where none can be mounted, as without root), unmounted afterwards."""
    folder.mkdir()
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder)],
            capture_output=True, check=False,
        )  # fmt: skip
    except OSError as error:  # no mount command
        pytest.skip(f"cannot mount a tmpfs here: {error}")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """A file taking the room of ``disk`` but ``leave`` bytes (unlink it to free them)."""
    room = os.statvfs(disk)
    filler = disk / "filler"
    filler.write_bytes(b"\0" * max(0, room.f_bavail * room.f_frsize - leave))
    return filler
