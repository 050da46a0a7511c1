"""Reading an HTTP request's body within a size cap, shared by the catalog server and the
live-event route: refused by its declared length before anything is read, else as soon as
the stream passes the cap. The live-event route reads the ASGI channel itself
(:func:`read_capped_from`): it runs thousands of times a second, and Starlette's request,
its headers and its stream cost about as much as the reading."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive


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


async def read_capped_from(
    receive: Receive, declared: str, cap: int, too_large: Callable[[int | None], Exception]
) -> bytes:
    """:func:`read_capped` from the ASGI ``receive`` channel, ``declared`` being the
    Content-Length header ("" when there is none); ClientDisconnect when the client left."""
    if declared.isdigit() and int(declared) > cap:
        raise too_large(int(declared))
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            raise too_large(None)
        if not message.get("more_body", False):
            return b"".join([*chunks, chunk]) if chunks else chunk
        chunks.append(chunk)
