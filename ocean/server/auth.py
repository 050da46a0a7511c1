"""Access tokens for the catalog server: issued for a credential at one version, expiring.

A token only says which credential (client id) it was issued to and at which version;
whether that credential still holds (not revoked, not rotated since) is asked of the
catalog on every request (:class:`ocean.server.login.TokenGate`), so revoking or rotating
takes effect at once, from any process sharing the catalog.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Grant:
    """What a token was issued for."""

    client_id: str
    version: int
    expires: float


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value (the scheme in any case, as
    HTTP's schemes are); None for anything else."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class Tokens:
    """Bearer tokens this server process issued, with what they were issued for."""

    def __init__(self, lifetime: float = 3 * 3600) -> None:
        self.lifetime = lifetime
        self._grants: dict[str, Grant] = {}

    def issue(self, client_id: str, version: int) -> str:
        now = time.monotonic()
        if len(self._grants) >= 1024:  # forget the expired ones now and then
            self._grants = {t: g for t, g in self._grants.items() if g.expires > now}
        token = secrets.token_urlsafe(32)
        self._grants[token] = Grant(client_id, version, now + self.lifetime)
        return token

    def grant_of(self, authorization: str | None) -> Grant | None:
        """The grant of ``Bearer <token>``, if this process issued it and it has not expired."""
        token = bearer_token(authorization)
        grant = self._grants.get(token) if token is not None else None
        return grant if grant is not None and time.monotonic() < grant.expires else None

    def forget(self, client_id: str) -> None:
        """Drop every token of ``client_id`` (its credential was revoked or rotated)."""
        self._grants = {t: g for t, g in self._grants.items() if g.client_id != client_id}
