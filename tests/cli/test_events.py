"""``ocean events dead|retry``: the dead-letter list from the command line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ocean.cli.main import cli
from ocean.live.sqlite_queue import SQLiteEventQueue


async def _bury_two(path: Path) -> None:
    queue = await SQLiteEventQueue.open(path, "my-hooks")
    for key in ("svc-1", "svc-2"):
        event = await queue.put("/webhook", {"id": key}, {}, key)
        event.attempts = 4
        await queue.bury(event, f"upstream refused {key}")
    await queue.close()


async def _waiting(path: Path) -> list[str | None]:
    queue = await SQLiteEventQueue.open(path, "my-hooks")
    events = await queue.take(10, timeout=0)
    await queue.close()
    return [event.key for event in events]


def test_dead_lists_buried_events_and_retry_puts_them_back_in_line(tmp_path: Path) -> None:
    catalog, path = tmp_path / "catalog.db", tmp_path / "catalog.events.db"  # the queue's file
    asyncio.run(_bury_two(path))
    runner = CliRunner()

    listed = runner.invoke(cli, ["events", "dead", "my-hooks", "--catalog", str(catalog), "--json"])
    assert listed.exit_code == 0, listed.output
    dead = [json.loads(line) for line in listed.output.splitlines()]
    assert [(d["key"], d["attempts"], d["error"]) for d in dead] == [
        ("svc-1", 4, "upstream refused svc-1"),
        ("svc-2", 4, "upstream refused svc-2"),
    ]
    table = runner.invoke(cli, ["events", "dead", "my-hooks", "--queue", f"sqlite:///{path}"])
    assert "upstream refused svc-2" in table.output

    retried = runner.invoke(
        cli, ["events", "retry", "my-hooks", dead[1]["id"], "--catalog", str(catalog)]
    )
    assert retried.output.strip() == "1 event(s) queued again for my-hooks"
    assert asyncio.run(_waiting(path)) == ["svc-2"]
    assert (
        runner.invoke(cli, ["events", "retry", "my-hooks", "--catalog", str(catalog)]).exit_code
        == 0
    )
    assert asyncio.run(_waiting(path)) == ["svc-2", "svc-1"]
    waiting = runner.invoke(cli, ["events", "pending", "my-hooks", "--catalog", str(catalog)])
    assert waiting.output.strip() == "2 event(s) pending for my-hooks"


def test_an_unknown_queue_scheme_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["events", "dead", "x", "--queue", "kafka://nope"])
    assert result.exit_code == 2
    assert "OCEAN__LIVE_EVENTS__QUEUE_URL" in result.output


@pytest.mark.parametrize("given", ["42", "001"], ids=["unknown", "not-as-dead-prints-it"])
def test_retry_names_the_ids_no_dead_event_has_and_queues_none(tmp_path: Path, given: str) -> None:
    catalog, path = tmp_path / "catalog.db", tmp_path / "catalog.events.db"
    asyncio.run(_bury_two(path))

    retried = CliRunner().invoke(
        cli, ["events", "retry", "my-hooks", "2", given, "--catalog", str(catalog)]
    )

    assert retried.exit_code == 2
    assert f"no dead-lettered event of my-hooks has the id(s) {given}, so none" in retried.output
    assert asyncio.run(_waiting(path)) == []


@pytest.mark.parametrize("command", ["dead", "pending", "retry"])
def test_a_queue_file_that_is_not_there_is_refused_not_made(tmp_path: Path, command: str) -> None:
    catalog = tmp_path / "catalog.db"

    result = CliRunner().invoke(cli, ["events", command, "my-hooks", "--catalog", str(catalog)])

    assert result.exit_code == 2
    assert f"there is no live-event queue at {tmp_path / 'catalog.events.db'}" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_catalog_a_dot_env_file_names_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As ``ocean sail`` reads the working directory's ``.env``, so do the other commands."""
    asyncio.run(_bury_two(tmp_path / "kept" / "catalog.events.db"))
    (tmp_path / ".env").write_text(f"OCEAN__CATALOG__URL=sqlite:///{tmp_path}/kept/catalog.db\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OCEAN__CATALOG__URL", raising=False)

    waiting = CliRunner().invoke(cli, ["events", "dead", "my-hooks", "--json"])
    missing = CliRunner().invoke(cli, ["catalog", "entities"])

    assert waiting.exit_code == 0, waiting.output
    assert len(waiting.output.splitlines()) == 2
    assert f"there is no catalog at {tmp_path}/kept/catalog.db" in missing.output
