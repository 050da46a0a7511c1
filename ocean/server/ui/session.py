"""Browser sessions of the web UI: a signed, HttpOnly, SameSite=Strict cookie naming a
session this process keeps, with the catalog token it signed in with and its CSRF token.

The cookie holds only a random session id and its HMAC (a key made when the process
starts: tokens live in the process too, so a restart signs everyone out either way).
Every form carries the session's CSRF token, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

COOKIE = "ocean_session"
_MOST = 4096


@dataclass
class Session:
    """One browser's session (``token`` is None until it signs in)."""

    id: str
    csrf: str
    token: str | None = None
    client_id: str | None = None
    flash: str | None = None
    """A message for the next page (such as "resync requested")."""
    touched: float = field(default_factory=time.monotonic)


class Sessions:
    """The sessions of this process, expiring after ``lifetime`` seconds unused."""

    def __init__(self, lifetime: float = 8 * 3600, key: bytes | None = None) -> None:
        self.lifetime = lifetime
        self._key = key or secrets.token_bytes(32)
        self._sessions: dict[str, Session] = {}

    def new(self) -> Session:
        now = time.monotonic()
        if len(self._sessions) >= _MOST:  # forget the expired ones now and then
            self._sessions = {
                k: s for k, s in self._sessions.items() if now - s.touched < self.lifetime
            }
        session = Session(secrets.token_urlsafe(24), secrets.token_urlsafe(24))
        self._sessions[session.id] = session
        return session

    def cookie(self, session: Session) -> str:
        """The cookie value naming ``session``: its id and the id's signature."""
        return f"{session.id}.{self._sign(session.id)}"

    def of(self, cookie: str | None) -> Session | None:
        """The live session a cookie names, if its signature holds."""
        if not cookie or "." not in cookie:
            return None
        identifier, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._sign(identifier)):
            return None
        session = self._sessions.get(identifier)
        now = time.monotonic()
        if session is None or now - session.touched > self.lifetime:
            return None
        session.touched = now
        return session

    def end(self, session: Session) -> None:
        self._sessions.pop(session.id, None)

    def _sign(self, identifier: str) -> str:
        return hmac.new(self._key, identifier.encode(), hashlib.sha256).hexdigest()


def csrf_holds(session: Session, sent: object) -> bool:
    """Whether a form's ``csrf`` field is the session's token."""
    return isinstance(sent, str) and hmac.compare_digest(sent, session.csrf)
