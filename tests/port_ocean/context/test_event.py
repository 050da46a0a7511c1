"""``port_ocean.context.event``'s ``abort()``, ``on_abort(...)`` and ``parent``, as the
original's: aborting calls the callbacks and, during a resync, stops it (it ends aborted and
deletes nothing); Ocean stopping a resync calls them too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from ocean.errors import ResyncAbortedError
from port_ocean.context.event import (
    EventContext,
    EventType,
    enclosing_event,
    event,
    event_context,
)
from tests.port_ocean.folders import MAPPING, plain_folder, sail_once


async def test_abort_calls_every_callback_in_order_then_marks_the_event_aborted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []

    def fails() -> None:
        calls.append("fails")
        raise RuntimeError("the client was closed already")

    async def closes() -> None:
        calls.append("async")

    async with event_context("resync") as current:
        event.on_abort(lambda: calls.append("first"))
        event.on_abort(fails)
        event.on_abort(closes)
        event.on_abort(lambda: calls.append(f"last, aborted={current.aborted}"))
        assert not event.aborted

        event.abort(external_abort=True)
        await asyncio.sleep(0)  # the coroutine's task runs

    assert calls == ["first", "fails", "last, aborted=False", "async"]
    assert current.aborted and current.external_abort
    assert "the client was closed already" in caplog.text


async def test_a_nested_event_knows_its_parent_and_aborts_alone() -> None:
    calls: list[str] = []

    async with event_context("http_request") as request:
        request.on_abort(lambda: calls.append("request"))
        async with event_context("worker") as worker:
            worker.on_abort(lambda: calls.append("worker"))
            event.abort()
        async with event_context("other", parent_override=worker) as other:
            pass

    assert (request.parent, worker.parent, worker.parent_id) == (None, request, request.id)
    assert other.parent is worker
    assert (calls, worker.aborted, request.aborted) == (["worker"], True, False)


def test_a_coroutine_callback_is_not_run_when_aborted_outside_of_an_event_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran: list[str] = []

    async def closes() -> None:
        ran.append("closes")

    context = EventContext(event_type="resync")
    context.on_abort(closes)

    with caplog.at_level(logging.WARNING):
        context.abort()

    assert (ran, context.aborted) == ([], True)
    assert "outside of an event loop" in caplog.text


ABORTING_MAIN = """
import asyncio, os
from port_ocean.context.event import event
from port_ocean.context.ocean import ocean

def record(text):
    with open(os.environ["CALLS_FILE"], "a") as handle:
        handle.write(text + "\\n")

@ocean.on_resync_start()
async def starting():
    if os.environ.get("MODE") == "hook":
        event.abort()

@ocean.on_resync("project")
async def projects(kind):
    event.on_abort(lambda: record("on_abort"))
    if os.environ.get("MODE") == "abort":
        yield [{"key": "A", "name": "A"}]
        event.abort()
        record(f"aborted={event.aborted} parent={event.parent}")
        await asyncio.sleep(5)
        record("not stopped")
    elif os.environ.get("MODE") == "wait":
        record("waiting")
        await asyncio.sleep(3600)
    else:
        yield [{"key": "A", "name": "A"}, {"key": "B", "name": "B"}]

@ocean.on_resync("member")
async def members(kind):
    yield [{"login": "ann", "project": "A"}]
"""


async def test_a_handler_aborting_its_resync_stops_it_aborted_deleting_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls.txt"
    monkeypatch.setenv("CALLS_FILE", str(calls))
    folder = plain_folder(tmp_path, ABORTING_MAIN, MAPPING["resources"])
    first, _ = await sail_once(folder, tmp_path / "c.db", {})
    monkeypatch.setenv("MODE", "abort")

    report, entities = await sail_once(folder, tmp_path / "c.db", {})

    assert first.status == "completed"
    assert report.status == "aborted"
    assert "the integration aborted the resync" in " ".join(report.errors)
    assert {"A", "B"} <= set(entities)  # B, stale now, was not deleted
    assert calls.read_text().splitlines()[-2:] == ["on_abort", "aborted=True parent=None"]


async def test_ocean_stopping_a_resync_calls_its_on_abort_callbacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls.txt"
    monkeypatch.setenv("CALLS_FILE", str(calls))
    monkeypatch.setenv("MODE", "wait")
    folder = plain_folder(tmp_path, ABORTING_MAIN, MAPPING["resources"])
    resync = asyncio.create_task(sail_once(folder, tmp_path / "c.db", {}))
    async with asyncio.timeout(10):
        while not calls.exists():
            await asyncio.sleep(0.01)

    resync.cancel()  # as a newer resync, or the integration stopping, does
    with pytest.raises(asyncio.CancelledError):
        await resync

    assert calls.read_text().splitlines() == ["waiting", "on_abort"]


async def test_a_resync_aborted_by_a_hook_of_its_own_task_syncs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Aborted where no other task runs: it stops at the hook's task's next await."""
    monkeypatch.setenv("CALLS_FILE", str(tmp_path / "calls.txt"))
    monkeypatch.setenv("MODE", "hook")
    folder = plain_folder(tmp_path, ABORTING_MAIN, MAPPING["resources"])

    report, entities = await sail_once(folder, tmp_path / "c.db", {})

    assert (report.status, entities) == ("aborted", {})
    assert not (tmp_path / "calls.txt").exists()  # no handler ran


async def test_abort_from_a_worker_thread_stops_the_resync_aborted() -> None:
    async def resync() -> None:
        with enclosing_event(EventType.RESYNC, None):
            await asyncio.to_thread(event.abort)  # blocking code the resync runs there
            await asyncio.sleep(10)

    with pytest.raises(ResyncAbortedError):
        await asyncio.wait_for(asyncio.create_task(resync()), 5)


async def _abort_then_a_kind_fails() -> None:
    async def aborting() -> None:
        await asyncio.sleep(0)
        event.abort()
        await asyncio.sleep(10)

    async def failing() -> None:
        await asyncio.sleep(0)
        raise ValueError("the catalog failed")

    async with asyncio.TaskGroup() as group:
        group.create_task(aborting())
        group.create_task(failing())


async def _abort_then_the_cancel_is_turned_into_an_error() -> None:
    asyncio.get_running_loop().call_later(0.01, event.abort)
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        raise RuntimeError("a client wrapped the cancellation") from None


@pytest.mark.parametrize(
    "ending", [_abort_then_a_kind_fails, _abort_then_the_cancel_is_turned_into_an_error]
)
async def test_a_resync_that_fails_after_an_abort_gives_its_task_the_cancel_back(
    ending: Callable[[], Awaitable[None]],
) -> None:
    """The task runs the next resync as if none had been aborted before (``run_once``, an
    integration's own test): a later abort ends that one aborted, not cancelled."""

    async def later() -> None:
        event.abort()

    async def two_resyncs() -> tuple[int, str]:
        with contextlib.suppress(Exception, BaseExceptionGroup):
            with enclosing_event(EventType.RESYNC, None):
                await ending()
        left = asyncio.current_task().cancelling()  # type: ignore[union-attr]
        try:
            with enclosing_event(EventType.RESYNC, None):
                aborting = asyncio.ensure_future(later())
                await asyncio.sleep(10)
        except ResyncAbortedError:
            return left, "aborted"
        finally:
            await aborting
        return left, "completed"

    assert await asyncio.wait_for(asyncio.create_task(two_resyncs()), 5) == (0, "aborted")


async def test_a_resync_aborted_as_ocean_stops_it_calls_its_callbacks_once() -> None:
    called: list[str] = []

    async def resync() -> None:
        with enclosing_event(EventType.RESYNC, None):
            event.on_abort(lambda: called.append("on_abort"))
            event.abort()  # the integration aborts it; before its next await, Ocean's
            raise asyncio.CancelledError  # stop arrives (raised by a client it awaited)

    with pytest.raises(asyncio.CancelledError):
        await asyncio.create_task(resync())

    assert called == ["on_abort"]
