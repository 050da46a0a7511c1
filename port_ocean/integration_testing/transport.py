"""HTTP transports for integration tests: canned third-party answers, and recording.

:class:`InterceptTransport` answers each request with the first route that matches it (a
method, a URL part, pattern or predicate, and an answer: an ``httpx.Response``, a dict such
as ``{"status_code": 200, "json": {...}}``, or a function of the request giving either);
every exchange is logged. :class:`RecordingTransport` sends requests to the real API and
logs them, to write the routes from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

Answer = httpx.Response | dict[str, Any]
"""What a route answers: a response, or ``status_code`` / ``json`` / ``body`` / ``headers``."""
Responder = Answer | Callable[[httpx.Request], Answer]
UrlPattern = str | re.Pattern[str] | Callable[[httpx.Request], bool]

_PATTERN_CHARACTERS = frozenset(r"\.+*?[](){}|^$")
PORT_API = "localhost:5555"
"""Where the original's harness points the Port API: calls there are not third-party ones."""


def _decoded(content: bytes, *, text_fallback: bool) -> Any:
    """A body as JSON, else (``text_fallback``) as text, else as its size."""
    if not content:
        return None
    try:
        return json.loads(content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        pass
    if text_fallback:
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return f"<{len(content)} bytes>"


@dataclass
class RequestLog:
    """One request a transport answered, and its answer."""

    request: httpx.Request
    response: httpx.Response

    def to_dict(self) -> dict[str, Any]:
        """The exchange as JSON values (bodies parsed when they are JSON)."""
        return {
            "method": self.request.method,
            "url": str(self.request.url),
            "request_headers": dict(self.request.headers),
            "request_body": _decoded(self.request.content, text_fallback=False),
            "response_status": self.response.status_code,
            "response_body": _decoded(self.response.content, text_fallback=True),
        }


@dataclass
class Route:
    """A canned answer for the requests that match ``method`` (None: any) and ``url_pattern``
    (a string: part of the URL; a compiled pattern: searched in it; a function of the
    request), at most ``times`` times (None: always)."""

    method: str | None
    url_pattern: UrlPattern
    response_factory: Responder
    times: int | None = None
    _call_count: int = field(default=0, init=False)

    def matches(self, request: httpx.Request) -> bool:
        if self.times is not None and self._call_count >= self.times:
            return False
        if self.method is not None and request.method.upper() != self.method.upper():
            return False
        pattern = self.url_pattern
        if isinstance(pattern, re.Pattern):
            return pattern.search(str(request.url)) is not None
        if isinstance(pattern, str):
            return pattern in str(request.url)
        return bool(pattern(request))

    def build_response(self, request: httpx.Request) -> httpx.Response:
        """The answer to ``request`` (counted as one use of the route)."""
        self._call_count += 1
        factory = self.response_factory
        answer = factory if isinstance(factory, httpx.Response | dict) else factory(request)
        if isinstance(answer, httpx.Response):
            answer.request = request
            return answer
        if isinstance(answer, dict):
            return _response_of(answer, request)
        raise TypeError(f"Unexpected response type: {type(answer)}")


def _response_of(answer: dict[str, Any], request: httpx.Request) -> httpx.Response:
    headers = dict(answer.get("headers") or {})
    if "json" in answer:
        content = json.dumps(answer["json"]).encode("utf-8")
        headers.setdefault("content-type", "application/json")
    else:
        body = answer.get("body", "")
        content = body.encode("utf-8") if isinstance(body, str) else bytes(body or b"")
    return httpx.Response(
        status_code=int(answer.get("status_code", 200)),
        content=content,
        headers=headers,
        request=request,
    )


class UnmatchedRequestError(Exception):
    """A strict :class:`InterceptTransport` got a request no route matches."""


class InterceptTransport(httpx.AsyncBaseTransport):
    """Answers requests from routes, the first matching route winning. A request no route
    matches raises :class:`UnmatchedRequestError` when ``strict``, else is answered 404."""

    def __init__(self, strict: bool = True) -> None:
        self._routes: list[Route] = []
        self._call_log: list[RequestLog] = []
        self.strict = strict

    def add_route(
        self,
        method: str | None,
        url_pattern: UrlPattern,
        response: Responder,
        *,
        times: int | None = None,
    ) -> InterceptTransport:
        """Add a route (after the others); a string holding a regular-expression character
        is a pattern, searched in the URL. Returns the transport, to chain calls."""
        if isinstance(url_pattern, str) and _PATTERN_CHARACTERS & set(url_pattern):
            url_pattern = re.compile(url_pattern)
        self._routes.append(Route(method, url_pattern, response, times))
        return self

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        route = next((route for route in self._routes if route.matches(request)), None)
        if route is not None:
            response = route.build_response(request)
        elif self.strict:
            registered = [(r.method, r.url_pattern) for r in self._routes]
            raise UnmatchedRequestError(
                f"No route matched: {request.method} {request.url}\nRegistered routes: {registered}"
            )
        else:
            response = httpx.Response(404, content=b"No route matched", request=request)
        self._call_log.append(RequestLog(request=request, response=response))
        return response

    @property
    def calls(self) -> list[RequestLog]:
        """Every exchange so far, in order."""
        return list(self._call_log)

    def calls_for(self, url_substring: str) -> list[RequestLog]:
        """The exchanges whose URL holds ``url_substring``."""
        return [call for call in self._call_log if url_substring in str(call.request.url)]

    def print_call_log(self, include_port: bool = False) -> str:
        """Print (and return) one line per exchange; Port API calls only with ``include_port``."""
        lines = []
        for index, entry in enumerate(self._call_log):
            url = str(entry.request.url)
            if not include_port and PORT_API in url:
                continue
            preview = ""
            if entry.request.content:
                try:
                    preview = f"  body: {entry.request.content.decode('utf-8')[:200]}"
                except UnicodeDecodeError:
                    preview = f"  body: <{len(entry.request.content)} bytes>"
            status = entry.response.status_code
            lines.append(f"  [{index}] {entry.request.method} {url} → {status}{preview}")
        output = "\n".join([f"HTTP Call Log ({len(lines)} calls):", *(lines or ["  (no calls)"])])
        print(output)
        return output

    def reset(self) -> None:
        """Forget the exchanges and how often each route answered."""
        self._call_log.clear()
        for route in self._routes:
            route._call_count = 0


class RecordingTransport(httpx.AsyncBaseTransport):
    """Sends requests to the real API and logs each exchange (bodies read)."""

    def __init__(self) -> None:
        self._real_transport = httpx.AsyncHTTPTransport()
        self._call_log: list[RequestLog] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._real_transport.handle_async_request(request)
        await response.aread()
        self._call_log.append(RequestLog(request=request, response=response))
        return response

    @property
    def calls(self) -> list[RequestLog]:
        return list(self._call_log)

    def reset(self) -> None:
        self._call_log.clear()

    async def aclose(self) -> None:
        await self._real_transport.aclose()
