"""A blueprint whose new definition breaks Port's rules is refused as invalid, not offered
as an unsafe change to force (which ``--force`` would then refuse)."""

from __future__ import annotations

import json

import pytest

from ocean.defaults import _refuse_invalid
from ocean.errors import StoreError
from ocean.store.validation import checked_update
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


_STORED_BEFORE = {  # (a calculation that does not compile: stored before such were refused)
    "identifier": "service",
    "title": "Service",
    "schema": {"properties": {}},
    "relations": {},
    "calculationProperties": {"broken": {"calculation": ".x |", "type": "string"}},
}


def test_a_change_is_refused_only_for_what_it_breaks_not_for_what_was_stored_before() -> None:
    """A blueprint stored under older rules keeps taking changes that leave its old
    definitions as they are: a title through the API, a property added at a sail's start."""
    updated = checked_update(_STORED_BEFORE, {"title": "Services"}, {"service"})
    wanted = {**_STORED_BEFORE, "schema": {"properties": {"url": {"type": "string"}}}}
    _refuse_invalid([wanted], {"service": _STORED_BEFORE})

    assert updated["title"] == "Services"
    with pytest.raises(StoreError, match="not valid JQ"):
        checked_update(
            _STORED_BEFORE,
            {"calculationProperties": {"x": {"calculation": ".y |", "type": "string"}}},
            {"service"},
        )
