"""main.py may read its configuration while it is being imported, as in the original
(whose ``ocean`` exists, configured, before ``main.py`` runs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ocean import Integration
from ocean.errors import ConfigError
from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.sail import prepare
from ocean.store.sqlite.store import SQLiteStore

NATIVE = """
from ocean import Integration

ocean = Integration()
TOKEN = ocean.integration_config["api_token"]
LISTENER = ocean.settings.event_listener.type

@ocean.on_resync("token")
async def tokens(kind):
    return [{"id": f"{TOKEN}-{LISTENER}"}]
"""
ORIGINAL_STYLE = """
from port_ocean.context.ocean import ocean

TOKEN = ocean.integration_config["api_token"]
LISTENER = ocean.event_listener_type
assert ocean.initialized

@ocean.on_resync("token")
async def tokens(kind):
    yield [{"id": f"{TOKEN}-{LISTENER}"}]
"""
BLUEPRINT = {"identifier": "token", "title": "Token", "schema": {"properties": {}}}
SPEC = {"configurations": [{"name": "apiToken", "type": "string", "required": True}]}
MAPPING = {
    "resources": [
        {
            "kind": "token",
            "selector": {"query": "true"},
            "port": {"entity": {"mappings": {"identifier": ".id", "blueprint": '"token"'}}},
        }
    ]
}


def _folder(root: Path, main: str) -> Path:
    (root / ".port" / "resources").mkdir(parents=True)
    (root / "main.py").write_text(main)
    (root / ".port" / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    (root / ".port" / "resources" / "port-app-config.yml").write_text(yaml.safe_dump(MAPPING))
    (root / ".port" / "resources" / "blueprints.json").write_text(json.dumps([BLUEPRINT]))
    return root


@pytest.mark.parametrize("main", [NATIVE, ORIGINAL_STYLE], ids=["native", "original-style"])
async def test_main_py_reads_its_own_folder_s_configuration_at_import(
    tmp_path: Path, main: str
) -> None:
    identifiers = []
    for token in ("first", "second"):  # two folders in one process: each reads its own
        environ = {"OCEAN__INTEGRATION__CONFIG__API_TOKEN": token}
        sail = prepare(_folder(tmp_path / token, main), environ=environ, overrides={})
        store = await SQLiteStore.open(tmp_path / f"{token}.db")
        try:
            report = await run_once(sail, store, SilentObserver())
            identifiers += [e["identifier"] async for e in store.iter_entities()]
        finally:
            await store.close()
        assert report.status == "completed", report.errors

    assert identifiers == ["first-POLLING", "second-POLLING"]


def test_configuration_read_outside_a_run_says_where_to_read_it() -> None:
    with pytest.raises(ConfigError, match="read it inside a handler or hook"):
        _ = Integration().integration_config
