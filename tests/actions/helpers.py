"""Shared pieces of the action tests: an action definition and executors to run."""

from __future__ import annotations

import asyncio
from typing import Any

from ocean.actions import ActionFailedError, Executor, Run

INSTALLATION = "fake-actions"


def action(identifier: str = "rename_team", action_type: str = "rename_team") -> dict[str, Any]:
    return {
        "identifier": identifier,
        "title": "Rename a team",
        "trigger": {"type": "self-service", "operation": "DAY-2", "blueprintIdentifier": "team"},
        "invocationMethod": {
            "type": "INTEGRATION_ACTION",
            "installationId": INSTALLATION,
            "integrationActionType": action_type,
            "integrationActionExecutionProperties": {
                "team": "{{ .entity.identifier }}",
                "name": "{{ .inputs.name }}",
                "order": "{{ .inputs.order }}",
            },
        },
    }


class Recorder(Executor):
    """Records what it ran, in order; runs with a key ``team`` one after another."""

    ACTION_NAME = "rename_team"

    def __init__(self, seconds: float = 0.0, partition: bool = True) -> None:
        self.seconds, self.partition = seconds, partition
        self.started: list[str] = []
        self.orders: list[Any] = []
        self.running = 0
        self.most = 0

    async def partition_key(self, run: Run) -> str | None:
        return str(run.properties.get("team")) if self.partition else None

    async def perform(self, run: Run) -> None:
        self.started.append(run.id)
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await run.log(f"renaming {run.properties.get('team')} to {run.properties.get('name')}")
            await asyncio.sleep(self.seconds)
            self.orders.append(run.properties.get("order"))
            if run.properties.get("name") == "boom":
                raise RuntimeError("the team API refused the name")
            if run.properties.get("name") == "invalid":
                raise ActionFailedError("a team name must not be 'invalid'")
        finally:
            self.running -= 1


async def wait_for(check: Any, seconds: float = 10.0) -> None:
    """Poll ``check`` (an async callable) until it is true."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)
