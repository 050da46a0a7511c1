"""The sample code host tested as the original's integrations test themselves: a full resync
against recorded answers, through ``port_ocean.integration_testing``."""

from __future__ import annotations

import re
from typing import Any

import httpx

from port_ocean.integration_testing import (
    BaseIntegrationTest,
    IntegrationTestHarness,
    InterceptTransport,
    ResyncResult,
)

API = "https://code.example.com/api"
TEAMS = [
    {"slug": "platform", "name": "Platform", "members": ["ada", "linus"]},
    {"slug": "web", "name": "Web", "members": ["grace"]},
]
REPOS = [
    {
        "name": "ocean",
        "html_url": f"{API}/ocean",
        "language": "Python",
        "stargazers": 42,
        "archived": False,
        "team": "platform",
    },
    {
        "name": "legacy",
        "html_url": f"{API}/legacy",
        "language": "Perl",
        "stargazers": 1,
        "archived": True,
        "team": "web",
    },
    {
        "name": "site",
        "html_url": f"{API}/site",
        "language": None,
        "stargazers": 7,
        "archived": False,
        "team": "web",
    },
]


def transport() -> InterceptTransport:
    """Teams on one numbered page (the second is empty); repositories on two cursor pages.
    A URL with ``?`` is escaped: a string holding a pattern character is a pattern."""
    recorded = InterceptTransport(strict=True)
    recorded.add_route("GET", re.escape(f"{API}/teams?page=1"), {"json": {"teams": TEAMS}})
    recorded.add_route("GET", re.escape(f"{API}/teams?page=2"), {"json": {"teams": []}})
    second = {"json": {"items": REPOS[2:], "next": None}}
    recorded.add_route("GET", re.escape(f"{API}/repos?cursor=2"), second)
    first = {"json": {"items": REPOS[:2], "next": f"{API}/repos?cursor=2"}}
    recorded.add_route("GET", f"{API}/repos", first)
    return recorded


def config() -> dict[str, Any]:
    return {
        "integration": {
            "identifier": "sample",
            "type": "sample-code-host",
            "config": {"api_url": API, "api_token": "t0ken"},
        }
    }


def mapping(include_archived: bool = False) -> dict[str, Any]:
    return {
        "deleteDependentEntities": True,
        "createMissingRelatedEntities": True,
        "entityDeletionThreshold": 1,
        "resources": [
            {
                "kind": "team",
                "selector": {"query": "true"},
                "port": {
                    "entity": {
                        "mappings": {
                            "identifier": ".slug",
                            "title": ".name",
                            "blueprint": '"sampleTeam"',
                            "properties": {"members": ".members | length"},
                        }
                    }
                },
            },
            {
                "kind": "repository",
                "selector": {"query": "true", "includeArchived": include_archived},
                "port": {
                    "entity": {
                        "mappings": {
                            "identifier": ".name",
                            "title": ".name",
                            "blueprint": '"sampleRepository"',
                            "properties": {
                                "url": ".html_url",
                                "language": ".language",
                                "stars": ".stargazers",
                            },
                            "relations": {"team": ".team"},
                        }
                    }
                },
            },
        ],
    }


def by_blueprint(result: ResyncResult, blueprint: str) -> dict[str, dict[str, Any]]:
    return {e["identifier"]: e for e in result.upserted_entities if e["blueprint"] == blueprint}


class TestSampleResync(BaseIntegrationTest):
    def create_third_party_transport(self) -> InterceptTransport:
        return transport()

    def create_mapping_config(self) -> dict[str, Any]:
        return mapping()

    def create_integration_config(self) -> dict[str, Any]:
        return config()

    def get_port_search_entities_response(self) -> list[dict[str, Any]]:
        gone = {"identifier": "retired", "blueprint": "sampleRepository", "title": "retired"}
        return [gone | {"properties": {"stars": 0}, "relations": {"team": "web"}}]

    async def test_entities(self, resync: ResyncResult) -> None:
        assert resync.errors == [] and resync.reconciliation_success is True
        teams = by_blueprint(resync, "sampleTeam")
        assert teams["platform"]["title"] == "Platform"
        assert teams["platform"]["properties"] == {"members": 2}
        repos = by_blueprint(resync, "sampleRepository")
        assert sorted(repos) == ["ocean", "site"]  # the selector's includeArchived: false
        assert repos["ocean"]["properties"] == {
            "url": f"{API}/ocean",
            "language": "Python",
            "stars": 42,
        }
        assert repos["site"]["relations"] == {"team": "web"}

    async def test_stale_entities_are_deleted(self, resync: ResyncResult) -> None:
        assert resync.deleted_entities == [
            {"identifier": "retired", "blueprint": "sampleRepository"}
        ]

    async def test_every_call_was_recorded(self, harness: IntegrationTestHarness) -> None:
        await harness.trigger_resync()
        calls = harness.third_party_transport.calls
        assert [str(call.request.url) for call in calls] == [
            f"{API}/teams?page=1",
            f"{API}/teams?page=2",
            f"{API}/repos",
            f"{API}/repos?cursor=2",
        ]
        assert {call.request.headers["authorization"] for call in calls} == {"Bearer t0ken"}

    async def test_on_start_does_not_run(self, resync: ResyncResult) -> None:
        import sample_api

        assert sample_api.STARTS == []


async def test_archived_repositories_with_the_selector_asking_for_them() -> None:
    harness = IntegrationTestHarness(
        integration_path=TestSampleResync().integration_path,
        port_mapping_config=mapping(include_archived=True),
        third_party_transport=transport(),
        config_overrides=config(),
    )
    try:
        await harness.start()
        result = await harness.trigger_resync()
    finally:
        await harness.shutdown()
    assert sorted(by_blueprint(result, "sampleRepository")) == ["legacy", "ocean", "site"]


async def test_a_failing_api_fails_its_kind_only() -> None:
    failing = InterceptTransport(strict=True)
    failing.add_route("GET", f"{API}/teams", {"json": {"teams": []}})
    failing.add_route("GET", f"{API}/repos", {"status_code": 403, "json": {"error": "no"}})
    harness = IntegrationTestHarness(
        integration_path=TestSampleResync().integration_path,
        port_mapping_config=mapping(),
        third_party_transport=failing,
        config_overrides=config(),
    )
    try:
        await harness.start()
        result = await harness.trigger_resync()
    finally:
        await harness.shutdown()
    assert result.reconciliation_success is False
    assert [type(error) for error in result.errors] == [httpx.HTTPStatusError]
    assert "403" in str(result.errors[0])
