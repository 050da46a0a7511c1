"""Integration folders written in the original's style, and running them once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.monitor.report import ResyncReport
from ocean.sail import prepare
from ocean.store.sqlite.store import SQLiteStore

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
    async def should_process_event(self, webhook_event):
        event.attributes["kinds"] = [r.kind for r in event.port_app_config.resources]
        return True
    async def get_matching_kinds(self, webhook_event): return ["project"]
    async def authenticate(self, payload, headers): return True
    async def validate_payload(self, payload): return True
    async def handle_event(self, payload, resource_config):
        # one event per live event, as in the original: what should_process_event kept is here
        assert "project" in event.attributes["kinds"] and event.resource_config.kind == "project"
        project = dict(payload["project"], owner=f"set-by-{type(resource_config.selector).__name__}")
        return WebhookEventRawResults(updated_raw_results=[project])

ocean.add_webhook_processor("/webhook", ProjectWebhook)
"""

INTEGRATION = """
from typing import Literal
from pydantic.v1 import Field
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


def folder_of(tmp_path: Path, mapping: dict[str, Any] = MAPPING) -> Path:
    folder = tmp_path / "original-style"
    (folder / ".port" / "resources").mkdir(parents=True)
    (folder / "main.py").write_text(MAIN)
    (folder / "integration.py").write_text(INTEGRATION)
    (folder / ".port" / "resources" / "port-app-config.yml").write_text(yaml.safe_dump(mapping))
    (folder / ".port" / "resources" / "blueprints.json").write_text(json.dumps(BLUEPRINTS))
    return folder


def plain_folder(
    tmp_path: Path, main: str, resources: list[dict[str, Any]] = MAPPING["resources"][:1]
) -> Path:
    """A folder with ``main`` and the project mapping, without a custom integration.py."""
    folder = folder_of(tmp_path, {"resources": resources})
    (folder / "main.py").write_text(main)
    (folder / "integration.py").unlink()
    return folder


async def sail_once(
    folder: Path, catalog: Path, environ: dict[str, str]
) -> tuple[ResyncReport, dict[str, Any]]:
    """One resync of ``folder`` into the catalog file ``catalog``: its report and entities."""
    store = await SQLiteStore.open(catalog)
    try:
        return await run_once(
            prepare(folder, environ=environ, overrides={}), store, SilentObserver()
        ), await entities_of(store)
    finally:
        await store.close()


async def entities_of(store: SQLiteStore) -> dict[str, Any]:
    return {e["identifier"]: e async for e in store.iter_entities()}
