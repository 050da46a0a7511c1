"""Folders laid out as some of the original's integrations are start as they do: a
``main.py`` that only imports the module registering the handlers, and a blueprint with a
property typed ``"enum"``."""

from __future__ import annotations

import json
from pathlib import Path

from ocean.folder import load_folder
from port_ocean.context.ocean import ocean
from tests.port_ocean.folders import plain_folder

HANDLERS = """
from port_ocean.context.ocean import ocean

@ocean.on_resync("project")
async def projects(kind):
    return [{"key": "OPS", "name": "Operations", "owner": "me"}]
"""


def test_main_py_may_only_import_the_module_that_holds_ocean(tmp_path: Path) -> None:
    folder = plain_folder(tmp_path, "from my_integration import ocean  # noqa: F401\n")
    (folder / "my_integration").mkdir()
    (folder / "my_integration" / "__init__.py").write_text("")
    (folder / "my_integration" / "ocean.py").write_text(HANDLERS)

    loaded = load_folder(folder)

    assert loaded.integration is ocean
    assert [handler.__name__ for handler in ocean.handlers_for("project")] == ["projects"]


def test_a_property_typed_enum_is_the_string_property_with_that_enum(tmp_path: Path) -> None:
    folder = plain_folder(tmp_path, HANDLERS)
    status = {"title": "Status", "type": "enum", "enum": ["Up", "Down"]}
    blueprint = {
        "identifier": "project",
        "title": "Project",
        "schema": {"properties": {"status": status, "owner": {"type": "string"}}},
        "relations": {},
    }
    (folder / ".port" / "resources" / "blueprints.json").write_text(json.dumps([blueprint]))

    [loaded] = load_folder(folder).blueprints

    assert loaded["schema"]["properties"]["status"] == {**status, "type": "string"}
    assert loaded["schema"]["properties"]["owner"] == {"type": "string"}
