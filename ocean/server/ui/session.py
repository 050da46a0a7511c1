"""Browser sessions of the web UI: a signed, HttpOnly, SameSite=Strict cookie naming a
session this process keeps, with the catalog token it signed in with and its CSRF token.

The cookie holds only a random session id and its HMAC (a key made when the process
starts: tokens live in the process too, so a restart signs everyone out either way).
Every form carries the session's CSRF token, compared in constant time. The sign-in form
keeps nothing here: its cookie holds a random nonce and the time it was made, and its CSRF
token is their HMAC (a session is made only once a credential signs in).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field

COOKIE = "ocean_session"
LOGIN_COOKIE = "ocean_login"
MOST = 4096
"""Live sessions kept at most: a new one past this forgets the least recently used."""


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

    def __init__(
        self, lifetime: float = 8 * 3600, key: bytes | None = None, most: int = MOST
    ) -> None:
        self.lifetime, self.most = lifetime, most
        self._key = key or secrets.token_bytes(32)
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        """Least recently used first."""

    def __len__(self) -> int:
        return len(self._sessions)

    def new(self) -> Session:
        while len(self._sessions) >= self.most:  # the least recently used (expired first)
            self._sessions.popitem(last=False)
        session = Session(secrets.token_urlsafe(24), secrets.token_urlsafe(24))
        self._sessions[session.id] = session
        return session

    def login_nonce(self, cookie: str | None) -> str:
        """The sign-in form's cookie: ``cookie`` while it is fresh, else a new one."""
        if cookie and self._fresh(cookie):
            return cookie
        return f"{secrets.token_urlsafe(24)}.{int(time.time())}"

    def login_csrf(self, nonce: str) -> str:
        """The sign-in form's CSRF token for its cookie ``nonce``."""
        return self._sign(f"login:{nonce}")

    def login_holds(self, cookie: str | None, sent: object) -> bool:
        """Whether a posted sign-in form came from a form this process gave this browser."""
        if not cookie or not isinstance(sent, str) or not self._fresh(cookie):
            return False
        return _same(sent, self.login_csrf(cookie))

    def _fresh(self, nonce: str) -> bool:
        made = nonce.rsplit(".", 1)[-1]  # a cookie's: ASCII digits, a few of them, or stale
        if not (made.isascii() and made.isdigit() and len(made) <= 20):
            return False
        return 0 <= time.time() - int(made) <= self.lifetime

    def cookie(self, session: Session) -> str:
        """The cookie value naming ``session``: its id and the id's signature."""
        return f"{session.id}.{self._sign(session.id)}"

    def of(self, cookie: str | None) -> Session | None:
        """The live session a cookie names, if its signature holds."""
        if not cookie or "." not in cookie:
            return None
        identifier, signature = cookie.rsplit(".", 1)
        if not _same(signature, self._sign(identifier)):
            return None
        session = self._sessions.get(identifier)
        now = time.monotonic()
        if session is None or now - session.touched > self.lifetime:
            return None
        session.touched = now
        self._sessions.move_to_end(identifier)
        return session

    def end(self, session: Session) -> None:
        self._sessions.pop(session.id, None)

    def _sign(self, identifier: str) -> str:
        return hmac.new(self._key, identifier.encode(), hashlib.sha256).hexdigest()


def csrf_holds(session: Session, sent: object) -> bool:
    """Whether a form's ``csrf`` field is the session's token."""
    return isinstance(sent, str) and _same(sent, session.csrf)


def _same(sent: str, expected: str) -> bool:
    """``sent == expected`` in constant time; compared as UTF-8 bytes, as
    ``hmac.compare_digest`` refuses a ``str`` past ASCII (a cookie's or a form's)
    with a TypeError."""
    return hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), expected.encode())
