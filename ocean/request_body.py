"""Reading an HTTP request's body within a size cap, shared by the catalog server and the
live-event route: refused by its declared length before anything is read, else as soon as
the stream passes the cap."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request


async def read_capped(
    request: Request, cap: int, too_large: Callable[[int | None], Exception]
) -> bytes:
    """The body, or ``too_large(declared length)`` raised (None: found while streaming)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise too_large(int(declared))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise too_large(None)
        chunks.append(chunk)
    return b"".join(chunks)
