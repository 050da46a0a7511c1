"""Request bodies of the catalog server: read within a cap, then checked field by field.

A body is refused by its ``Content-Length`` before it is read, and otherwise read as a
stream that stops at the route's cap, so no body over it is ever held whole. Each cap:

- ``SMALL_BODY`` (1 MiB): the integration resource, tokens, blueprints, searches, resync
  states and the ingest sinks;
- bulk upserts, bulk deletes, ownership scans and page records: Port's 1 MiB, or the
  32 MiB the server offers Ocean's own client (:mod:`ocean.store.port.limits`).

A bulk upsert carries at most the entities the caller was offered (20, or 1,000 for
Ocean's client), a bulk delete at most its identifiers (100, or 1,000). A field of the
wrong type is a :class:`RequestError` naming it (answered 422), never a server error.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import orjson
from starlette.requests import Request

from ocean import request_body
from ocean.errors import RequestError, RequestTooLargeError
from ocean.store.base import iso_at
from ocean.store.port.limits import CLIENT_HEADER, OCEAN_SERVER, PORT, Limits
from ocean.store.writes import dumps

SMALL_BODY = 1024 * 1024
"""The cap of every body but the bulk ones: an integration record or a blueprint is kilobytes."""
_LONG_NUMBER = re.compile(rb"\d{19}")
"""Digits enough for an integer past 64 bits (a body holding one is read again, exactly)."""


def limits_of(request: Request) -> Limits:
    """What the caller may send: Ocean's client read the server's larger limits."""
    return OCEAN_SERVER if request.headers.get(CLIENT_HEADER) else PORT


def bulk_cap(request: Request) -> int:
    """The body cap of the bulk routes for this caller."""
    return limits_of(request).bulk_bytes


async def read_capped(request: Request, cap: int) -> bytes:
    """The body, refused (413) by its declared length, or as soon as it passes ``cap``."""
    declared = request.headers.get("content-length")
    if declared is not None and not declared.isdigit():
        raise RequestError(f"Content-Length {declared!r:.40} is not a number of bytes")

    def too_large(length: int | None) -> RequestTooLargeError:
        return _too_large(cap, f"over {cap:,} bytes" if length is None else f"{length:,} bytes")

    return await request_body.read_capped(request, cap, too_large)


def _too_large(cap: int, sent: str) -> RequestTooLargeError:
    return RequestTooLargeError(
        f"the request body is {sent}; this route takes at most {cap:,} bytes: "
        "send fewer or smaller entities per call"
    )


async def json_object(request: Request, cap: int = SMALL_BODY) -> dict[str, Any]:
    """The body as a JSON object (an empty body is ``{}``)."""
    raw = await read_capped(request, cap)
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError as error:
        raise RequestError(f"the request body is not JSON: {error}") from None
    if _LONG_NUMBER.search(raw):  # orjson reads integers past 64 bits as floats
        body = json.loads(raw)
    if not isinstance(body, dict):
        raise RequestError(
            f"the request body must be a JSON object, got {_described(body)}; "
            'send {"field": value, ...}'
        )
    return body


def entity_objects(body: dict[str, Any], most: int) -> list[dict[str, Any]]:
    """``entities`` as a list of at most ``most`` entity objects."""
    entities = _listed(body, "entities", "a list of entity objects", most)
    for index, entity in enumerate(entities):
        if not isinstance(entity, dict):
            raise RequestError(
                f"entities[{index}] must be an entity object "
                f'({{"identifier": ..., "properties": {{...}}}}), got {_described(entity)}'
            )
    return entities


def identifiers(body: dict[str, Any], most: int) -> list[str]:
    """``entities`` as a list of at most ``most`` identifiers."""
    listed = _listed(body, "entities", "a list of entity identifiers", most)
    for index, identifier in enumerate(listed):
        if not isinstance(identifier, str) or not identifier:
            raise RequestError(
                f"entities[{index}] must be an entity identifier (a non-empty string), "
                f"got {_described(identifier)}"
            )
    return listed


def _listed(body: dict[str, Any], field: str, what: str, most: int) -> list[Any]:
    value = body.get(field)
    if not isinstance(value, list):
        raise RequestError(f"{field} must be {what}, got {_described(value)}")
    if len(value) > most:
        raise RequestTooLargeError(
            f"{field} holds {len(value):,} items; this route takes at most {most:,} per call: "
            "split them over several calls"
        )
    return value


def text(body: dict[str, Any], field: str, *, required: bool = True) -> str | None:
    """A string field (None when absent or null and not ``required``)."""
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise RequestError(f"{field} must be a non-empty string, got {_described(value)}")
    return value


def moment(body: dict[str, Any], field: str) -> str | None:
    """A timestamp field as clients send it: a string, or null (empty: null too)."""
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise RequestError(f"{field} must be a timestamp string or null, got {_described(value)}")
    return value or None


def instant(body: dict[str, Any], field: str) -> str | None:
    """An ISO-8601 time field (any offset; none: UTC) in the form the catalog stamps its
    writes with (:func:`~ocean.store.base.now_iso`), which it compares as text; None
    when absent or null."""
    value = text(body, field, required=False)
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return iso_at(moment)
    except (ValueError, OverflowError):
        raise RequestError(
            f"{field} must be an ISO-8601 time such as 2026-01-31T12:00:00.000Z, got "
            f"{_described(value)}"
        ) from None


def number(body: dict[str, Any], field: str, default: int) -> int:
    """A whole-number field, ``default`` when absent."""
    value = body.get(field, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RequestError(f"{field} must be a whole number, got {_described(value)}")
    return value


def cursor(body: dict[str, Any], field: str) -> tuple[str, str] | None:
    """A ``[blueprint, identifier]`` pair, None when absent or null."""
    value = body.get(field)
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise RequestError(
            f"{field} must be [blueprint, identifier] as the last page's 'next' gave it, "
            f"got {_described(value)}"
        )
    return value[0], value[1]


def _described(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    kind = names.get(type(value), "a number")
    return f"{kind} ({dumps(value)[:60]})"
