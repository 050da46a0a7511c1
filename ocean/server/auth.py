"""Access tokens for the catalog server: issued for machine credentials, expiring."""

from __future__ import annotations

import secrets
import time


class Tokens:
    """Bearer tokens this server process issued, with their expiry."""

    def __init__(self, lifetime: float = 3 * 3600) -> None:
        self.lifetime = lifetime
        self._expiry: dict[str, float] = {}

    def issue(self) -> str:
        token = secrets.token_urlsafe(32)
        self._expiry[token] = time.monotonic() + self.lifetime
        return token

    def valid(self, authorization: str | None) -> bool:
        if not authorization or not authorization.startswith("Bearer "):
            return False
        expiry = self._expiry.get(authorization.removeprefix("Bearer ").strip())
        return expiry is not None and time.monotonic() < expiry
