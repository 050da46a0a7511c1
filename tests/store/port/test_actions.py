"""Action runs over a Port API: the lease an acknowledgement names is Ocean's extension,
sent only to Ocean's catalog server (Port's ack takes ``runId`` alone)."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.store.port.actions import PortActions
from ocean.store.port.limits import OCEAN_SERVER
from tests.store.port.fake_port import FakePort, client


@pytest.mark.parametrize(
    ("offered", "sent"),
    [
        pytest.param(None, {"runId": "r_1"}, id="port"),
        pytest.param(OCEAN_SERVER.header(), {"runId": "r_1", "leaseSeconds": 60}, id="ocean"),
    ],
)
async def test_an_acknowledgement_names_its_lease_to_ocean_s_server_only(
    offered: str | None, sent: dict[str, Any]
) -> None:
    port = FakePort()
    port.offered = offered
    store = client(port)
    try:
        await PortActions(store).ack_run("r_1", 60)
    finally:
        await store.close()
    assert port.acks == [sent]
