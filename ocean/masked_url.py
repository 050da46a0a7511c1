"""A URL as people may be shown it (an error message, a page): its passwords left out.

One helper for every URL Ocean repeats (a PostgreSQL catalog's, a Redis queue's); it imports
nothing, so that what shows a URL needs none of the clients that connect to it.
"""

from __future__ import annotations

import re
import urllib.parse

MASK = "***"
_SECRET_PARAMETER = re.compile(r"(?i)([?&;](?:ssl)?password=)[^&;#]*")
"""A query parameter carrying a password, as libpq, asyncpg and redis-py read them
(``?password=...``, ``&sslpassword=...``: the client key's passphrase)."""


def without_password(url: str) -> str:
    """``url`` with its passwords, if any, replaced by ``***``: the one before the host
    (``user:***@host``) and those of the query (``?password=***``, ``sslpassword=***``);
    the rest (scheme, user, hosts, database, other parameters) as written."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url  # a file path: no password
    head, mark, query = rest.partition("?")
    userinfo, at, hosts = head.rpartition("@")  # the last @: a password may hold one
    user, colon, _ = userinfo.partition(":")
    if at and colon and "/" not in user:
        head = f"{user}:{MASK}@{hosts}"
    if mark:
        query = _SECRET_PARAMETER.sub(rf"\g<1>{MASK}", mark + query)[1:]
    return f"{scheme}{sep}{head}{mark}{query}"


def passwords(url: str) -> list[str]:
    """The passwords :func:`without_password` leaves out of ``url`` (as written, and decoded
    where that differs): what a log must not show either."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return []
    head, _, query = rest.partition("?")
    userinfo, at, _ = head.rpartition("@")
    user, colon, password = userinfo.partition(":")
    found = [password] if at and colon and "/" not in user and password else []
    found += [m.group(0).split("=", 1)[1] for m in _SECRET_PARAMETER.finditer("?" + query)]
    decoded = [urllib.parse.unquote(text) for text in found]
    return [text for text in dict.fromkeys([*found, *decoded]) if text]
