"""A small in-memory Port API for the client's tests, served through httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from ocean.store.port.limits import CLIENT_HEADER, HEADER


class FakePort:
    """Records every call; ``failures`` queues status codes to answer before the real one."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.resync_states: list[dict[str, Any]] = []
        self.integrations: dict[str, dict[str, Any]] = {}
        self.tokens_issued = 0
        self.entities: dict[tuple[str, str], dict[str, Any]] = {}
        self.blueprints: dict[str, dict[str, Any]] = {}
        self.failures: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.reject: Callable[[dict[str, Any]], str | None] = lambda _entity: None
        self.max_bulk_bytes: int | None = None
        self.expire_token = False
        self.offered: str | None = None
        """An ``X-Ocean-Limits`` value to answer tokens with (as Ocean's own server does)."""
        self.client_headers: list[str | None] = []

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path.removeprefix("/v1"), request.method
        self.calls.append((method, path, request.headers.get("user-agent", "")))
        self.client_headers.append(request.headers.get(CLIENT_HEADER))
        route = f"{method} {path.split('/')[1] if path.count('/') else path}"
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
        queued = self.failures.get(f"{method} {path}") or self.failures.get(route)
        if queued:
            status, headers = queued.pop(0)
            return httpx.Response(
                status,
                headers=headers,
                json={"ok": False, "error": "busy", "message": f"answered {status}"},
            )
        body = json.loads(request.content) if request.content else None
        return self._route(method, path, body, request)

    def _route(self, method: str, path: str, body: Any, request: httpx.Request) -> httpx.Response:
        parts = path.strip("/").split("/")
        if parts[0] == "integration" and not path.endswith(("/resync-state", "/resync-request")):
            return self._integration(method, parts, body)
        if path == "/blueprints" or (parts[0] == "blueprints" and method == "PATCH"):
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
            for identifier in body["entities"]:
                self.entities.pop((parts[1], identifier), None)
            return httpx.Response(200, json={"ok": True, "deletedEntities": body["entities"]})
        if path.endswith("/resync-state"):
            self.resync_states.append(body)
            return httpx.Response(200, json={"ok": True, "integration": {"resyncState": body}})
        return httpx.Response(404, json={"ok": False, "error": "not_found", "message": path})

    def _integration(self, method: str, parts: list[str], body: Any) -> httpx.Response:
        if method == "POST":
            self.integrations[body["installationId"]] = body
            return httpx.Response(200, json={"ok": True, "integration": body})
        record = self.integrations.get(parts[1])
        if record is None:
            return httpx.Response(404, json={"ok": False, "error": "not_found", "message": "no"})
        record.update(body or {})
        return httpx.Response(200, json={"ok": True, "integration": record})

    def _blueprints(self, method: str, parts: list[str], body: Any) -> httpx.Response:
        if method == "GET":
            return httpx.Response(
                200, json={"ok": True, "blueprints": list(self.blueprints.values())}
            )
        if method == "POST":
            self.blueprints[body["identifier"]] = body
            return httpx.Response(201, json={"ok": True, "blueprint": body})
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
                self.entities[(blueprint, entity["identifier"])] = entity | {
                    "datasource": request.headers["user-agent"]
                }
                done.append({"index": index, "identifier": entity["identifier"], "created": True})
        return httpx.Response(
            207 if errors else 200, json={"ok": True, "entities": done, "errors": errors}
        )

    def _search(self, query: dict[str, Any]) -> httpx.Response:
        rules = {rule.get("property"): rule.get("value") for rule in query.get("rules", [])}
        related = [
            rule["value"] for rule in query.get("rules", []) if rule.get("operator") == "relatedTo"
        ]
        found = [
            {k: v for k, v in entity.items() if k != "datasource"}
            for (blueprint, identifier), entity in self.entities.items()
            if rules.get("$blueprint", blueprint) == blueprint
            and identifier in rules.get("$identifier", [identifier])
            and all(_relates(entity, target) for target in related)
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


def _relates(entity: dict[str, Any], target: str) -> bool:
    values = (entity.get("relations") or {}).values()
    return any(target == value or (isinstance(value, list) and target in value) for value in values)
