"""An integer past 64 bits in a webhook body stays exact (as Python's json, the original's
``request.json()``, reads it): in the route's checks, in the worker, and read back from the
queue's file."""

from __future__ import annotations

from pathlib import Path

from ocean.live.queue import read_json
from ocean.live.signature import sign
from ocean.live.sqlite_queue import SQLiteEventQueue
from tests.conftest import MAIN_PY, Workspace, resource
from tests.live.harness import PROCESSORS, SECRET, live_server

BIG = 123456789012345678901234567890
BODY = (
    b'{"action": "updated", "service": {"id": "svc-1", "name": "n", "url": '
    + str(BIG).encode()
    + b', "stars": 1}}'
)
EXACT = """
class Exact(ServiceProcessor):
    async def validate_payload(self, payload):
        again = await self.event.original_request.json()  # as a signature check reads it
        return all(isinstance(read["service"]["url"], int) for read in (payload, again))

ocean.add_webhook_processor("/exact", Exact)
"""


async def test_an_integer_past_64_bits_is_applied_exactly(
    workspace: Workspace, backend_env: dict[str, str]
) -> None:
    (workspace.folder / "main.py").write_text(MAIN_PY + PROCESSORS + EXACT)
    workspace.set_mapping(
        {"resources": [resource("service", "service", properties={"url": ".url | tostring"})]}
    )
    async with live_server(workspace, backend_env) as server:
        response = await server.client.post(
            f"{server.base}/integration/exact",
            content=BODY,
            headers={"x-hub-signature-256": sign(SECRET, BODY)},
        )
        assert response.status_code == 202, response.text
        await server.settled()
        assert await server.service.queue.dead() == []

    stored = (await workspace.entities("service"))["svc-1"]["properties"]["url"]
    assert stored == str(BIG)


async def test_an_integer_past_64_bits_is_exact_when_read_back_from_the_queue_s_file(
    tmp_path: Path,
) -> None:
    putter = await SQLiteEventQueue.open(tmp_path / "events.db", "svc")
    await putter.put("/hook", read_json(BODY), {}, None, BODY)
    await putter.close()
    taker = await SQLiteEventQueue.open(tmp_path / "events.db", "svc")  # after a restart
    (event,) = await taker.take(10, timeout=0)
    await taker.close()

    assert event.payload["service"]["url"] == BIG


def test_json_without_long_numbers_reads_as_orjson_reads_it() -> None:
    assert read_json(b'{"n": 18446744073709551615, "x": 1.5}') == {
        "n": 18446744073709551615,
        "x": 1.5,
    }
    assert read_json(b"[-123456789012345678901]") == [-123456789012345678901]
