"""``ocean defaults clean`` killed (SIGKILL) part way, then run again: the second run
finishes what the first would have done (real ``ocean`` processes on the embedded catalog)."""

from __future__ import annotations

import asyncio
import signal

from tests.conftest import Workspace
from tests.test_defaults import (
    _add_other_integrations_deployments,
    _blueprints,
    _ocean,
    _synced_once,
)

KILL_AT_FIRST_BLUEPRINT_DELETION = """

import os as _os
import signal as _signal
from ocean.store.sqlite.store import SQLiteStore as _SQLiteStore


async def _killed(self, identifier):  # the process dies as its first blueprint deletion starts
    _os.kill(_os.getpid(), _signal.SIGKILL)


if _os.environ.get("KILL_AT_BLUEPRINT_DELETION"):
    _SQLiteStore.delete_blueprint = _killed
"""


def test_a_clean_with_related_killed_before_deleting_blueprints_is_finished_by_running_it_again(
    workspace: Workspace,
) -> None:
    catalog = _synced_once(workspace)
    asyncio.run(_add_other_integrations_deployments(workspace))  # deployment.team → team
    with (workspace.folder / "main.py").open("a") as main:
        main.write(KILL_AT_FIRST_BLUEPRINT_DELETION)
    clean = ["defaults", "clean", str(workspace.folder), *catalog, "--force", "--with-related"]

    workspace.environ["KILL_AT_BLUEPRINT_DELETION"] = "1"
    killed = _ocean(workspace, *clean)
    del workspace.environ["KILL_AT_BLUEPRINT_DELETION"]
    again = _ocean(workspace, *clean)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert again.returncode == 0, again.stderr
    assert asyncio.run(_blueprints(workspace)) == {}  # deployment too, as a clean run's
    assert not asyncio.run(workspace.entities())
