"""Against a Port API whose integration record names ``logAttributes.ingestUrl``, the sail's
log is shipped there as the original ships it: batched, masked, never what is bound
``local_only`` nor what shipping itself logs, and what remains at stop within a bound."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ocean.cli.main import cli
from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.monitor.logs import console_level
from ocean.monitor.port_log_entries import LOCAL
from ocean.monitor.port_logs import Pace, PortLogHandler, PortLogs, ship_logs
from ocean.monitor.sensitive import hide_sensitive, install_filter
from ocean.sail import Sail, prepare
from ocean.store.open import open_store
from ocean.store.port.store import PortAPIStore
from tests.conftest import MAIN_PY, TEAMS, Workspace, services
from tests.store.port.fake_port import FakePort, client, oceans_own_server

LOGS = "https://port.test/ingest/logs"
INTEGRATION = "my-integration-integration"
GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5" * 4
MAIN = MAIN_PY.replace(
    "ocean = Integration()",
    """ocean = Integration()
import logging
log = logging.getLogger("my_integration")

@ocean.on_start()
async def started():
    log.info("calling the API with %s", "GITHUB_TOKEN", extra={"page": 1, "password": "pw-1234"})
    log.info("kept here", extra={"local_only": True})
""".replace("GITHUB_TOKEN", GITHUB_TOKEN),
)


@pytest.fixture(autouse=True)
def root_at_warning() -> Iterator[None]:
    """The root logger at Ocean's default level; as it was after (the shipping gone)."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    yield
    assert not [h for h in root.handlers if isinstance(h, PortLogHandler)]
    assert root.level == logging.WARNING
    root.setLevel(level)


def _prepared(tmp_path: Path, **environ: str) -> Sail:
    workspace = Workspace(tmp_path)
    workspace.set_data(services=[services(3)], teams=TEAMS)
    (workspace.folder / "main.py").write_text(MAIN)
    return prepare(workspace.folder, environ=workspace.environ | environ, overrides={})


def _port(log_ingest_url: str | None = LOGS) -> FakePort:
    port = FakePort()
    port.log_ingest_url = log_ingest_url
    return port


def _shipped(port: FakePort) -> list[dict[str, Any]]:
    return [entry for body in port.log_posts for entry in body["logs"]]


def _messages(port: FakePort) -> list[str]:
    return [entry["message"] for entry in _shipped(port)]


async def _sail_once(
    prepared: Sail, store: PortAPIStore, environ: dict[str, str] | None = None
) -> None:
    """What ``ocean sail --once`` does around its resync: ship the log while it runs."""
    logs = ship_logs(prepared, store, environ or {})
    try:
        await run_once(prepared, store, SilentObserver())
    finally:
        if logs is not None:
            await logs.close()


def _shipping(port: FakePort, **pace: Any) -> PortLogs:
    """Shipping to ``port`` for an integration installed there, its pace quickened."""
    port.integrations[INTEGRATION] = {"identifier": INTEGRATION}
    store = client(port)
    quick = {"interval": 0.05, "batch": 2, "close_seconds": 2.0} | pace
    logs = PortLogs(store.port_http, lambda: store.get_integration(INTEGRATION), pace=Pace(**quick))
    logs.start()
    return logs


async def _until(condition: Any) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_runs_records_reach_port_with_the_originals_fields_masked(tmp_path: Path) -> None:
    port = _port()

    await _sail_once(_prepared(tmp_path), client(port))

    shipped = {entry["message"]: entry for entry in _shipped(port)}
    call = shipped["calling the API with [REDACTED]"]
    assert set(call) == {"message", "level", "timestamp", "extra"}
    assert call["level"] == "INFO"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", call["timestamp"])
    assert call["extra"]["page"] == 1
    assert call["extra"]["password"] == "[REDACTED]"
    assert call["extra"]["logger"] == "my_integration"
    assert {"hostname", "instance"} <= set(call["extra"])
    kind = next(m for m in shipped if m.startswith("kind service completed"))
    assert shipped[kind]["extra"]["event_id"]  # the resync's own id
    assert GITHUB_TOKEN not in str(port.log_posts)
    assert "kept here" not in shipped  # bound local_only
    assert not [m for m in shipped if m.startswith("HTTP Request")]  # httpx's, below WARNING


async def test_a_known_secret_is_shipped_masked_whole_while_the_console_keeps_its_part() -> None:
    secret = "port-logs-test-secret-value"
    console = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(console)
    install_filter()
    port = _port()
    logs = _shipping(port)
    try:
        hide_sensitive([secret])
        logging.getLogger("ocean.test").warning("the secret is %s", secret)
    finally:
        await logs.close()
        logging.getLogger().removeHandler(console)

    assert _messages(port) == ["the secret is [REDACTED]"]
    assert "the secret is port-l[REDACTED]" in console.stream.getvalue()  # type: ignore[attr-defined]


async def test_info_is_shipped_while_the_console_stays_at_its_level() -> None:
    console = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(console)
    port = _port()
    logs = _shipping(port)
    try:
        assert console_level() == logging.WARNING  # (what the acceptor processes are given)
        logging.getLogger("ocean.test").info("an info line")
        logging.getLogger("httpx").info("HTTP Request: GET https://api.example.com")
        logging.getLogger("ocean.test").warning("a warning")
    finally:
        await logs.close()
        logging.getLogger().removeHandler(console)

    assert _messages(port) == ["an info line", "a warning"]
    assert console.stream.getvalue().splitlines() == ["a warning"]  # type: ignore[attr-defined]
    assert console.level == logging.NOTSET  # as it was


async def test_nothing_is_shipped_when_the_record_names_no_ingest_url(tmp_path: Path) -> None:
    port = _port(log_ingest_url=None)
    port.ingest_url = "https://port.test/ingest/metrics"  # (its metrics go somewhere)

    await _sail_once(_prepared(tmp_path), client(port))

    assert port.log_posts == []
    sent = [path for _, path, _ in port.metric_calls]
    assert sent  # the record was read: only its metrics went somewhere
    assert all(
        path.startswith(("/ingest/metrics/syncMetrics", "/ingest/metrics/heartbeat"))
        for path in sent
    )


@pytest.mark.parametrize(
    "environ",
    [{"OCEAN__ENABLE_HTTP_LOGGING": "false"}, {"APPLICATION__ENABLE_HTTP_LOGGING": "false"}],
)
async def test_nothing_is_shipped_when_turned_off(tmp_path: Path, environ: dict[str, str]) -> None:
    port = _port()
    prepared = _prepared(tmp_path, **environ)
    store = client(port)

    assert ship_logs(prepared, store, environ) is None
    await _sail_once(prepared, store, environ)
    assert port.log_posts == []


async def test_nothing_is_shipped_to_the_embedded_catalog(tmp_path: Path) -> None:
    store = await open_store(str(tmp_path / "embedded.db"))
    try:
        assert ship_logs(_prepared(tmp_path), store, {}) is None
    finally:
        await store.close()


async def test_oceans_own_server_names_an_ingest_url_and_is_shipped_none(tmp_path: Path) -> None:
    async with oceans_own_server(tmp_path) as (served, transport):
        await _sail_once(_prepared(tmp_path), served)

    assert ("GET", f"/v1/integration/{INTEGRATION}") in transport.calls
    assert not [call for call in transport.calls if call[1].startswith("/__ingest/logs")]


async def test_a_batch_port_refuses_is_dropped_with_one_warning_and_the_next_is_shipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = _port()
    port.failures["POST /ingest/logs"] = [(500, {})]
    logs = _shipping(port)
    log = logging.getLogger("ocean.test")
    with caplog.at_level(logging.DEBUG, logger="ocean.monitor.port_logs"):
        try:
            log.warning("first")
            log.warning("second")  # a batch: sent, refused
            await _until(lambda: not port.failures["POST /ingest/logs"])
            log.warning("third")
            log.warning("fourth")
            await _until(lambda: port.log_posts)
        finally:
            await logs.close()

    assert _messages(port) == ["third", "fourth"]  # the refused batch is never sent again
    own = [r for r in caplog.records if r.name == "ocean.monitor.port_logs"]
    warnings = [r for r in own if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "2 log record(s) were not shipped" in warnings[0].getMessage()
    assert "500" in warnings[0].getMessage()
    assert [r.getMessage() for r in own if r.levelno == logging.INFO] == [
        "Port takes the log again"
    ]


class _Retrying:
    """A Port client that logs as it sends (as PortHTTP's retries and httpx do)."""

    ocean = False

    def __init__(self) -> None:
        self.bodies: list[Any] = []

    async def ingest(self, method: str, url: str, body: Any) -> None:
        logging.getLogger("ocean.store.port.http").warning("Port answered 503; sending again")
        logging.getLogger("httpx").info("HTTP Request: %s %s", method, url)
        self.bodies.append(body)


async def test_what_shipping_logs_is_never_shipped() -> None:
    http = _Retrying()

    async def record() -> dict[str, Any]:
        return {"logAttributes": {"ingestUrl": LOGS}}

    logs = PortLogs(http, record, pace=Pace(interval=0.05, batch=1))
    logs.start()
    try:
        logging.getLogger("ocean.test").warning("one")
        await _until(lambda: http.bodies)
        await asyncio.sleep(0.2)  # rounds that would ship what the call logged
        logging.getLogger("ocean.test").warning("two", extra=dict(LOCAL))
    finally:
        await logs.close()

    assert [entry["message"] for body in http.bodies for entry in body["logs"]] == ["one"]


async def test_the_buffer_drops_the_oldest_past_its_cap() -> None:
    port = _port()
    logs = _shipping(port, cap=5, batch=100, interval=3600)
    del port.integrations[INTEGRATION]  # not installed yet: the records wait
    try:
        for number in range(8):
            logging.getLogger("ocean.test").warning("record %d", number)
        assert logs.handler.dropped == 3
        port.integrations[INTEGRATION] = {"identifier": INTEGRATION}
    finally:
        await logs.close()

    assert _messages(port) == [f"record {number}" for number in range(3, 8)]


async def test_what_remains_is_sent_at_stop_and_the_stop_is_bounded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = _port()
    logs = _shipping(port, batch=100, interval=3600)
    for number in range(3):
        logging.getLogger("ocean.test").warning("record %d", number)
    await asyncio.sleep(0.05)
    assert port.log_posts == []  # neither a batch's worth nor the interval

    await logs.close()

    assert _messages(port) == ["record 0", "record 1", "record 2"]

    port.latency = 0.001
    logs = _shipping(port, batch=1, interval=3600, close_seconds=0.2, call_seconds=10)
    logging.getLogger("ocean.test").warning("sent")
    await _until(lambda: len(port.log_posts) == 2)
    port.latency = 30  # Port no longer answers
    logging.getLogger("ocean.test").warning("never sent")
    began = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="ocean.monitor.port_logs"):
        await logs.close()

    assert time.monotonic() - began < 2
    assert "1 log record(s) of this run were not shipped" in caplog.records[-1].getMessage()


async def test_a_batch_filled_from_another_thread_is_sent_at_once() -> None:
    port = _port()
    logs = _shipping(port, batch=2, interval=3600)

    def work() -> None:
        logging.getLogger("ocean.test").warning("from a thread")
        logging.getLogger("ocean.test").warning("and again")

    try:
        await asyncio.to_thread(work)
        await _until(lambda: port.log_posts)
    finally:
        await logs.close()

    assert _messages(port) == ["from a thread", "and again"]


def test_ocean_sail_ships_its_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = _port()
    prepared = _prepared(tmp_path)

    async def opened(url: str, **options: Any) -> PortAPIStore:
        return client(port)

    monkeypatch.setattr("ocean.store.open.open_store", opened)
    environ = {
        "OCEAN__INTEGRATION__CONFIG__DATA_FILE": str(tmp_path / "data.json"),
        "OCEAN__PORT__CLIENT_ID": "id",
        "OCEAN__PORT__CLIENT_SECRET": "secret",
    }
    result = CliRunner().invoke(
        cli, ["sail", str(prepared.folder.path), "--once", "--quiet"], env=environ
    )

    assert result.exit_code == 0, result.output
    assert "calling the API with [REDACTED]" in _messages(port)


def test_a_full_buffer_wakes_the_sender_for_a_batch_not_for_each_record() -> None:
    wakes: list[int] = []
    handler = PortLogHandler(lambda _: True, {}, Pace(batch=2, cap=4), lambda: wakes.append(1))
    for number in range(10):
        handler.handle(
            logging.LogRecord("ocean.test", logging.WARNING, "", 1, "%d", (number,), None)
        )

    assert (len(handler), handler.dropped) == (4, 6)
    assert len(wakes) == 2  # at 2 and 4 records: none for each record the full buffer took


async def test_the_record_is_read_at_most_once_an_interval_while_not_installed() -> None:
    port = _port()
    logs = _shipping(port, batch=10, interval=5.0)
    del port.integrations[INTEGRATION]  # not installed (yet): its log waits
    try:
        for batch in range(10):
            for number in range(10):
                logging.getLogger("ocean.test").warning("record %d of batch %d", number, batch)
            await asyncio.sleep(0.02)  # the sender's turn: a batch is due
        reads = [call for call in port.calls if call[0] == "GET" and "/integration/" in call[1]]
    finally:
        logs.handler.take(len(logs.handler))
        await logs.close()

    assert len(reads) == 1  # the first batch's: not one for each of the ten


async def test_overlapping_shippings_keep_the_root_lowered_until_the_last_stops() -> None:
    first_port, second_port = _port(), _port()
    first = _shipping(first_port, batch=100, interval=3600)
    second = _shipping(second_port, batch=100, interval=3600)
    try:
        await first.close()
        assert logging.getLogger().level == logging.INFO
        logging.getLogger("ocean.test").info("info while the second ships")
    finally:
        await second.close()

    assert _messages(second_port) == ["info while the second ships"]
    assert logging.getLogger().level == logging.WARNING


async def test_the_root_loggers_handlers_are_a_new_list_not_the_one_changed() -> None:
    """Another thread may be going through the root's handlers as a record is logged."""
    root = logging.getLogger()
    before = root.handlers
    logs = _shipping(_port())
    during = root.handlers
    await logs.close()

    assert not [h for h in before if isinstance(h, PortLogHandler)]
    assert isinstance(during[0], PortLogHandler)  # as it was (the stop made a new one too)
    assert root.handlers == before


async def test_a_second_close_says_nothing_more(caplog: pytest.LogCaptureFixture) -> None:
    port = _port()
    logs = _shipping(port, cap=2, batch=100, interval=3600)
    for number in range(4):
        logging.getLogger("ocean.test").warning("record %d", number)
    with caplog.at_level(logging.WARNING, logger="ocean.monitor.port_logs"):
        await logs.close()
        await logs.close()

    said = [r.getMessage() for r in caplog.records if r.name == "ocean.monitor.port_logs"]
    assert len([m for m in said if "of this run were not shipped" in m]) == 1
    assert _messages(port) == ["record 2", "record 3"]


def test_ocean_sail_closes_its_catalog_when_closing_the_log_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = client(_port())
    closed: list[bool] = []
    close = store.close

    async def closing() -> None:
        closed.append(True)
        await close()

    class Interrupted:
        async def close(self) -> None:
            raise RuntimeError("interrupted")

    async def opened(url: str, **options: Any) -> PortAPIStore:
        return store

    monkeypatch.setattr(store, "close", closing)
    monkeypatch.setattr("ocean.store.open.open_store", opened)
    monkeypatch.setattr("ocean.monitor.port_logs.ship_logs", lambda *_: Interrupted())
    environ = {
        "OCEAN__INTEGRATION__CONFIG__DATA_FILE": str(tmp_path / "data.json"),
        "OCEAN__PORT__CLIENT_ID": "id",
        "OCEAN__PORT__CLIENT_SECRET": "secret",
    }
    prepared = _prepared(tmp_path)
    result = CliRunner().invoke(
        cli, ["sail", str(prepared.folder.path), "--once", "--quiet"], env=environ
    )

    assert isinstance(result.exception, RuntimeError)
    assert closed == [True]
