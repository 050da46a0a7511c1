"""What each record shipped to Port becomes, whatever it holds: JSON Port takes (one record
never costs its batch), texts of a bounded size masked whole, a loguru record's traceback
once; and below WARNING, the integration's own files' records, not its virtualenv's."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocean.monitor import port_logs
from ocean.monitor.port_log_entries import TEXT, Origin, masked
from ocean.monitor.port_logs import Pace, PortLogHandler, PortLogs
from ocean.monitor.sensitive import hide_sensitive
from ocean.store.port.http import PortAPIError
from port_ocean._loguru import route_loguru
from tests.monitor.test_port_logs import (
    INTEGRATION,
    LOGS,
    _messages,
    _port,
    _shipped,
    _shipping,
    root_at_warning,  # noqa: F401 (the root logger as it was, after each test)
)
from tests.store.port.fake_port import client

LONE = b"caf\xe9.txt".decode("utf-8", "surrogateescape")
"""A file name read with surrogateescape: a lone surrogate, which UTF-8 cannot write."""


@pytest.mark.parametrize(
    ("logged", "field", "shipped"),
    [
        pytest.param({"extra": {"id": 2**64}}, "id", str(2**64), id="an integer beyond 64 bits"),
        pytest.param(
            {"extra": {"ids": [-(2**63) - 1, 2**64 - 1, -(2**63)]}},
            "ids",
            [str(-(2**63) - 1), 2**64 - 1, -(2**63)],
            id="integers at 64 bits and past",
        ),
        pytest.param({"args": (LONE,)}, None, "poisoned caf\\udce9.txt", id="in the message"),
        pytest.param({"extra": {"file": LONE}}, "file", "caf\\udce9.txt", id="in extra"),
        pytest.param({"extra": {"files": {LONE: 1}}}, "files", {"caf\\udce9.txt": 1}, id="key"),
        pytest.param({"error": LONE}, "traceback", "ValueError: caf\\udce9.txt", id="traceback"),
    ],
)
async def test_a_record_json_cannot_carry_as_it_is_is_shipped_with_its_batch(
    logged: dict[str, Any], field: str | None, shipped: Any
) -> None:
    port = _port()
    logs = _shipping(port, batch=3, interval=3600)
    log = logging.getLogger("ocean.test")
    try:
        log.warning("before")
        try:
            raise ValueError(logged.get("error", "no error"))
        except ValueError:
            exc_info = "error" in logged
            message = "poisoned %s" if "args" in logged else "poisoned"
            log.warning(
                message, *logged.get("args", ()), extra=logged.get("extra"), exc_info=exc_info
            )
        log.warning("after")
        await _until_posted(port)
    finally:
        await logs.close()

    assert logs.failed == 0
    assert [message.partition(" caf")[0] for message in _messages(port)] == [
        "before",
        "poisoned",
        "after",
    ]
    poisoned = _shipped(port)[1]
    if field is None:
        assert poisoned["message"] == shipped
    elif field == "traceback":
        assert poisoned["extra"]["traceback"].endswith(shipped)
    else:
        assert poisoned["extra"][field] == shipped


async def _until_posted(port: Any) -> None:
    async with asyncio.timeout(5):
        while not port.log_posts:
            await asyncio.sleep(0.01)


async def test_port_http_ingest_raises_a_port_api_error_for_a_body_json_cannot_carry() -> None:
    port = _port()

    with pytest.raises(PortAPIError, match="not JSON"):
        await client(port).port_http.ingest("POST", LOGS, {"logs": [{"id": 2**64}]})
    assert port.log_posts == []


async def test_a_record_json_cannot_carry_costs_only_itself(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Were a record to reach the call as JSON cannot carry it (a kind of value the entry
    missed), the rest of its batch is still sent."""

    def poisoned(shipped: dict[str, Any]) -> dict[str, Any]:
        made = masked(shipped)
        return made | {"extra": {"id": 2**64}} if made["message"] == "two" else made

    monkeypatch.setattr(port_logs, "masked", poisoned)
    port = _port()
    logs = _shipping(port, batch=3, interval=3600)
    log = logging.getLogger("ocean.test")
    with caplog.at_level(logging.WARNING, logger="ocean.monitor.port_logs"):
        try:
            for message in ("one", "two", "three"):
                log.warning(message)
            await _until_posted(port)
        finally:
            await logs.close()

    assert _messages(port) == ["one", "three"]
    assert logs.failed == 1
    said = [r.getMessage() for r in caplog.records if r.name == "ocean.monitor.port_logs"]
    assert len(said) == 1
    assert said[0].startswith("1 log record(s) could not be written as JSON")


async def test_a_long_text_is_cut_after_it_is_masked_whole() -> None:
    secret = "port-logs-long-text-secret"
    hide_sensitive([secret])
    port = _port()
    logs = _shipping(port, batch=100, interval=3600)
    long = "x" * (TEXT - 5) + secret + "y" * 100_000  # the secret across the cut
    try:
        try:
            raise ValueError("z" * 100_000)
        except ValueError:
            logging.getLogger("ocean.test").exception("%s", long, extra={"body": long})
    finally:
        await logs.close()

    shipped = _shipped(port)[0]
    for text in (shipped["message"], shipped["extra"]["body"], shipped["extra"]["traceback"]):
        assert len(text) < TEXT + 40
        assert text.endswith("more characters cut]")
    assert shipped["message"].startswith("x" * (TEXT - 5) + "[REDA…")
    assert secret[:8] not in str(port.log_posts)


def test_the_buffer_holds_at_most_its_cap_of_text() -> None:
    handler = PortLogHandler(lambda _: True, {}, Pace(cap_text=3_500), lambda: None)
    for number in range(5):
        record = logging.LogRecord(
            "ocean.test", logging.WARNING, "", 1, "%d" * 1000, (number,) * 1000, None
        )
        handler.handle(record)

    assert (len(handler), handler.dropped) == (3, 2)
    assert [entry["message"][0] for entry in handler.take(3)] == ["2", "3", "4"]


@pytest.mark.parametrize(
    ("how", "tracebacks"),
    [("exception", 1), ("chained", 2), ("no traceback", 0), ("a traceback in the message", 1)],
)
async def test_a_loguru_records_traceback_is_shipped_once(how: str, tracebacks: int) -> None:
    from loguru import logger

    route_loguru()
    said = "fetching page failed\nTraceback (most recent call last):\n  (its own)"
    message = said if how == "a traceback in the message" else "fetching page failed"
    port = _port()
    logs = _shipping(port, batch=100, interval=3600)
    try:
        if how == "no traceback":
            logger.opt(exception=ValueError("boom")).error(message)
        else:
            _raise_and_log(logger, message, chained=how == "chained")
    finally:
        await logs.close()

    shipped = _shipped(port)[0]
    assert shipped["message"] == message
    assert shipped["extra"]["traceback"].endswith("ValueError: boom")
    assert shipped["extra"]["traceback"].count("Traceback (most recent") == tracebacks


def _raise_and_log(logger: Any, message: str, *, chained: bool) -> None:
    try:
        try:
            raise KeyError("cause")
        except KeyError as error:
            raise ValueError("boom") from (error if chained else None)
    except ValueError:
        logger.exception(message)


def _record(origin: Origin, path: Path) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    return origin(logging.LogRecord("x", logging.INFO, str(path), 1, "HTTP Request", (), None))


def test_below_warning_only_the_integrations_own_files_are_its(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "my-integration"
    monkeypatch.setattr(sys, "prefix", str(folder / "env"))  # a Python of its own there
    origin = Origin(folder)
    site = "lib/python3.11/site-packages/httpx/_client.py"

    assert _record(origin, folder / "main.py")
    assert _record(origin, folder / "my_integration/client.py")
    assert not _record(origin, folder / ".venv" / site)  # where `ocean install` puts it
    assert not _record(origin, folder / "venv" / site)
    assert not _record(origin, folder / "lib/python3/dist-packages/requests/api.py")
    assert not _record(origin, folder / ".tox/py311/other.py")
    assert not _record(origin, folder / "env/lib/python3.11/asyncio/base_events.py")
    assert not _record(origin, tmp_path / "elsewhere.py")


def test_an_integration_within_pythons_own_prefix_is_still_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "prefix", str(tmp_path))  # /usr, the integration in /usr/src/app
    origin = Origin(tmp_path / "src/app")

    assert _record(origin, tmp_path / "src/app/main.py")
    assert not _record(origin, tmp_path / "lib/python3.11/asyncio/base_events.py")


async def test_the_http_clients_lines_are_not_shipped_with_the_venv_in_the_folder() -> None:
    """The integration's folder holding the virtualenv httpx runs from (``ocean install
    PATH`` makes ``PATH/.venv``): its line for each request is still not the integration's."""
    folder = Path(sys.prefix).parent
    port = _port()
    port.integrations[INTEGRATION] = {"identifier": INTEGRATION}
    store = client(port)

    async def read() -> dict[str, Any] | None:
        return await store.get_integration(INTEGRATION)

    logs = PortLogs(store.port_http, read, origin=Origin(folder), pace=Pace(interval=3600))
    logs.start()
    try:
        answer = httpx.MockTransport(lambda request: httpx.Response(200))
        async with httpx.AsyncClient(transport=answer) as http:
            await http.get("https://api.example.com/items")
        logging.getLogger("ocean.test").info("ocean's own")
    finally:
        await logs.close()

    assert _messages(port) == ["ocean's own"]
