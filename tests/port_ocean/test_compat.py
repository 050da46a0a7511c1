"""Integrations written for the original run unchanged through ``port_ocean``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import jq
import pytest
import yaml

from ocean.listen.http import create_app
from ocean.listen.once import resync, run_once, start
from ocean.live.process import LiveEvents, process
from ocean.live.queue import QueuedEvent
from ocean.monitor.metrics import Metrics
from ocean.resync import SilentObserver
from ocean.sail import prepare
from ocean.store.sqlite import SQLiteStore
from tests.conftest import TEAMS, Workspace, needs_shared, services
from tests.loopback import free_port, reaped, until

PEER = Path(__file__).resolve().parents[2].parent / "shared" / "peer"

MAIN = """
import typing
from port_ocean.context.ocean import ocean
from port_ocean.context.event import event
from port_ocean.core.ocean_types import ASYNC_GENERATOR_RESYNC_TYPE, RAW_RESULT
from port_ocean.core.handlers.webhook.abstract_webhook_processor import AbstractWebhookProcessor
from port_ocean.core.handlers.webhook.webhook_event import WebhookEventRawResults
from port_ocean.utils.cache import cache_iterator_result, cache_coroutine_result
from port_ocean.utils.async_iterators import stream_async_iterators_tasks
from integration import ProjectResourceConfig

CALLS = {"projects": 0}

@cache_iterator_result()
async def fetch_projects():
    CALLS["projects"] += 1
    yield [{"key": "OPS", "name": "Operations", "archived": False}, {"key": "OLD", "name": "Old", "archived": True}]

@cache_coroutine_result()
async def fetch_owner(key):
    return f"owner-of-{key.lower()}"

@ocean.on_resync("project")
async def projects(kind: str) -> ASYNC_GENERATOR_RESYNC_TYPE:
    selector = typing.cast(ProjectResourceConfig, event.resource_config).selector
    async for batch in fetch_projects():
        yield [dict(p, owner=await fetch_owner(p["key"])) for p in batch if selector.include_archived or not p["archived"]]

@ocean.on_resync("member")
async def members(kind: str) -> RAW_RESULT:
    async def page(n):
        yield [{"login": f"user{n}", "project": "OPS"}]
    return [item async for batch in stream_async_iterators_tasks(page(1), page(2)) for item in batch]

class ProjectWebhook(AbstractWebhookProcessor):
    async def should_process_event(self, event): return True
    async def get_matching_kinds(self, event): return ["project"]
    async def authenticate(self, payload, headers): return True
    async def validate_payload(self, payload): return True
    async def handle_event(self, payload, resource_config):
        project = dict(payload["project"], owner=f"set-by-{type(resource_config.selector).__name__}")
        return WebhookEventRawResults(updated_raw_results=[project])

ocean.add_webhook_processor("/webhook", ProjectWebhook)
"""

INTEGRATION = """
from typing import Literal
from pydantic import Field
from port_ocean.core.handlers.port_app_config.api import APIPortAppConfig
from port_ocean.core.handlers.port_app_config.models import PortAppConfig, ResourceConfig, Selector
from port_ocean.core.integrations.base import BaseIntegration

class ProjectSelector(Selector):
    include_archived: bool = Field(default=False, alias="includeArchived")

class ProjectResourceConfig(ResourceConfig):
    kind: Literal["project"]
    selector: ProjectSelector

class MemberResourceConfig(ResourceConfig):
    kind: Literal["member"]

class MyPortAppConfig(PortAppConfig):
    resources: list[ProjectResourceConfig | MemberResourceConfig] = Field(default_factory=list)

class MyIntegration(BaseIntegration):
    class AppConfigHandlerClass(APIPortAppConfig):
        CONFIG_CLASS = MyPortAppConfig
"""

MAPPING = {
    "resources": [
        {
            "kind": "project",
            "selector": {"query": "true", "includeArchived": True},
            "port": {
                "entity": {
                    "mappings": {
                        "identifier": ".key",
                        "title": ".name",
                        "blueprint": '"project"',
                        "properties": {"owner": ".owner"},
                    }
                }
            },
        },
        {
            "kind": "member",
            "selector": {"query": "true"},
            "port": {
                "entity": {
                    "mappings": {
                        "identifier": ".login",
                        "blueprint": '"member"',
                        "relations": {"project": ".project"},
                    }
                }
            },
        },
    ]
}
BLUEPRINTS = [
    {
        "identifier": "project",
        "title": "Project",
        "schema": {"properties": {"owner": {"type": "string"}}},
        "relations": {},
    },
    {
        "identifier": "member",
        "title": "Member",
        "schema": {"properties": {}},
        "relations": {"project": {"target": "project", "many": False, "required": False}},
    },
]


def _folder(tmp_path: Path, mapping: dict[str, Any] = MAPPING) -> Path:
    folder = tmp_path / "original-style"
    (folder / ".port" / "resources").mkdir(parents=True)
    (folder / "main.py").write_text(MAIN)
    (folder / "integration.py").write_text(INTEGRATION)
    (folder / ".port" / "resources" / "port-app-config.yml").write_text(yaml.safe_dump(mapping))
    (folder / ".port" / "resources" / "blueprints.json").write_text(json.dumps(BLUEPRINTS))
    return folder


def _plain_folder(
    tmp_path: Path, main: str, resources: list[dict[str, Any]] = MAPPING["resources"][:1]
) -> Path:
    """A folder with ``main`` and the project mapping, without a custom integration.py."""
    folder = _folder(tmp_path, {"resources": resources})
    (folder / "main.py").write_text(main)
    (folder / "integration.py").unlink()
    return folder


async def _sail(folder: Path, catalog: Path, environ: dict[str, str]):  # type: ignore[no-untyped-def]
    store = await SQLiteStore.open(catalog)
    try:
        return await run_once(
            prepare(folder, environ=environ, overrides={}), store, SilentObserver()
        ), await _all(store)
    finally:
        await store.close()


async def _all(store: SQLiteStore) -> dict[str, Any]:
    return {e["identifier"]: e async for e in store.iter_entities()}


async def test_original_style_integration_with_custom_selector_runs_unchanged(
    tmp_path: Path,
) -> None:
    report, entities = await _sail(_folder(tmp_path), tmp_path / "c.db", {})

    assert report.status == "completed", report
    assert sorted(entities) == ["OLD", "OPS", "user1", "user2"]
    assert entities["OPS"]["properties"] == {"owner": "owner-of-ops"}
    assert entities["user1"]["relations"] == {"project": "OPS"}


async def test_custom_selector_field_changes_what_the_handler_yields(tmp_path: Path) -> None:
    mapping = json.loads(json.dumps(MAPPING))
    mapping["resources"][0]["selector"]["includeArchived"] = False

    _, entities = await _sail(_folder(tmp_path, mapping), tmp_path / "c.db", {})

    assert "OLD" not in entities and "OPS" in entities


async def test_original_style_webhook_processor_applies_live_events(tmp_path: Path) -> None:
    sail = prepare(_folder(tmp_path), environ={}, overrides={})
    store = await SQLiteStore.open(tmp_path / "c.db")
    try:
        await store.create_blueprints(sail.folder.blueprints)
        live = LiveEvents(
            sail.folder.integration, sail.folder.mapping, sail.resources, store, sail.owner
        )
        payload = {"project": {"key": "NEW", "name": "New", "archived": False}}
        event = QueuedEvent("1", "/webhook", payload, {}, None, 0.0)
        assert await process(live, event) is None
        entities = await _all(store)
    finally:
        await store.close()
    assert entities["NEW"]["properties"] == {"owner": "set-by-ProjectSelector"}


@needs_shared
async def test_peer_integration_runs_unchanged_and_maps_as_the_original(tmp_path: Path) -> None:
    environ = {"PEER_REPO_COUNT": "300", "PEER_BATCH_SIZE": "100", "PEER_RUN_TAG": "x"}

    report, entities = await _sail(PEER / "integration", tmp_path / "c.db", environ)

    sys.path.insert(0, str(PEER / "lib"))
    import gen_repos  # type: ignore[import-not-found]

    items = gen_repos.repos(300, run_tag="x")
    mapping = yaml.safe_load(
        (PEER / "integration/.port/resources/port-app-config.yml").read_text()
    )["resources"][0]
    expected = [
        item for item in items if jq.compile(mapping["selector"]["query"]).input_value(item).first()
    ]
    assert report.status == "completed" and len(entities) - len(
        {e for e in entities if "/" not in e}
    ) == len(expected)
    sample = expected[7]
    stored = entities[sample["full_name"]]
    for name, program in mapping["port"]["entity"]["mappings"]["properties"].items():
        assert stored["properties"][name] == jq.compile(program).input_value(sample).first(), name


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (
            "from port_ocean.context.ocean import PortOceanContextNotFoundError",
            "'PortOceanContextNotFoundError' from 'port_ocean.context.ocean' is part of the "
            "original port-ocean API that Ocean does not support yet",
        ),
        (
            "import port_ocean.consumers.kafka_consumer",
            "'consumers' from 'port_ocean.consumers' is part of the original",
        ),
        ("from port_ocean.utils import signal", "'signal' from 'port_ocean.utils' is part of"),
        (
            "from port_ocean.context.ocean import ocean; ocean.metrics",
            "UnsupportedAttributeError: 'ocean.metrics' from "
            "'port_ocean.context.ocean' is part of the original",
        ),
        (
            "from port_ocean.context.ocean import ocean; ocean.configure({}); "
            "ocean.config.client_timeout",
            "'ocean.config.client_timeout' from 'port_ocean.context.ocean' is part of",
        ),
        ("from port_ocean.utils import cache, http_async_client", None),
        ("from port_ocean.core.handlers.webhook import webhook_event", None),
    ],
)
def test_provided_names_import_and_others_say_they_are_not_supported(
    code: str, error: str | None
) -> None:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    if error is None:
        assert result.returncode == 0, result.stderr
    else:
        assert error in result.stderr


def test_an_attribute_error_inside_an_ocean_property_is_not_called_unsupported() -> None:
    from port_ocean.context.ocean import PortOceanContext

    class Broken(PortOceanContext):
        @property
        def team(self) -> str:
            return self.settings.team  # type: ignore[attr-defined,no-any-return]

    with pytest.raises(AttributeError, match="'Settings' object has no attribute 'team'"):
        _ = Broken().team


@pytest.mark.parametrize("module", ["port_ocean", "port_ocean.context.ocean", "port_ocean.run"])
def test_importing_needs_no_original_package(module: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import {module}; import importlib.util as u; assert u.find_spec('loguru') is None or True",
        ],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr


ROUTER_MAIN = """
from typing import Any
from fastapi import Request
from port_ocean.context.ocean import ocean

@ocean.router.post("/webhook")
async def webhook(data: dict[str, Any]) -> dict[str, Any]:
    await ocean.register_raw("project", [data["project"]])
    return {"ok": True}

@ocean.router.get("/echo/{word}")
async def echo(word: str, request: Request) -> dict[str, str]:
    return {"word": word, "agent": request.headers["user-agent"]}
"""


async def test_routes_on_ocean_router_are_served_under_integration(tmp_path: Path) -> None:
    folder = _plain_folder(tmp_path, ROUTER_MAIN)
    sail = prepare(folder, environ={}, overrides={})
    store = await SQLiteStore.open(tmp_path / "c.db")
    try:
        await start(sail, store)
        app = create_app(store=store, identifier=sail.owner.identifier, metrics=Metrics(),
                         token=None, extra_routes=sail.folder.integration.http_routes())  # fmt: skip
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ocean") as client:
            project = {"key": "OPS", "name": "Operations", "owner": "me"}
            posted = await client.post("/integration/webhook", json={"project": project})
            echoed = await client.get("/integration/echo/hi", headers={"user-agent": "t"})
            missing = await client.get("/integration/nowhere")
        entities = await _all(store)
    finally:
        await store.close()

    assert (posted.status_code, posted.json()) == (200, {"ok": True})
    assert echoed.json() == {"word": "hi", "agent": "t"}
    assert missing.status_code in (404, 405)
    assert sorted(entities) == ["OPS"]


async def test_ocean_sail_serves_the_router_of_an_original_style_integration(
    tmp_path: Path,
) -> None:
    folder, catalog, port = _plain_folder(tmp_path, ROUTER_MAIN), tmp_path / "c.db", free_port()
    env = os.environ | {"OCEAN__EVENT_LISTENER__TYPE": "WEBHOOKS_ONLY"}
    command = [sys.executable, "-m", "ocean", "sail", str(folder), "--catalog", str(catalog),
               "--port", str(port), "--quiet"]  # fmt: skip
    base = f"http://127.0.0.1:{port}/integration"
    with reaped(subprocess.Popen(command, env=env, cwd=tmp_path)) as process:
        until(lambda: httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200)
        project = {"key": "OPS", "name": "Operations", "owner": "me"}
        posted = httpx.post(f"{base}/webhook", json={"project": project})
        echoed = httpx.get(f"{base}/echo/hi", headers={"user-agent": "t"})
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    store = await SQLiteStore.open(catalog)
    try:
        entities = await _all(store)
    finally:
        await store.close()

    assert (posted.status_code, echoed.json()) == (200, {"word": "hi", "agent": "t"})
    assert sorted(entities) == ["OPS"]


LOGGING_MAIN = """
from loguru import logger
from port_ocean.context.ocean import ocean

@ocean.on_resync("project")
async def projects(kind):
    logger.debug("debug from the integration")
    logger.info("info from the integration")
    logger.warning("warning from the integration")
    return [{"key": "OPS", "name": "Ops", "owner": "me"}]
"""


@pytest.mark.parametrize(
    ("level", "shown"),
    [(None, ["warning"]), ("INFO", ["info", "warning"]), ("DEBUG", ["debug", "info", "warning"])],
)
def test_loguru_records_go_to_oceans_log_at_its_level(
    tmp_path: Path, level: str | None, shown: list[str]
) -> None:
    folder = _plain_folder(tmp_path, LOGGING_MAIN)
    env = os.environ | ({"OCEAN__LOG_LEVEL": level} if level else {})
    catalog = f"sqlite:///{tmp_path / 'c.db'}"
    command = ["-m", "ocean", "sail", str(folder), "--once", "--quiet", "--catalog", catalog]

    result = subprocess.run([sys.executable, *command], env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    logged = [
        w for w in ("debug", "info", "warning") if f"{w} from the integration" in result.stderr
    ]
    assert logged == shown


@pytest.mark.parametrize(
    ("environ", "listener", "base_url"),
    [
        ({}, "POLLING", None),
        (
            {"OCEAN__EVENT_LISTENER__TYPE": "once", "OCEAN__BASE_URL": "https://ocean.example"},
            "ONCE",
            "https://ocean.example",
        ),
        ({"OCEAN__INTEGRATION__CONFIG__APP_HOST": "https://legacy.example"}, "POLLING",
         "https://legacy.example"),
    ],
    ids=["defaults", "set", "legacy-app-host"],
)  # fmt: skip
def test_ocean_tells_handlers_the_listener_and_the_public_url(
    tmp_path: Path, environ: dict[str, str], listener: str, base_url: str | None
) -> None:
    ocean: Any = prepare(_folder(tmp_path), environ=environ, overrides={}).folder.integration

    assert (ocean.initialized, ocean.event_listener_type, ocean.app.base_url) == (
        True,
        listener,
        base_url,
    )
    assert ocean.config.event_listener.type == listener
    assert ocean.app.config.event_listener.should_create_webhooks_if_enabled == (listener != "ONCE")


async def test_register_raw_unregister_raw_and_port_client_work_once_started(
    tmp_path: Path,
) -> None:
    sail = prepare(_folder(tmp_path), environ={}, overrides={})
    ocean = sail.folder.integration
    store = await SQLiteStore.open(tmp_path / "c.db")
    try:
        await start(sail, store)
        projects = [
            {"key": "A", "name": "A", "archived": False},
            {"key": "B", "name": "B", "archived": True},
        ]
        await ocean.register_raw("project", projects)  # type: ignore[attr-defined]
        assert sorted(await _all(store)) == ["A", "B"]
        await ocean.unregister_raw("project", projects[:1])  # type: ignore[attr-defined]
        query = {
            "combinator": "and",
            "rules": [{"property": "$blueprint", "operator": "=", "value": "project"}],
        }
        found = await ocean.port_client.search_entities(None, query)  # type: ignore[attr-defined]
        assert [entity["identifier"] for entity in found] == ["B"]
        blueprint = await ocean.port_client.get_blueprint("member")  # type: ignore[attr-defined]
        assert blueprint["relations"]["project"]["target"] == "project"
    finally:
        await store.close()


CACHED_MAIN = """
import json, pathlib
from port_ocean.context.ocean import ocean
from port_ocean.utils.cache import cache_iterator_result

HERE = pathlib.Path(__file__).parent

@cache_iterator_result()
async def fetch_projects():
    with (HERE / "fetches.log").open("a") as log:
        log.write("fetch\\n")
    yield json.loads((HERE / "projects.json").read_text())

@ocean.on_resync("project")
async def projects(kind):
    async for batch in fetch_projects():
        yield batch
"""


async def test_cached_results_are_shared_within_a_resync_and_fetched_again_by_the_next(
    tmp_path: Path,
) -> None:
    project = MAPPING["resources"][0]
    folder = _plain_folder(tmp_path, CACHED_MAIN, [project, project])  # one fetch read twice
    sail = prepare(folder, environ={}, overrides={})
    store = await SQLiteStore.open(tmp_path / "c.db")
    try:
        await start(sail, store)
        synced = []
        for keys in (["OPS"], ["OPS", "WEB"]):
            projects = [{"key": key, "name": key, "owner": "me"} for key in keys]
            (folder / "projects.json").write_text(json.dumps(projects))
            await resync(sail, store, SilentObserver(), trigger="test")
            synced.append(sorted(await _all(store)))
    finally:
        await store.close()

    assert synced == [["OPS"], ["OPS", "WEB"]]
    assert (folder / "fetches.log").read_text().splitlines() == ["fetch", "fetch"]


async def test_run_as_the_originals_debug_py_does_syncs_the_folder(workspace: Workspace) -> None:
    workspace.set_data(services=[services(3)], teams=TEAMS)
    code = f"from port_ocean.run import run; run({str(workspace.folder)!r})"
    env = os.environ | workspace.environ | {"OCEAN__CATALOG__URL": str(workspace.catalog)}

    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert sorted(await workspace.entities("service")) == ["svc-0", "svc-1", "svc-2"]
