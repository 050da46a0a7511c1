"""The token route's work and the check of a token on every request.

Exchanging a client id and secret costs the same for an id that exists and one that does
not: the catalog is asked once, and the secret is hashed once either way (an unknown or
revoked id against a dummy hash), on a worker thread rather than the event loop. Failed
attempts are limited per client id from one address and per address
(:class:`~ocean.server.limits.LoginLimits`, 429 with ``Retry-After``): failures from
elsewhere never refuse the right secret. A token is honoured only while its credential is
active and at the version it was issued for: the catalog is asked on every request.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from ocean.server.auth import Tokens
from ocean.server.limits import LoginLimits
from ocean.server.principal import Principal
from ocean.store.base import Store
from ocean.store.credentials import Credential, KeepsCredentials, secret_hash


@dataclass(frozen=True)
class Checked:
    """A token's check: its principal, or why it is refused."""

    principal: Principal | None
    refusal: str = ""


class TokenGate:
    """Issues tokens for credentials and checks them; owned by one app."""

    def __init__(
        self,
        tokens: Tokens | None = None,
        limits: LoginLimits | None = None,
        hasher: Callable[[str, str], str] = secret_hash,
    ) -> None:
        self.tokens, self.limits, self.hasher = tokens or Tokens(), limits or LoginLimits(), hasher
        self._dummy = secrets.token_hex(32)
        """What an unknown id's secret is compared with (its hash is never this)."""

    async def exchange(self, store: Store, client_id: str, secret: str, address: str) -> str | None:
        """A token for ``client_id`` if ``secret`` is its own and it is active, else None
        (a failure, counted); :class:`~ocean.errors.RateLimitedError` when over the limits."""
        self.limits.check(client_id, address)
        # no client id holds NUL (PostgreSQL could not even be asked): a failure like another
        credential = None if "\x00" in client_id else await _credential(store, client_id)
        expected = credential.secret_hash if credential is not None else self._dummy
        actual = await asyncio.to_thread(self.hasher, client_id, secret)
        matches = hmac.compare_digest(actual, expected)
        if credential is None or not matches or not credential.active:
            self.limits.failed(client_id, address)
            return None
        return self.tokens.issue(client_id, credential.version)

    async def check(self, store: Store, authorization: str | None) -> Checked:
        """The principal of a request's ``Authorization``, checked against its credential."""
        grant = self.tokens.grant_of(authorization)
        if grant is None:
            return Checked(
                None, "a valid Bearer token is required; get one from POST /v1/auth/access_token"
            )
        credential = await _credential(store, grant.client_id)
        if credential is None or not credential.active:
            self.tokens.forget(grant.client_id)
            return Checked(
                None,
                f"the credential {grant.client_id} this token was issued for was revoked: "
                "use another credential (`ocean catalog credentials create`)",
            )
        if credential.version != grant.version:
            self.tokens.forget(grant.client_id)
            return Checked(
                None,
                f"the credential {grant.client_id} was rotated after this token was issued: "
                "get a new token with its new secret",
            )
        return Checked(Principal.of(credential))


async def _credential(store: Store, client_id: str) -> Credential | None:
    if not isinstance(store, KeepsCredentials):
        return None
    return await store.get_credential(client_id)
