"""``OAuthClient``: a client whose requests carry an access token read from a file that
something else keeps fresh (``ocean.config.oauth_access_token_file_path``), as the
original's. When that file is configured, every retried request first gets its
credentials refreshed (``refresh_request_auth_creds``, registered as the retry callback of
``port_ocean.helpers.retry``)."""

from __future__ import annotations

import logging

from port_ocean._unsupported import missing
from port_ocean.clients.auth.auth_client import AuthClient
from port_ocean.context.ocean import ocean
from port_ocean.helpers.retry import register_on_retry_callback

_log = logging.getLogger(__name__)


class OAuthClient(AuthClient):
    def __init__(self) -> None:
        if self.is_oauth_enabled():
            register_on_retry_callback(self.refresh_request_auth_creds)
            _log.info("%s refreshes its credentials before each retry", type(self).__name__)

    def is_oauth_enabled(self) -> bool:
        return ocean.app.config.oauth_access_token_file_path is not None

    @property
    def external_access_token(self) -> str:
        """The access token the file holds now; ``ValueError`` when there is none."""
        token = ocean.app.load_external_oauth_access_token()
        if token is None:
            raise ValueError("No external access token found")
        return str(token)


__all__ = ["OAuthClient"]
__getattr__ = missing(__name__)
