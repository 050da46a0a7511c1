"""Integrations written for the original run unchanged through ``port_ocean``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import jq
import pytest
import yaml

from ocean.job import SilentObserver
from ocean.listen.once import resync, start
from ocean.live.process import LiveEvents, accept, process
from ocean.live.queue import QueuedEvent
from ocean.sail import prepare
from ocean.store.sqlite.store import SQLiteStore
from tests.conftest import TEAMS, Workspace, needs_shared, services
from tests.loopback import free_port, reaped, until
from tests.port_ocean.folders import MAPPING, entities_of, folder_of, plain_folder, sail_once

PEER = Path(__file__).resolve().parents[2].parent / "shared" / "peer"


async def test_original_style_integration_with_custom_selector_runs_unchanged(
    tmp_path: Path,
) -> None:
    report, entities = await sail_once(folder_of(tmp_path), tmp_path / "c.db", {})

    assert report.status == "completed", report
    assert sorted(entities) == ["OLD", "OPS", "user1", "user2"]
    assert entities["OPS"]["properties"] == {"owner": "owner-of-ops"}
    assert entities["user1"]["relations"] == {"project": "OPS"}


async def test_custom_selector_field_changes_what_the_handler_yields(tmp_path: Path) -> None:
    mapping = json.loads(json.dumps(MAPPING))
    mapping["resources"][0]["selector"]["includeArchived"] = False

    _, entities = await sail_once(folder_of(tmp_path, mapping), tmp_path / "c.db", {})

    assert "OLD" not in entities and "OPS" in entities


async def test_original_style_webhook_processor_applies_live_events(tmp_path: Path) -> None:
    sail = prepare(folder_of(tmp_path), environ={}, overrides={})
    store = await SQLiteStore.open(tmp_path / "c.db")
    try:
        await store.create_blueprints(sail.folder.blueprints)
        live = LiveEvents(
            sail.folder.integration, sail.folder.mapping, sail.resources, store, sail.owner
        )
        payload = {"project": {"key": "NEW", "name": "New", "archived": False}}
        accepted = await accept(live, "/webhook", json.dumps(payload).encode(), {})
        assert accepted is not None  # the route's checks, then the worker's
        event = QueuedEvent("1", "/webhook", accepted.payload, {}, None, 0.0)
        assert await process(live, event) is None
        entities = await entities_of(store)
    finally:
        await store.close()
    assert entities["NEW"]["properties"] == {"owner": "set-by-ProjectSelector"}


@needs_shared
async def test_peer_integration_runs_unchanged_and_maps_as_the_original(tmp_path: Path) -> None:
    environ = {"PEER_REPO_COUNT": "300", "PEER_BATCH_SIZE": "100", "PEER_RUN_TAG": "x"}

    report, entities = await sail_once(PEER / "integration", tmp_path / "c.db", environ)

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
        ("from port_ocean.utils import repeat", "'repeat' from 'port_ocean.utils' is part of"),
        (
            "from port_ocean.context.ocean import ocean; ocean.app.lifecycle_client",
            "UnsupportedAttributeError: 'ocean.app.lifecycle_client' from "
            "'port_ocean.context.ocean' is part of the original",
        ),
        (
            "from port_ocean.context.ocean import ocean; ocean.configure({}); "
            "ocean.config.send_raw_data_examples",
            "'ocean.config.send_raw_data_examples' from 'port_ocean.context.ocean' is part of",
        ),
        ("from port_ocean.utils import cache, http_async_client", None),
        ("from port_ocean.core.handlers.webhook import webhook_event", None),
        (
            "from port_ocean.utils.misc import IntegrationStateStatus, generate_uuid, get_time; "
            "assert isinstance(get_time(), int) and len(generate_uuid()) == 36; "
            "assert IntegrationStateStatus('completed') is IntegrationStateStatus.Completed",
            None,
        ),
        (
            "from port_ocean.utils.misc import load_module",
            "'load_module' from 'port_ocean.utils.misc",
        ),
        ("from port_ocean.core.handlers import APIPortAppConfig", None),
        (
            "from unittest.mock import MagicMock\n"
            "from port_ocean.context.ocean import ocean, initialize_port_ocean_context\n"
            "from port_ocean.exceptions.context import PortOceanContextAlreadyInitializedError\n"
            "app = MagicMock()\n"
            "app.config.integration.config = {'api_url': 'https://x'}\n"
            "initialize_port_ocean_context(app)\n"
            "assert ocean.integration_config['api_url'] == 'https://x' and ocean.app is app\n"
            "try:\n    initialize_port_ocean_context(app)\n"
            "except PortOceanContextAlreadyInitializedError:\n    pass\n"
            "else:\n    raise SystemExit('initialized twice')",
            None,
        ),
        (
            "from port_ocean.context.ocean import ocean; ocean.configure({}); "
            "assert ocean.config.client_timeout == 60",
            None,
        ),
        (
            "from port_ocean.context.resource import resource; resource.kind",
            "ResourceContextNotFoundError: resource.kind was read outside",
        ),
        (
            "from port_ocean.context.event import event; event.attributes",
            "EventContextNotFoundError: event.attributes was read outside",
        ),
        ("from port_ocean.core.handlers import JQEntityProcessor", None),
        ("from port_ocean.core.integrations.mixins.handler import HandlerMixin", None),
        (
            "from port_ocean.utils.signal import init_signal_handler, signal_handler; "
            "init_signal_handler(); signal_handler.unregister(signal_handler.register(print))",
            None,
        ),
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
    folder = plain_folder(tmp_path, LOGGING_MAIN)
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
    ocean: Any = prepare(folder_of(tmp_path), environ=environ, overrides={}).folder.integration

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
    sail = prepare(folder_of(tmp_path), environ={}, overrides={})
    ocean = sail.folder.integration
    store = await SQLiteStore.open(tmp_path / "c.db")
    try:
        await start(sail, store)
        projects = [
            {"key": "A", "name": "A", "archived": False},
            {"key": "B", "name": "B", "archived": True},
        ]
        await ocean.register_raw("project", projects)  # type: ignore[attr-defined]
        assert sorted(await entities_of(store)) == ["A", "B"]
        await ocean.unregister_raw("project", projects[:1])  # type: ignore[attr-defined]
        query = {
            "combinator": "and",
            "rules": [{"property": "$blueprint", "operator": "=", "value": "project"}],
        }
        found = await ocean.port_client.search_entities(None, query)  # type: ignore[attr-defined]
        assert [entity.identifier for entity in found] == ["B"]
        blueprint = await ocean.port_client.get_blueprint("member")  # type: ignore[attr-defined]
        assert blueprint["relations"]["project"]["target"] == "project"
    finally:
        await store.close()


APP_CONFIG_MAIN = """
import os
from port_ocean.context.event import event
from port_ocean.context.ocean import ocean

@ocean.on_start()
async def start():
    config = await ocean.integration.port_app_config_handler.get_port_app_config()
    with open(os.environ["CALLS_FILE"], "w") as handle:
        handle.write(" ".join(resource.kind for resource in config.resources))
        handle.write(f" {event.event_type} {event.trigger_type}")

@ocean.on_resync("project")
async def projects(kind):
    return []
"""


async def test_an_on_start_hook_reads_the_mapping_and_runs_in_a_start_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls.txt"
    monkeypatch.setenv("CALLS_FILE", str(calls))

    report, _ = await sail_once(plain_folder(tmp_path, APP_CONFIG_MAIN), tmp_path / "c.db", {})

    assert report.status == "completed"
    assert calls.read_text() == "project start machine"


STOPPING_MAIN = """
import os
from port_ocean.context.ocean import ocean
from port_ocean.utils.signal import signal_handler

def record(name):
    with open(os.environ["CALLS_FILE"], "a") as handle:
        handle.write(name + "\\n")

def fails():
    record("failing")
    raise RuntimeError("already closed")

signal_handler.register(lambda: record("at-import"))
forgotten = signal_handler.register(lambda: record("unregistered"))

@ocean.on_start()
async def start():
    async def close_clients():
        record("async-first")
    signal_handler.register(close_clients, priority=10)
    signal_handler.register(fails)
    signal_handler.unregister(forgotten)

@ocean.on_resync("project")
async def projects(kind):
    record("resync")
    return []
"""


async def test_stop_callbacks_run_once_after_the_resync_by_priority_failures_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls = tmp_path / "calls.txt"
    monkeypatch.setenv("CALLS_FILE", str(calls))
    folder = plain_folder(tmp_path, STOPPING_MAIN)

    report, _ = await sail_once(folder, tmp_path / "c.db", {})
    first = calls.read_text().split()
    await sail_once(folder, tmp_path / "c.db", {})  # a fresh main.py: nothing doubled

    assert report.status == "completed"
    assert first == ["resync", "async-first", "at-import", "failing"]
    assert calls.read_text().split() == first * 2
    assert "already closed" in caplog.text


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
ATTRIBUTES_MAIN = """
import json, pathlib
from port_ocean.context.event import event
from port_ocean.context.ocean import ocean

HERE = pathlib.Path(__file__).parent

@ocean.on_resync_start()
async def started():
    event.attributes["fetched"] = []

@ocean.on_resync("project")
async def projects(kind):
    if cached := event.attributes.get("projects"):  # kept by the resync's first resource
        return cached
    with (HERE / "fetches.log").open("a") as log:
        log.write("fetch\\n")
    event.attributes["projects"] = json.loads((HERE / "projects.json").read_text())
    return event.attributes["projects"]
"""


@pytest.mark.parametrize("main", [CACHED_MAIN, ATTRIBUTES_MAIN], ids=["cache", "attributes"])
async def test_what_a_resync_keeps_is_shared_by_its_resources_and_fetched_again_by_the_next(
    tmp_path: Path, main: str
) -> None:
    project = MAPPING["resources"][0]
    folder = plain_folder(tmp_path, main, [project, project])  # one fetch read twice
    sail = prepare(folder, environ={}, overrides={})
    store = await SQLiteStore.open(tmp_path / "c.db")
    try:
        await start(sail, store)
        synced = []
        for keys in (["OPS"], ["OPS", "WEB"]):
            projects = [{"key": key, "name": key, "owner": "me"} for key in keys]
            (folder / "projects.json").write_text(json.dumps(projects))
            report = await resync(sail, store, SilentObserver(), trigger="test")
            assert report.status == "completed", report.kinds
            synced.append(sorted(await entities_of(store)))
    finally:
        await store.close()

    assert synced == [["OPS"], ["OPS", "WEB"]]
    assert (folder / "fetches.log").read_text().splitlines() == ["fetch", "fetch"]


RESOURCE_MAIN = """
from port_ocean.context.ocean import ocean
from port_ocean.context.resource import resource

@ocean.on_resync("project")
async def projects(kind):
    assert resource.resource_config.kind == kind
    return [{"key": f"{resource.kind.upper()}-{resource.index}", "name": "P", "owner": "me"}]
"""


async def test_resource_names_the_resource_a_handler_works_on(tmp_path: Path) -> None:
    project = MAPPING["resources"][0]
    folder = plain_folder(tmp_path, RESOURCE_MAIN, [project, project])

    report, entities = await sail_once(folder, tmp_path / "c.db", {})

    assert report.status == "completed" and sorted(entities) == ["PROJECT-0", "PROJECT-1"]


async def test_resource_context_sets_the_resource_as_integrations_tests_do() -> None:
    from port_ocean.context.event import event
    from port_ocean.context.resource import resource, resource_context

    config = SimpleNamespace(kind="project")
    async with resource_context(config, index=2):
        seen = (resource.kind, resource.index, event.resource_config)

    assert seen == ("project", 2, config)


@pytest.mark.parametrize(
    ("arguments", "env", "actions"),
    [
        pytest.param("", {"OCEAN__EVENT_LISTENER__TYPE": "ONCE"}, ["restart"], id="env-once"),
        pytest.param(
            ", config_override={'event_listener': {'type': 'ONCE'}}, "
            "initialize_port_resources=False",
            {},
            [],
            id="override-once-no-resources",
        ),
    ],
)
async def test_run_as_the_originals_debug_py_does_syncs_the_folder(
    workspace: Workspace, arguments: str, env: dict[str, str], actions: list[str]
) -> None:
    from ocean.actions.open import actions_of

    workspace.set_data(services=[services(3)], teams=TEAMS)
    resources = workspace.folder / ".port" / "resources"
    (resources / "actions.json").write_text(json.dumps([{"identifier": "restart"}]))
    code = f"from port_ocean.run import run; run({str(workspace.folder)!r}{arguments})"
    env = os.environ | workspace.environ | {"OCEAN__CATALOG__URL": str(workspace.catalog)} | env

    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert sorted(await workspace.entities("service")) == ["svc-0", "svc-1", "svc-2"]
    store = await SQLiteStore.open(workspace.catalog)
    try:
        made = [action["identifier"] for action in await actions_of(store).list_actions()]
    finally:
        await store.close()
    assert made == actions


def test_run_keeps_the_integration_running_with_its_listener(workspace: Workspace) -> None:
    """The original's ``debug.py`` (``run()``) starts the app: POLLING by default, serving
    on ``APPLICATION__PORT``, until stopped."""
    workspace.set_data(services=[services(2)], teams=TEAMS)
    port = free_port()
    code = f"from port_ocean import run; run({str(workspace.folder)!r})"
    env = os.environ | workspace.environ | {
        "OCEAN__CATALOG__URL": str(workspace.catalog), "APPLICATION__PORT": str(port),
    }  # fmt: skip
    process = subprocess.Popen([sys.executable, "-c", code], env=env)
    with reaped(process):
        metrics = f"http://127.0.0.1:{port}/metrics"
        until(lambda: 'ocean_resync_status{status="completed"} 1.0' in httpx.get(metrics).text)
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) in (0, -signal.SIGTERM, 143)


async def test_what_a_test_sets_on_event_belongs_to_that_event_only() -> None:
    from port_ocean.context.event import event, event_context

    async with event_context("first"):
        event.port_app_config = "first mapping"
        seen = [event.port_app_config]
    async with event_context("second"):
        with pytest.raises(ValueError, match="Port app config is not set"):  # as the original
            seen.append(event.port_app_config)
        event.port_app_config = "second mapping"
        seen.append(event.port_app_config)

    assert seen == ["first mapping", "second mapping"]


async def test_an_event_may_name_the_event_it_nests_in() -> None:
    from port_ocean.context.event import event, event_context

    async with event_context("http_request", attributes={"k": 1}) as request:
        request.port_app_config = "the request's mapping"
    async with event_context("worker", parent_override=request):  # as GitLab's queue worker
        seen = (event.event_type, event.port_app_config, event.attributes)

    assert seen == ("worker", "the request's mapping", {"k": 1})


async def test_resource_set_through_its_proxy_is_the_running_events() -> None:
    from port_ocean.context.event import event
    from port_ocean.context.resource import resource, resource_context

    async with resource_context(SimpleNamespace(kind="project")):
        resource.resource_config = SimpleNamespace(kind="team")
        resource.index = 3
        seen = (resource.kind, resource.index, event.resource_config.kind)
        with pytest.raises(AttributeError, match="resource.kind cannot be set"):
            resource.kind = "x"

    assert seen == ("team", 3, "team")
