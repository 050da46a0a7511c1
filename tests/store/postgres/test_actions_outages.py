"""The actions catalog on PostgreSQL fails as the store does when its session is lost under
a call (a restart, a failover, ``pg_terminate_backend``): :class:`CatalogUnavailableError`,
naming the catalog and what to do (the catalog server answers 503, not 500), and the next
call connects again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ocean.actions.open import actions_of
from ocean.errors import CatalogUnavailableError
from ocean.store.postgres.store import PostgresStore
from tests.store.postgres import connected, until_waiting

ACTION = {
    "identifier": "restart",
    "title": "Restart",
    "trigger": {"type": "self-service", "operation": "DAY-2", "userInputs": {"properties": {}}},
    "invocationMethod": {"type": "WEBHOOK", "url": "https://example.com/hook"},
}


CALLS: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "list_actions": lambda actions: actions.list_actions(),
    "trigger": lambda actions: actions.trigger("restart", {}),
    "claim_runs": lambda actions: actions.claim_runs("inst", 5, 30.0, []),
}


@pytest.mark.parametrize("call", list(CALLS))
async def test_an_actions_call_whose_session_is_terminated_fails_as_an_outage(
    postgres_url: str, call: str
) -> None:
    name = postgres_url.rsplit("schema=", 1)[1]
    store = await PostgresStore.open(f"{postgres_url}&application_name={name}")
    actions = actions_of(store)
    await actions.save_action(ACTION, replace=False)
    admin = await connected(postgres_url)
    try:
        async with admin.transaction():  # the call waits on these tables' lock
            await admin.execute("LOCK TABLE actions, action_runs IN ACCESS EXCLUSIVE MODE")
            waiting = asyncio.create_task(CALLS[call](actions))
            await until_waiting(admin)
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = $1",
                name,
            )
            with pytest.raises(CatalogUnavailableError, match="cannot be reached.*retry"):
                await waiting
        assert [a["identifier"] for a in await actions.list_actions()] == ["restart"]
    finally:
        await admin.close()
        await store.close()
