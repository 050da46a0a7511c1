"""An integration's own entity processor (``EntityProcessorClass``, as GitLab's and
GitHub's) resolves its ``scheme://...`` mapping values, in resyncs and live events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from ocean.job import SilentObserver
from ocean.listen.once import resync, start
from ocean.sail import prepare
from ocean.store.sqlite.store import SQLiteStore

MAIN = """
import json, pathlib
from port_ocean.context.ocean import ocean

HERE = pathlib.Path(__file__).parent

@ocean.on_resync("repo")
async def repos(kind):
    return json.loads((HERE / "repos.json").read_text())
"""
INTEGRATION = """
import json, pathlib
from port_ocean.core.handlers import APIPortAppConfig, JQEntityProcessor
from port_ocean.core.handlers.port_app_config.models import PortAppConfig
from port_ocean.core.integrations.base import BaseIntegration

FILES = pathlib.Path(__file__).parent / "files.json"  # the third party's repository files

class FileProcessor(JQEntityProcessor):
    async def _search(self, data, pattern):
        files = json.loads(FILES.read_text())[data["name"]]
        if pattern.startswith("file://"):
            return files[pattern[len("file://"):]]  # a missing file raises
        if pattern.startswith("search://"):
            return pattern[len("search://"):] in files
        return await super()._search(data, pattern)

class RepoIntegration(BaseIntegration):
    EntityProcessorClass = FileProcessor

    class AppConfigHandlerClass(APIPortAppConfig):
        CONFIG_CLASS = PortAppConfig
"""
MAPPING = {
    "resources": [
        {
            "kind": "repo",
            "selector": {"query": "true"},
            "port": {
                "entity": {
                    "mappings": {
                        "identifier": ".name",
                        "blueprint": '"repo"',
                        "properties": {
                            "readme": "file://README.md",
                            "hasCi": "search://.gitlab-ci.yml",
                            "stars": ".stars",
                        },
                    }
                }
            },
        }
    ]
}
SCHEMA = {"readme": {"type": "string"}, "hasCi": {"type": "boolean"}, "stars": {"type": "number"}}
BLUEPRINT = {"identifier": "repo", "title": "Repo", "schema": {"properties": SCHEMA}}


def _folder(root: Path) -> Path:
    (root / ".port" / "resources").mkdir(parents=True)
    (root / "main.py").write_text(MAIN)
    (root / "integration.py").write_text(INTEGRATION)
    (root / ".port" / "resources" / "port-app-config.yml").write_text(yaml.safe_dump(MAPPING))
    (root / ".port" / "resources" / "blueprints.json").write_text(json.dumps([BLUEPRINT]))
    (root / "repos.json").write_text(
        json.dumps([{"name": "api", "stars": 3}, {"name": "web", "stars": 5}])
    )
    return root


def _files(root: Path, files: dict[str, Any]) -> None:
    (root / "files.json").write_text(json.dumps(files))


async def _properties(store: SQLiteStore) -> dict[str, Any]:
    return {e["identifier"]: e["properties"] async for e in store.iter_entities()}


async def test_the_integration_resolves_its_own_values_in_every_resync(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "repos")
    _files(folder, {"api": {"README.md": "# API", ".gitlab-ci.yml": ""}, "web": {}})
    sail = prepare(folder, environ={}, overrides={})
    store = await SQLiteStore.open(tmp_path / "c.db")
    try:
        await start(sail, store)
        first = await resync(sail, store, SilentObserver(), trigger="test")
        synced = [await _properties(store)]
        _files(folder, {"api": {"README.md": "# API v2"}, "web": {"README.md": "# Web"}})
        await resync(sail, store, SilentObserver(), trigger="test")  # same items, new files
        synced.append(await _properties(store))
    finally:
        await store.close()

    assert synced == [
        {"api": {"readme": "# API", "hasCi": True, "stars": 3},
         "web": {"readme": None, "hasCi": False, "stars": 5}},
        {"api": {"readme": "# API v2", "hasCi": False, "stars": 3},
         "web": {"readme": "# Web", "hasCi": False, "stars": 5}},
    ]  # fmt: skip
    assert first.kinds[0].misconfigurations == {"properties.readme": "file://README.md"}


async def test_the_integration_resolves_its_own_values_for_raw_items_it_registers(
    tmp_path: Path,
) -> None:
    folder = _folder(tmp_path / "repos")
    _files(folder, {"docs": {"README.md": "# Docs"}})
    sail = prepare(folder, environ={}, overrides={})
    store = await SQLiteStore.open(tmp_path / "c.db")
    try:
        await start(sail, store)
        await sail.folder.integration.register_raw("repo", [{"name": "docs", "stars": 1}])
        registered = await _properties(store)
    finally:
        await store.close()

    assert registered == {"docs": {"readme": "# Docs", "hasCi": False, "stars": 1}}


@pytest.mark.parametrize("value", ["file://README.md", "search://x"])
def test_without_an_entity_processor_such_a_value_does_not_compile_and_maps_to_null(
    tmp_path: Path, value: str
) -> None:
    folder = _folder(tmp_path / "repos")
    (folder / "integration.py").unlink()
    mapping = json.loads(json.dumps(MAPPING))
    mapping["resources"][0]["port"]["entity"]["mappings"]["properties"]["readme"] = value
    (folder / ".port" / "resources" / "port-app-config.yml").write_text(yaml.safe_dump(mapping))

    (resource,) = prepare(folder, environ={}, overrides={}).resources

    assert "does not compile" in resource.uncompiled["properties.readme"]
    assert resource.refused is None


class _Files:
    """A processor that resolves ``file://`` values itself, as GitHub's does."""

    @staticmethod
    def make() -> Any:
        from port_ocean.core.handlers import JQEntityProcessor

        class Files(JQEntityProcessor):
            async def _search(self, data: dict[str, Any], pattern: str, field: Any = None) -> Any:
                if pattern.startswith("file://"):
                    return f"contents of {pattern[7:]}"
                return await super()._search(data, pattern, field)

        return Files(None)


async def test_an_object_of_mapping_values_is_searched_value_by_value_as_the_original_does() -> (
    None
):
    processor = _Files.make()
    misconfigured: dict[str, str] = {}
    mapping = {
        "identifier": ".id",
        "properties": {"readme": "file://README.md", "missing": ".nothing"},
        "relations": {"owners": [{"name": ".owner"}]},
    }

    found = await processor._search_as_object({"id": "x", "owner": "ada"}, mapping, misconfigured)

    assert found == {
        "identifier": "x",
        "properties": {"readme": "contents of README.md", "missing": None},
        "relations": {"owners": [{"name": "ada"}]},
    }
    assert misconfigured == {"properties.missing": ".nothing"}
