"""The original's helper modules that integrations import: queues, relative times,
incremental strategies, included files, run models, and the bases integrations subclass
(live-event managers, config-change processors, action executors)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any, Literal
from unittest import mock

import pytest
from pydantic.v1 import Field

from port_ocean.core.handlers.port_app_config.models import (
    PortAppConfig,
    ResourceConfig,
    Selector,
)
from port_ocean.core.handlers.port_app_config.validators import validate_and_get_config_schema


async def test_a_group_queue_hands_one_group_s_items_in_order_and_one_at_a_time() -> None:
    from port_ocean.core.handlers.queue import GroupQueue

    queue: GroupQueue[SimpleNamespace] = GroupQueue("group_id")
    first, second, other = (
        SimpleNamespace(group_id=g, n=n) for g, n in [("a", 1), ("a", 2), ("b", 3)]
    )
    for item in (first, second, other):
        await queue.put(item)

    got = await queue.get()
    next_one = await asyncio.wait_for(queue.get(), 1)  # "a" is busy: "b" comes next

    assert (got, next_one) == (first, other)
    await queue.commit()  # this task's last item: "b"
    assert await queue.size() == 2


async def test_a_local_queue_is_drained_by_commits() -> None:
    from port_ocean.core.handlers.queue import LocalQueue

    queue: LocalQueue[int] = LocalQueue()
    await queue.put(1)
    assert await queue.get() == 1
    await queue.commit()
    await asyncio.wait_for(queue.teardown(), 1)


def test_relative_times_are_utc_and_months_keep_the_day_or_the_month_s_last() -> None:
    from port_ocean.utils.relative_time import days_ago, months_ago, to_rfc3339

    assert abs((dt.datetime.now(dt.UTC) - days_ago(2)) - dt.timedelta(days=2)) < dt.timedelta(
        seconds=5
    )
    assert months_ago(0).tzinfo is not None
    assert to_rfc3339(dt.datetime(2024, 3, 31, 12, 0, 1, 5)) == "2024-03-31T12:00:01Z"
    with mock.patch("port_ocean.utils.relative_time.dt") as clock:
        clock.datetime.now.return_value = dt.datetime(2024, 3, 31, tzinfo=dt.UTC)
        clock.UTC = dt.UTC
        assert months_ago(1) == dt.datetime(2024, 2, 29, tzinfo=dt.UTC)
        assert months_ago(14) == dt.datetime(2023, 1, 31, tzinfo=dt.UTC)


async def test_incremental_strategies_ask_for_everything_without_a_cursor() -> None:
    from port_ocean.core.incremental import (
        ClientSideCutoffStrategy,
        ServerSideTimestampStrategy,
        active_incremental_cursor,
        paginate_with_strategy,
        with_active_incremental_cursor,
    )

    server = ServerSideTimestampStrategy("since", value_prefix=">=")
    client = ClientSideCutoffStrategy(stop_field="updated", query_params={"sort": "desc"})
    cursor = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    assert active_incremental_cursor() is None
    assert server.merge_params({"a": 1}, None) == {"a": 1}
    assert server.build_params(cursor) == {"since": ">=2024-01-02T00:00:00+00:00"}

    async def pages() -> AsyncIterator[list[dict[str, Any]]]:
        yield [{"updated": "2024-01-03T00:00:00Z"}, {"updated": "2024-01-01T00:00:00Z"}]
        yield [{"updated": "2023-12-01T00:00:00Z"}]

    with with_active_incremental_cursor(cursor):
        active = active_incremental_cursor()
        got = [
            page async for page in paginate_with_strategy(pages(), cursor=active, strategy=client)
        ]
    assert got == [[{"updated": "2024-01-03T00:00:00Z"}]]
    assert active_incremental_cursor() is None


def test_included_files_select_branches_and_resolve_paths() -> None:
    from port_ocean.core.utils.included_files import (
        repo_branch_matches,
        resolve_included_file_path,
    )

    repos = [
        SimpleNamespace(name="api", branch="release"),
        SimpleNamespace(name="web", branch=None),
    ]
    assert repo_branch_matches(repos=None, repo_name="x", branch="main", default_branch="main")
    assert repo_branch_matches(
        repos=repos, repo_name="api", branch="release", default_branch="main"
    )
    assert not repo_branch_matches(
        repos=repos, repo_name="api", branch="main", default_branch="main"
    )
    assert repo_branch_matches(repos=repos, repo_name="web", branch="main", default_branch="main")
    assert resolve_included_file_path("/README.md", "svc") == "svc/README.md"
    assert resolve_included_file_path("svc/a.yml", "/svc/") == "svc/a.yml"
    assert resolve_included_file_path("a.yml", ".") == "a.yml"


def test_run_models_read_action_and_workflow_runs() -> None:
    from pydantic.v1 import ValidationError

    from port_ocean.core.models import ActionRun, RunKind, WorkflowNodeRun

    payload = {
        "type": "INTEGRATION_ACTION",
        "installationId": "i",
        "integrationActionType": "dispatch",
    }
    run = ActionRun.parse_obj(
        {
            "id": "r1",
            "status": "IN_PROGRESS",
            "payload": {**payload, "integrationActionExecutionProperties": {"ref": "main"}},
            "action": {"identifier": "deploy"},
        }
    )
    assert (run.run_kind, run.action_type, run.is_in_progress) == (RunKind.ACTION, "dispatch", True)
    assert run.execution_properties == {"ref": "main"}
    with pytest.raises(ValidationError, match="either config or node.config"):
        WorkflowNodeRun.parse_obj({"identifier": "n", "status": "COMPLETED"})


async def test_bases_integrations_subclass_keep_what_they_are_given() -> None:
    from port_ocean.context.ocean import ocean
    from port_ocean.core.handlers.webhook.config_change_processor import (
        BaseConfigChangeWebhookProcessor,
    )
    from port_ocean.core.handlers.webhook.processor_manager import LiveEventsProcessorManager
    from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent

    class Manager(LiveEventsProcessorManager):
        routes: list[str] = []

        def _register_route(self, path: str) -> None:
            self.routes.append(path)

    class ConfigChanged(BaseConfigChangeWebhookProcessor):
        async def should_process_event(self, event: Any) -> bool:
            return True

        async def get_matching_kinds(self, event: Any) -> list[str]:
            return []

        async def authenticate(self, payload: Any, headers: Any) -> bool:
            return True

        async def validate_payload(self, payload: Any) -> bool:
            return True

        async def handle_event(self, payload: Any, resource_config: Any) -> Any:
            await self.trigger_resync()

    stops = mock.MagicMock()
    manager = Manager(mock.MagicMock(), stops, 60, 30)
    manager.register_processor("/hook", ConfigChanged)
    stops.register.assert_called_once_with(manager.shutdown)
    assert manager.routes == ["/hook"] and ConfigChanged.get_processor_type().value == "action"
    with pytest.raises(ValueError, match="must extend AbstractWebhookProcessor"):
        manager.register_processor("/hook", dict)  # type: ignore[arg-type]
    with mock.patch.object(type(ocean), "sync_raw_all") as resync:
        event = WebhookEvent(trace_id="t", payload={}, headers={})
        await ConfigChanged(event).handle_event({}, None)
    resync.assert_awaited_once()
    assert isinstance(event.created_at, dt.datetime)


async def test_action_executors_are_ocean_s_and_incremental_handlers_are_ocean_s() -> None:
    from port_ocean.context.ocean import ocean
    from port_ocean.core.handlers.actions.abstract_executor import AbstractExecutor

    class Executor(AbstractExecutor):
        ACTION_NAME = "dispatch"

        async def is_close_to_rate_limit(self, run: Any) -> bool:
            return False

        async def get_remaining_seconds_until_rate_limit(self, run: Any) -> float:
            return 0.0

        async def execute(self, run: Any) -> None:
            return None

    executor = Executor()
    ocean.register_action_executor(executor)
    assert executor in ocean.action_executors

    @ocean.on_incremental_resync("issue")
    async def issues(kind: str) -> list[dict[str, Any]]:
        return []

    assert issues in ocean.incremental_handlers_for("issue")  # Ocean's own incremental runs


class IssueSelector(Selector):
    jql: str = Field("", title="JQL", description="Which issues")


class Issues(ResourceConfig):
    kind: Literal["issue"] = Field(title="Issue", description="Issues")
    selector: IssueSelector


class MoreIssues(ResourceConfig):
    kind: Literal["issue"] = Field(title="Issue", description="Issues again")


class Anything(ResourceConfig):
    kind: str = Field(title="Other", description="Any other kind")


class Untitled(ResourceConfig):
    kind: Literal["x"]


class CustomMapping(PortAppConfig):
    allow_custom_kinds = True
    resources: list[Issues | Anything] = Field(default_factory=list)


class UntitledMapping(PortAppConfig):
    resources: list[Untitled] = Field(default_factory=list)


class TwiceMapping(PortAppConfig):
    resources: list[Issues | MoreIssues] = Field(default_factory=list)


def test_the_config_schema_lists_kinds_and_rejects_what_the_original_rejects() -> None:
    schema = validate_and_get_config_schema(CustomMapping)

    assert set(schema["kinds"]) == {"issue", "__custom__"}
    assert schema["kinds"]["issue"]["title"] == "Issue"
    assert "jql" in schema["kinds"]["issue"]["selectors"]["properties"]
    assert "deleteDependentEntities" in schema["advancedConfig"]
    with pytest.raises(TypeError, match="Field 'kind' in 'Untitled' must have a 'title'"):
        validate_and_get_config_schema(UntitledMapping)
    with pytest.raises(TypeError, match="Duplicate kind 'issue'"):
        validate_and_get_config_schema(TwiceMapping)


async def test_cached_results_are_kept_in_the_app_s_cache_provider() -> None:
    from port_ocean.cache.memory import InMemoryCacheProvider
    from port_ocean.utils.cache import cache_coroutine_result, hash_func

    calls: list[str] = []

    @cache_coroutine_result()
    async def owner_of(key: str) -> str:
        calls.append(key)
        return f"owner-of-{key}"

    provider = InMemoryCacheProvider()
    with mock.patch("port_ocean.utils.cache.ocean") as ocean:
        ocean.app.cache_provider = provider
        assert await owner_of("OPS") == await owner_of("OPS") == "owner-of-OPS"
        assert await provider.get(hash_func(owner_of, "OPS")) == "owner-of-OPS"
        ocean.app.cache_provider = mock.AsyncMock(**{"get.return_value": None})
        await owner_of("OPS")  # a test's provider that keeps nothing: called again

    assert calls == ["OPS", "OPS"]


async def test_a_cached_iterator_yields_its_batches_as_they_come_and_keeps_only_a_whole_run() -> (
    None
):
    from port_ocean.cache.memory import InMemoryCacheProvider
    from port_ocean.utils.cache import cache_iterator_result, hash_func

    @cache_iterator_result()
    async def pages(fail: bool) -> AsyncIterator[list[int]]:
        yield [1]
        if fail:
            raise RuntimeError("page 2 went away")
        yield [2]

    provider = InMemoryCacheProvider()
    seen: list[list[int]] = []
    with mock.patch("port_ocean.utils.cache.ocean") as ocean:
        ocean.app.cache_provider = provider
        with pytest.raises(RuntimeError, match="page 2"):
            async for batch in pages(True):
                seen.append(batch)
        whole = [batch async for batch in pages(False)]

        assert seen == [[1]]  # the caller had page 1 before page 2 failed
        assert await provider.get(hash_func(pages, True)) is None
        assert whole == await provider.get(hash_func(pages, False)) == [[1], [2]]


async def test_concurrent_callers_of_a_cached_iterator_share_one_call() -> None:
    from port_ocean.cache.memory import InMemoryCacheProvider
    from port_ocean.utils.cache import cache_iterator_result

    calls: list[str] = []

    @cache_iterator_result()
    async def users(org: str) -> AsyncIterator[list[str]]:
        calls.append(org)
        for page in ("a", "b"):
            await asyncio.sleep(0.01)
            yield [f"{org}-{page}"]

    async def read(org: str) -> list[list[str]]:
        return [batch async for batch in users(org)]

    with mock.patch("port_ocean.utils.cache.ocean") as ocean:
        ocean.app.cache_provider = InMemoryCacheProvider()
        together = await asyncio.gather(*(read("acme") for _ in range(4)))

    assert together == [[["acme-a"], ["acme-b"]]] * 4
    assert calls == ["acme"]  # the others waited for the first caller's pages


async def test_a_cached_iterator_asked_again_while_it_runs_does_not_wait_for_itself() -> None:
    from port_ocean.cache.memory import InMemoryCacheProvider
    from port_ocean.utils.cache import cache_iterator_result

    @cache_iterator_result()
    async def pages() -> AsyncIterator[list[int]]:
        yield [1]
        yield [2]

    async def nested() -> list[tuple[int, int]]:
        return [(a, b) async for outer in pages() for a in outer async for b in _flat(pages())]

    with mock.patch("port_ocean.utils.cache.ocean") as ocean:
        ocean.app.cache_provider = InMemoryCacheProvider()
        pairs = await asyncio.wait_for(nested(), 2)

    assert pairs == [(1, 1), (1, 2), (2, 1), (2, 2)]


async def _flat(batches: AsyncIterator[list[int]]) -> AsyncIterator[int]:
    async for batch in batches:
        for item in batch:
            yield item


def test_jq_is_evaluated_synchronously_for_values_outside_a_resync() -> None:
    from port_ocean.core.handlers.entity_processor.jq_entity_processor_sync import (
        JQEntityProcessorSync,
    )
    from port_ocean.exceptions.core import EntityProcessorException

    assert JQEntityProcessorSync._search({"a": {"b": 1}}, ".a.b") == 1
    assert JQEntityProcessorSync._search({"a": 1}, ".a | bad(") is None
    assert JQEntityProcessorSync._search_as_bool({"x": "y"}, ".x == 'y'") is True
    with pytest.raises(EntityProcessorException, match="Expected boolean value for pattern '.x'"):
        JQEntityProcessorSync._search_as_bool({"x": "y"}, ".x")


def test_a_test_may_push_its_own_event_on_the_event_stack() -> None:
    from port_ocean.context.event import _event_context_stack, event

    mock_event = mock.MagicMock(attributes={"k": 1})
    _event_context_stack.push(mock_event)
    try:
        assert _event_context_stack.top is mock_event and event.attributes == {"k": 1}
    finally:
        assert _event_context_stack.pop() is mock_event
    assert _event_context_stack.top is None
