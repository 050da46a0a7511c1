"""The fake integration end to end, with port_ocean.integration_testing: a full resync of
this folder through Ocean's engine into a temporary catalog, asserting on the entities
written (how README.md's "Testing an integration" tests an integration)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from port_ocean.integration_testing import (
    BaseIntegrationTest,
    IntegrationTestHarness,
    InterceptTransport,
    ResyncResult,
)

FOLDER = Path(__file__).resolve().parent.parent
PERSONS = 20


def folder_mapping() -> dict[str, Any]:
    """The mapping the integration ships with."""
    text = (FOLDER / ".port" / "resources" / "port-app-config.yml").read_text()
    mapping: dict[str, Any] = yaml.safe_load(text)
    return mapping


def by_blueprint(result: ResyncResult) -> dict[str, dict[str, dict[str, Any]]]:
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for entity in result.upserted_entities:
        found.setdefault(entity["blueprint"], {})[entity["identifier"]] = entity
    return found


class TestFakeResync(BaseIntegrationTest):
    def create_third_party_transport(self) -> InterceptTransport:
        return InterceptTransport(strict=True)  # the fake API is in-process: no HTTP at all

    def create_mapping_config(self) -> dict[str, Any]:
        return folder_mapping()

    def create_integration_config(self) -> dict[str, Any]:
        config = {"entity_amount": PERSONS, "third_party_batch_size": 7}
        return {"integration": {"identifier": "fake-test", "type": "fake", "config": config}}

    def get_port_search_entities_response(self) -> list[dict[str, Any]]:
        """A person written by an earlier sync that the fake API no longer has."""
        gone = {"identifier": "person-99", "blueprint": "fakePerson", "title": "Gone"}
        return [gone | {"properties": {"age": 70}, "relations": {"team": "team-0"}}]

    async def test_every_kind_is_written(self, resync: ResyncResult) -> None:
        assert resync.errors == [] and resync.reconciliation_success
        written = by_blueprint(resync)
        counts = {blueprint: len(entities) for blueprint, entities in written.items()}
        assert counts == {
            "fakeOffice": 5,
            "fakeDepartment": 8,
            "fakeTeam": PERSONS // 10,
            "fakePerson": PERSONS,
            "fakeProject": 1,
        }

    async def test_a_person_as_mapped(self, resync: ResyncResult) -> None:
        person = by_blueprint(resync)["fakePerson"]["person-3"]
        assert person["title"] == "Barbara Lovelace"
        assert person["properties"]["email"] == "barbara.lovelace.3@example.com"
        assert person["properties"]["age"] == 23
        assert person["properties"]["status"] == "WORKING"
        assert person["relations"] == {"team": "team-1", "office": "office-3"}

    async def test_relations_point_at_written_entities(self, resync: ResyncResult) -> None:
        written = by_blueprint(resync)
        for department in written["fakeDepartment"].values():
            assert department["relations"]["office"] in written["fakeOffice"]
        for project in written["fakeProject"].values():
            assert set(project["relations"]["teams"]) <= set(written["fakeTeam"])

    async def test_a_person_gone_from_the_api_is_deleted(self, resync: ResyncResult) -> None:
        assert resync.deleted_entities == [{"identifier": "person-99", "blueprint": "fakePerson"}]


async def test_a_selector_filters_what_is_written() -> None:
    mapping = folder_mapping()
    for resource in mapping["resources"]:
        if resource["kind"] == "person":
            resource["selector"]["query"] = '.status == "SICK"'
    harness = IntegrationTestHarness(
        integration_path=str(FOLDER),
        port_mapping_config=mapping,
        third_party_transport=InterceptTransport(strict=True),
        config_overrides={"integration": {"config": {"entity_amount": PERSONS}}},
    )
    try:
        await harness.start()
        result = await harness.trigger_resync()
    finally:
        await harness.shutdown()
    persons = by_blueprint(result)["fakePerson"].values()
    assert {person["properties"]["status"] for person in persons} == {"SICK"}
    assert len(persons) == PERSONS // 3  # statuses cycle WORKING, VACATION, SICK
