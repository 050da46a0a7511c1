"""A blueprint whose new definition breaks Port's rules is refused as invalid, not offered
as an unsafe change to force (which ``--force`` would then refuse)."""

from __future__ import annotations

import json

import pytest

from ocean.errors import StoreError
from tests.conftest import TEAMS, Workspace, services


async def test_an_invalid_property_type_on_a_blueprint_with_entities_is_said_invalid(
    workspace: Workspace,
) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS)
    await workspace.sail()
    path = workspace.folder / ".port/resources/blueprints.json"
    blueprints = json.loads(path.read_text())
    service = next(bp for bp in blueprints if bp["identifier"] == "service")
    service["schema"]["properties"]["stars"] = {"type": "int"}
    path.write_text(json.dumps(blueprints))

    with pytest.raises(StoreError) as raised:
        await workspace.sail()

    assert str(raised.value) == (
        "blueprints rejected:\n  - blueprint 'service': property 'stars' needs a type among "
        "['array', 'boolean', 'number', 'object', 'string'], got 'int'"
    )
