"""The original's HTTP helpers as integrations and their tests use them: the module-level
``ocean`` names tests patch, the shared client made on first use, OAuth clients and the
exceptions they raise."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest import mock

import httpx
import pytest

from port_ocean.helpers import async_client, retry
from port_ocean.utils import async_http


def _answering(payload: dict[str, Any]) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, json=payload))


def test_the_client_reads_tls_settings_through_its_module_s_ocean_which_tests_patch() -> None:
    fake = mock.MagicMock()
    fake.config.ssl.third_party.verify = False
    with mock.patch("port_ocean.helpers.async_client.ocean", fake):
        client = async_client.OceanAsyncClient(transport=_answering({}))

    assert fake.config.ssl.third_party.verify is False
    assert isinstance(client, httpx.AsyncClient)


def test_unpatched_the_client_checks_certificates_strictly() -> None:
    assert async_client.verify_of(async_client.ocean.config.ssl.third_party) is True
    relaxed = mock.MagicMock(verify=True)
    relaxed.x509.strict = False
    assert not isinstance(async_client.verify_of(relaxed), bool)


async def test_stream_json_yields_the_list_at_the_path() -> None:
    answer = {"data": {"items": [{"id": 1}, {"id": 2}]}}
    client = async_client.OceanAsyncClient(transport=_answering(answer))
    wrapper = async_client.StreamingClientWrapper(client)

    batches = [batch async for batch in wrapper.stream_json("https://x/list", "data.items")]

    assert batches == [[{"id": 1}, {"id": 2}]]


def test_the_shared_client_is_made_on_first_use_from_its_module_s_names() -> None:
    made = mock.MagicMock()
    fake_ocean = mock.MagicMock()
    fake_ocean.config.client_timeout = 7

    shared = async_http._PerLoopClient()  # a fresh one: the mock client is not kept

    async def use() -> Any:
        return shared.timeout

    with (
        mock.patch("port_ocean.utils.async_http.OceanAsyncClient", made),
        mock.patch("port_ocean.utils.async_http.ocean", fake_ocean),
    ):
        asyncio.run(use())

    made.assert_called_once_with(retry.RetryTransport, timeout=7)


def test_patching_an_attribute_of_the_shared_client_patches_the_client_in_use() -> None:
    async def call() -> Any:
        return await async_http.http_async_client.request("GET", "https://x")

    with mock.patch("port_ocean.utils.http_async_client.request") as request:
        request.return_value = "answered"
        assert asyncio.run(call()) == "answered"

    assert not isinstance(async_http.http_async_client.request, mock.MagicMock)


def test_a_new_event_loop_gets_a_new_client_once_the_old_one_closed() -> None:
    async def current() -> Any:
        return async_http.http_async_client._current()  # type: ignore[attr-defined]

    first, second = asyncio.run(current()), asyncio.run(current())

    assert first is not second


def test_an_oauth_client_refreshes_credentials_on_retry_when_a_token_file_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from port_ocean.clients.auth.oauth_client import OAuthClient

    class Client(OAuthClient):
        def refresh_request_auth_creds(self, request: httpx.Request) -> httpx.Request:
            request.headers["Authorization"] = f"Bearer {self.external_access_token}"
            return request

    registered: list[Any] = []
    monkeypatch.setattr(
        "port_ocean.clients.auth.oauth_client.register_on_retry_callback", registered.append
    )
    Client()  # Ocean has no token file: nothing registered
    assert registered == []

    app = mock.MagicMock()
    app.config.oauth_access_token_file_path = "/run/token"
    app.load_external_oauth_access_token.return_value = "fresh"
    with mock.patch("port_ocean.clients.auth.oauth_client.ocean") as ocean:
        ocean.app = app
        client = Client()
        request = registered[0](httpx.Request("GET", "https://x"))

    assert registered == [client.refresh_request_auth_creds]
    assert request.headers["Authorization"] == "Bearer fresh"


def test_the_original_s_exceptions_share_one_root_under_ocean_s() -> None:
    from ocean.errors import OceanError
    from port_ocean.exceptions.api import EmptyPortAppConfigError, InternalServerException
    from port_ocean.exceptions.base import BaseOceanException
    from port_ocean.exceptions.context import EventContextNotFoundError
    from port_ocean.exceptions.core import KindNotImplementedException, OceanAbortException
    from port_ocean.exceptions.webhook_processor import RetryableError

    assert issubclass(BaseOceanException, OceanError)
    for error in (OceanAbortException, EventContextNotFoundError, InternalServerException):
        assert issubclass(error, BaseOceanException)
    assert str(EmptyPortAppConfigError()) == "Port app config is empty"
    assert "Available kinds: ['a']" in str(KindNotImplementedException("b", ["a"]))
    assert InternalServerException().response().status_code == 500
    from ocean.live.processor import RetryableError as OceansRetryableError

    assert RetryableError is OceansRetryableError


def test_event_reads_through_the_module_s_get_event_context_which_tests_patch() -> None:
    from port_ocean.context.event import event

    context = mock.MagicMock(attributes={"cached": [1]})
    with mock.patch("port_ocean.context.event._get_event_context", return_value=context):
        assert event.attributes == {"cached": [1]}


def test_ocean_client_timeout_sets_the_third_party_client_s_timeout() -> None:
    from ocean.config.settings import load_settings
    from ocean.config.variables import unknown_variables
    from port_ocean.context.ocean import PortOceanContext

    environ = {"OCEAN__CLIENT_TIMEOUT": "180"}
    integration = PortOceanContext()
    integration.configure({}, load_settings(environ=environ, from_file={}, overrides={}))

    assert integration.config.client_timeout == 180
    assert unknown_variables(environ, []) == []
    defaults = PortOceanContext()
    defaults.configure({})
    assert defaults.config.client_timeout == 60
