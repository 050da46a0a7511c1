"""A small in-memory Port API for the client's tests, served through httpx.MockTransport."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from ocean.store.port.http import PortHTTP
from ocean.store.port.limits import CLIENT_HEADER, HEADER
from ocean.store.port.store import PortAPIStore


class Recording(httpx.AsyncBaseTransport):
    """A transport noting each request's method and path before passing it on."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.calls = inner, list[tuple[str, str]]()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)


@contextlib.asynccontextmanager
async def oceans_own_server(folder: Path) -> AsyncIterator[tuple[PortAPIStore, Recording]]:
    """Ocean's own catalog server (a SQLite file in ``folder``) reached as a Port API, and
    the calls it was sent."""
    from ocean.server.app import create_app  # (the fake Port's other tests need no server)
    from ocean.store.open import open_store

    catalog = await open_store(str(folder / "served.db"))
    client_id, secret = await catalog.create_credentials("tests")
    transport = Recording(httpx.ASGITransport(app=create_app(catalog)))
    served = PortAPIStore.connect("http://ocean.test", client_id, secret, transport=transport)
    try:
        yield served, transport
    finally:
        await served.close()
        await catalog.close()


def client(port: FakePort, **settings: Any) -> PortAPIStore:
    """A Port API client of ``port``, retrying without waiting long."""
    settings.setdefault("base_delay", 0.001)
    http = PortHTTP("https://port.test", "id", "secret", user_agent="port-ocean/test",
                    transport=port.transport(), **settings)  # fmt: skip
    return PortAPIStore(http)


class FakePort:
    """Records every call; ``failures`` queues status codes to answer before the real one;
    ``dropped``, ``lost`` and ``cut`` count the next calls of a route (``METHOD /path``)
    whose connection fails before Port sees them, whose answer is lost after Port did what
    they asked, or whose JSON answer is cut short."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.resync_states: list[dict[str, Any]] = []
        self.integrations: dict[str, dict[str, Any]] = {}
        self.tokens_issued = 0
        self.entities: dict[tuple[str, str], dict[str, Any]] = {}
        self.blueprints: dict[str, dict[str, Any]] = {}
        self.failures: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.dropped: dict[str, int] = {}
        self.lost: dict[str, int] = {}
        self.cut: dict[str, int] = {}
        self.latency = 0.0
        """Seconds each answer takes (calls then overlap, as over a network)."""
        self.reject: Callable[[dict[str, Any]], str | None] = lambda _entity: None
        self.max_bulk_bytes: int | None = None
        self.expire_token = False
        self.offered: str | None = None
        """An ``X-Ocean-Limits`` value to answer tokens with (as Ocean's own server does)."""
        self.client_headers: list[str | None] = []
        self.params: list[tuple[str, str, dict[str, str]]] = []
        """Each call's method, path and query parameters."""
        self.deletions: list[tuple[str, list[str], str]] = []
        """Each bulk deletion's blueprint, identifiers and ``delete_dependents``."""
        self.keep: set[tuple[str, str]] = set()
        """Entities a bulk deletion leaves out of ``deletedEntities`` (kept)."""
        self.not_found_listed = False
        """A bulk deletion names missing entities in ``notFound`` (as Ocean's catalog
        server does) rather than answering 404 (as Port does)."""
        self.acks: list[Any] = []
        """The body of each acknowledgement of an action run."""
        self.examples: dict[tuple[str, str], list[Any]] = {}
        """The raw examples given per (integration, kind), the last given."""
        self.ingest_url: str | None = None
        """The ``metricAttributes.ingestUrl`` integration records are answered with (None:
        none); the calls to it, under ``/ingest/`` of this host, are recorded in
        ``metric_calls``."""
        self.metric_calls: list[tuple[str, str, Any]] = []
        """Each sync-metrics and heartbeat call's method, path and body."""
        self.log_ingest_url: str | None = None
        """The ``logAttributes.ingestUrl`` integration records are answered with (None:
        none); what is POSTed to it (a URL of this host) is recorded in ``log_posts``."""
        self.log_posts: list[Any] = []
        """The body of each call to the log ingest URL."""
        self.defaults: dict[str, list[Any]] = {}
        """The bodies of actions, scorecards and pages created, by path."""

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._slowly if self.latency else self.handle)

    async def _slowly(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(self.latency)
        return self.handle(request)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path.removeprefix("/v1"), request.method
        self.calls.append((method, path, request.headers.get("user-agent", "")))
        self.params.append((method, path, dict(request.url.params)))
        self.client_headers.append(request.headers.get(CLIENT_HEADER))
        name = f"{method} {path}"
        if _take(self.dropped, name):
            raise httpx.ConnectTimeout("connection timed out", request=request)
        route = f"{method} {path.split('/')[1] if path.count('/') else path}"
        queued = self.failures.get(name) or self.failures.get(route)
        if queued:
            status, headers = queued.pop(0)
            return httpx.Response(
                status,
                headers=headers,
                json={"ok": False, "error": "busy", "message": f"answered {status}"},
            )
        response = self._answer(method, path, request)
        if _take(self.lost, name):
            raise httpx.ReadTimeout("read timed out", request=request)
        if _take(self.cut, name):
            whole = response.content
            return httpx.Response(
                response.status_code,
                content=whole[: len(whole) // 2],
                headers={"content-type": "application/json"},
            )
        return response

    def _answer(self, method: str, path: str, request: httpx.Request) -> httpx.Response:
        if path == "/auth/access_token":
            self.tokens_issued += 1
            return httpx.Response(
                200,
                json={
                    "ok": True,
                    "accessToken": f"t{self.tokens_issued}",
                    "expiresIn": 3600,
                    "tokenType": "Bearer",
                },
                headers={HEADER: self.offered} if self.offered else None,
            )
        if self.expire_token and request.headers.get("authorization") == "Bearer t1":
            return httpx.Response(
                401, json={"ok": False, "error": "token_expired", "message": "expired"}
            )
        body = json.loads(request.content) if request.content else None
        if self.log_ingest_url and str(request.url) == self.log_ingest_url:
            self.log_posts.append(body)
            return httpx.Response(200, json={"ok": True})
        if path.startswith("/ingest/"):  # the metrics ingest URL it names (ingest_url)
            self.metric_calls.append((method, path, body))
            return httpx.Response(200, json={"ok": True})
        return self._route(method, path, body, request)

    def _route(self, method: str, path: str, body: Any, request: httpx.Request) -> httpx.Response:
        parts = path.strip("/").split("/")
        if parts[0] == "integration" and not path.endswith(("/resync-state", "/resync-request")):
            return self._integration(method, parts, body)
        if path == "/blueprints" or (
            parts[0] == "blueprints" and len(parts) == 2 and method in ("GET", "PATCH", "DELETE")
        ):
            return self._blueprints(method, parts, body)
        if path.endswith("/entities/bulk"):
            return self._bulk(parts[1], body["entities"], request)
        if (
            parts[0] == "blueprints"
            and parts[-1] == "entities"
            and method == "POST"
            and len(parts) == 3
        ):
            self.entities[(parts[1], body["identifier"])] = body | {
                "datasource": request.headers["user-agent"]
            }
            return httpx.Response(201, json={"ok": True, "entity": body})
        if path == "/entities/search":
            return self._search(body)
        if path == "/blueprints/entities/datasource-entities":
            return self._owned(body)
        if path.endswith("/bulk/entities/delete"):
            dependents = request.url.params.get("delete_dependents", "")
            return self.bulk_delete(parts[1], body["entities"], dependents)
        return self._noted(method, path, body)

    def _noted(self, method: str, path: str, body: Any) -> httpx.Response:
        """Calls only noted: acknowledgements, resync states, actions, scorecards, pages."""
        if path == "/actions/runs/ack" and method == "PATCH":
            self.acks.append(body)
            return httpx.Response(200, json={"ok": True})
        if method == "POST" and _a_default(path.strip("/").split("/")):
            self.defaults.setdefault(path, []).append(body)
            return httpx.Response(201, json={"ok": True})
        if path.endswith("/resync-state"):
            self.resync_states.append(body)
            return httpx.Response(200, json={"ok": True, "integration": {"resyncState": body}})
        return httpx.Response(404, json={"ok": False, "error": "not_found", "message": path})

    def _integration(self, method: str, parts: list[str], body: Any) -> httpx.Response:
        if parts[2:3] == ["kinds"] and parts[-1] == "examples":
            self.examples[(parts[1], parts[3])] = body["examples"]
            return httpx.Response(200, json={"ok": True})
        if method == "POST":
            self.integrations[body["installationId"]] = body
            return httpx.Response(200, json={"ok": True, "integration": body | self._attributes()})
        record = self.integrations.get(parts[1])
        if record is None:
            return httpx.Response(404, json={"ok": False, "error": "not_found", "message": "no"})
        record.update(body or {})
        return httpx.Response(200, json={"ok": True, "integration": record | self._attributes()})

    def _attributes(self) -> dict[str, Any]:
        """What Port adds to an integration's record: where its metrics and its logs go."""
        found: dict[str, Any] = {}
        if self.ingest_url:
            found["metricAttributes"] = {"ingestUrl": self.ingest_url}
        if self.log_ingest_url:
            found["logAttributes"] = {"ingestUrl": self.log_ingest_url}
        return found

    def _blueprints(self, method: str, parts: list[str], body: Any) -> httpx.Response:
        if method == "GET" and len(parts) == 2:
            if parts[1] not in self.blueprints:
                return httpx.Response(404, json={"ok": False, "error": "not_found"})
            return httpx.Response(200, json={"ok": True, "blueprint": self.blueprints[parts[1]]})
        if method == "GET":
            return httpx.Response(
                200, json={"ok": True, "blueprints": list(self.blueprints.values())}
            )
        if method == "POST":
            self.blueprints[body["identifier"]] = body
            return httpx.Response(201, json={"ok": True, "blueprint": body})
        if method == "DELETE":
            self.blueprints.pop(parts[1], None)
            return httpx.Response(200, json={"ok": True})
        self.blueprints[parts[1]].update(body)
        return httpx.Response(200, json={"ok": True, "blueprint": self.blueprints[parts[1]]})

    def _bulk(
        self, blueprint: str, entities: list[dict[str, Any]], request: httpx.Request
    ) -> httpx.Response:
        if self.max_bulk_bytes is not None and len(request.content) > self.max_bulk_bytes:
            return httpx.Response(
                413, json={"ok": False, "error": "too_large", "message": "request too large"}
            )
        done, errors = [], []
        for index, entity in enumerate(entities):
            if not isinstance(entity["identifier"], str):  # a search identifier: none matches
                errors.append(
                    {"index": index, "identifier": "unknown", "statusCode": 404,
                     "error": "not_found", "message": "no entity matches the search identifier"}
                )  # fmt: skip
                continue
            problem = self.reject(entity)
            if problem:
                errors.append(
                    {
                        "index": index,
                        "identifier": entity["identifier"],
                        "statusCode": 422,
                        "error": "invalid",
                        "message": problem,
                    }
                )
            else:
                created = (blueprint, entity["identifier"]) not in self.entities
                self.entities[(blueprint, entity["identifier"])] = entity | {
                    "datasource": request.headers["user-agent"]
                }
                done.append(
                    {"index": index, "identifier": entity["identifier"], "created": created}
                )
        return httpx.Response(
            207 if errors else 200, json={"ok": True, "entities": done, "errors": errors}
        )

    def bulk_delete(
        self, blueprint: str, identifiers: list[str], dependents: str
    ) -> httpx.Response:
        """As port-api.md 4.3 and 10 say: 404 when one is missing, and, without
        ``delete_dependents``, 422 (nothing deleted) when one still has a dependent outside
        the request; ``keep`` leaves some out of ``deletedEntities``."""
        self.deletions.append((blueprint, list(identifiers), dependents))
        missing = [i for i in identifiers if (blueprint, i) not in self.entities]
        if missing and not self.not_found_listed:
            return _error(404, "not_found", f"entities {missing} of {blueprint} not found")
        identifiers = [i for i in identifiers if i not in missing]
        asked = {(blueprint, i) for i in identifiers}
        for key, entity in self.entities.items():
            hit = sorted(i for i in identifiers if _relates(entity, i))
            if dependents == "false" and hit and key not in asked:
                return _error(422, "has_dependents", f"{blueprint}/{hit[0]} has dependent {key}")
        deleted = [i for i in identifiers if (blueprint, i) not in self.keep]
        for identifier in deleted:
            self.entities.pop((blueprint, identifier))
        answer = {"ok": True, "deletedEntities": deleted}
        return httpx.Response(200, json=answer | ({"notFound": missing} if missing else {}))

    def _search(self, query: dict[str, Any]) -> httpx.Response:
        found = [
            {k: v for k, v in entity.items() if k != "datasource"} | {"blueprint": key[0]}
            for key, entity in self.entities.items()
            if all(_matches(rule, key, entity) for rule in query.get("rules", []))
        ]
        return httpx.Response(200, json={"ok": True, "entities": found})

    def _owned(self, body: dict[str, Any]) -> httpx.Response:
        owned = sorted(
            key
            for key, entity in self.entities.items()
            if entity["datasource"].startswith(body["datasource_prefix"])
            and entity["datasource"].endswith(body["datasource_suffix"])
        )
        start = int(body.get("from") or 0)
        page = owned[start : start + body["limit"]]
        following = start + body["limit"] if start + body["limit"] < len(owned) else None
        return httpx.Response(
            200,
            json={
                "ok": True,
                "entities": [{"blueprint": b, "identifier": i} for b, i in page],
                "next": following,
            },
        )


def _matches(rule: dict[str, Any], key: tuple[str, str], entity: dict[str, Any]) -> bool:
    """The rules Ocean's client sends: ``$blueprint =``, ``$identifier in``, ``$datasource
    contains`` and ``relatedTo`` (one target or a list)."""
    value = rule.get("value")
    if rule.get("operator") == "relatedTo":
        return any(
            _relates(entity, target) for target in (value if isinstance(value, list) else [value])
        )
    field = rule.get("property")
    if field == "$blueprint":
        return bool(key[0] == value)
    if field == "$identifier":
        return key[1] in value
    if field == "$datasource":
        return str(value) in str(entity.get("datasource", ""))
    return True


def _take(counts: dict[str, int], name: str) -> bool:
    """Whether one of ``counts[name]`` is left (then one fewer)."""
    if counts.get(name, 0) <= 0:
        return False
    counts[name] -= 1
    return True


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"ok": False, "error": code, "message": message})


def _relates(entity: dict[str, Any], target: str) -> bool:
    values = (entity.get("relations") or {}).values()
    return any(target == value or (isinstance(value, list) and target in value) for value in values)


def _a_default(parts: list[str]) -> bool:
    """An action, a scorecard or a page: ``POST`` creates one."""
    return parts in (["actions"], ["pages"]) or (
        len(parts) == 3 and parts[0] == "blueprints" and parts[2] == "scorecards"
    )
