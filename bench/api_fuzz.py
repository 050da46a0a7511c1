"""Property-based fuzzing of the catalog server against its own OpenAPI document.

Hypothesis draws requests from ``/openapi.json``: an operation, its path parameters (ids
that exist, and arbitrary text), its query parameters and its JSON body from the
published schemas, and, a quarter of the time, a body or parameter that breaks them
(arbitrary JSON, wrong types) as schemathesis's negative mode would. Each request goes to
the app in-process (``httpx.ASGITransport``) over a real catalog seeded with blueprints,
entities, relations, mirror and calculation properties. Checked for every answer: no
5xx, a JSON body (``/docs`` aside), a status the document lists for the operation, and
for a success ``ok: true`` with the fields the schema requires.

    python bench/api_fuzz.py [--examples 5000] [--catalog sqlite|postgresql] [--seed N]

The test suite runs a small version (``tests/server/test_api_fuzz.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import re
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocean.server.app import create_app
from ocean.store.base import Store
from ocean.store.open import open_store

IDS = ["service", "team", "svc-1", "svc-2", "core", "a/b", "x+y", "nope", ""]
_JSON_LEAF = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
ANY_JSON = st.recursive(
    _JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
SEED_BLUEPRINTS = [
    {"identifier": "team", "title": "Team", "schema": {"properties": {"size": {"type": "number"}}}},
    {
        "identifier": "service",
        "title": "Service",
        "schema": {"properties": {"url": {"type": "string"}, "stars": {"type": "number"}}},
        "relations": {"team": {"target": "team", "many": False, "required": False}},
        "mirrorProperties": {"team_size": {"path": "team.size"}},
        "calculationProperties": {
            "double": {"calculation": ".properties.stars * 2", "type": "number"}
        },
    },
]


@dataclass
class Summary:
    """What a run found."""

    requests: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    operations: collections.Counter[str] = field(default_factory=collections.Counter)
    failures: list[str] = field(default_factory=list)

    def text(self, seconds: float) -> str:
        top = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return (
            f"{self.requests} requests over {len(self.operations)} operations in {seconds:.1f} s; "
            f"statuses {top}; {len(self.failures)} failures"
            + "".join(f"\n  - {failure}" for failure in self.failures[:20])
        )


class Fuzzer:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.operations = [
            (path, method, op)
            for path, methods in sorted(document["paths"].items())
            for method, op in sorted(methods.items())
            if path != "/docs"
        ]

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def value(self, schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
        """Values matching ``schema`` (the subset of JSON Schema the document uses)."""
        schema = self._resolve(schema)
        if depth > 3:
            return _JSON_LEAF
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return st.one_of([self.value(s, depth + 1) for s in schema[key]])
        kinds = schema.get("type")
        if isinstance(kinds, list):
            return st.one_of([self.value({**schema, "type": k}, depth) for k in kinds])
        return self._typed(schema, kinds, depth)

    def _typed(self, schema: dict[str, Any], kind: Any, depth: int) -> st.SearchStrategy[Any]:
        if kind == "object" or "properties" in schema:
            properties = {
                k: self.value(v, depth + 1) for k, v in schema.get("properties", {}).items()
            }
            required = set(schema.get("required", []))
            return st.fixed_dictionaries(
                {k: v for k, v in properties.items() if k in required},
                optional={k: v for k, v in properties.items() if k not in required},
            )
        if kind == "array":
            return st.lists(self.value(schema.get("items", {}), depth + 1), max_size=3)
        if kind == "string":
            if schema.get("format") == "date-time":
                return st.datetimes().map(lambda d: d.isoformat() + "Z") | st.text(max_size=10)
            return st.sampled_from(IDS) | st.text(max_size=12)
        if kind in ("number", "integer"):
            return st.integers(-5, 2000) | st.floats(allow_nan=False, allow_infinity=False)
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        return ANY_JSON

    def request(self) -> st.SearchStrategy[tuple[str, str, str, list[tuple[str, str]], Any]]:
        """(operation name, method, URL path, query pairs, body or None)."""

        @st.composite
        def draw(pick: st.DrawFn) -> tuple[str, str, str, list[tuple[str, str]], Any]:
            path, method, op = pick(st.sampled_from(self.operations))
            broken = pick(st.integers(0, 3)) == 0  # negative: break the body or a parameter
            url, query = path, []
            for parameter in op.get("parameters", []):
                if parameter["in"] == "path":
                    segment = pick(st.sampled_from(IDS[:-1]) | st.text(min_size=1, max_size=10))
                    url = url.replace(
                        "{" + parameter["name"] + "}", urllib.parse.quote_plus(segment)
                    )
                elif pick(st.booleans()):
                    query += _query(
                        parameter["name"], pick(self.value(parameter["schema"])), broken
                    )
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            body = None
            if content is not None:
                body = pick(
                    ANY_JSON if broken and pick(st.booleans()) else self.value(content["schema"])
                )
            return f"{method.upper()} {path}", method.upper(), url, query, body

        return draw()


def _query(name: str, value: Any, broken: bool) -> list[tuple[str, str]]:
    values = value if isinstance(value, list) else [value]
    if broken:
        return [(name, str(v)) for v in values]
    return [(name, str(v).lower() if isinstance(v, bool) else str(v)) for v in values]


async def _seed(http: httpx.AsyncClient) -> None:
    for blueprint in SEED_BLUEPRINTS:
        await http.post("/v1/blueprints", json=blueprint)
    await http.post(
        "/v1/blueprints/team/entities", json={"identifier": "core", "properties": {"size": 3}}
    )
    for identifier in ("svc-1", "svc-2", "a/b", "x+y"):
        entity = {
            "identifier": identifier,
            "properties": {"stars": 1},
            "relations": {"team": "core"},
        }
        await http.post("/v1/blueprints/service/entities", json=entity)


def check(summary: Summary, op: dict[str, Any], name: str, answer: httpx.Response) -> None:
    """Record the answer, and what is wrong with it."""
    summary.requests += 1
    summary.statuses[answer.status_code] += 1
    summary.operations[name] += 1
    problem = None
    if answer.status_code >= 500:
        problem = f"server error {answer.status_code}: {answer.text[:200]}"
    elif not answer.headers.get("content-type", "").startswith("application/json"):
        problem = f"not JSON ({answer.headers.get('content-type')})"
    elif str(answer.status_code) not in op["responses"]:
        problem = f"status {answer.status_code} is not documented"
    elif answer.status_code < 300 and name != "GET /openapi.json":
        body = answer.json()
        schema = op["responses"][str(answer.status_code)]["content"]["application/json"]["schema"]
        missing = [k for k in schema.get("required", []) if k not in body]
        if body.get("ok") is not True or missing:
            problem = f"success body without ok: true or {missing}"
    if problem is not None:
        summary.failures.append(f"{name} -> {problem} ({answer.request.url})")


def fuzz(url: str, examples: int, seed: int | None = None) -> Summary:
    """Run ``examples`` generated requests against an app over the catalog at ``url``
    (call from synchronous code: the requests run on a loop of their own). Without
    ``seed`` the run is the same every time (derandomized)."""
    loop = asyncio.new_event_loop()
    summary = Summary()
    store: Store = loop.run_until_complete(open_store(url))
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(store), raise_app_exceptions=False),
        base_url="http://fuzz",
    )

    async def start() -> dict[str, Any]:
        client_id, secret = await store.create_credentials("fuzz")
        body = {"clientId": client_id, "clientSecret": secret}
        token = (await http.post("/v1/auth/access_token", json=body)).json()["accessToken"]
        http.headers["Authorization"] = f"Bearer {token}"
        await _seed(http)
        return dict((await http.get("/openapi.json")).json())

    fuzzer = Fuzzer(loop.run_until_complete(start()))
    operations = {f"{m.upper()} {p}": op for p, m, op in fuzzer.operations}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=seed is None,
        suppress_health_check=list(HealthCheck),
    )
    @given(fuzzer.request())
    def one(drawn: tuple[str, str, str, list[tuple[str, str]], Any]) -> None:
        name, method, url, query, body = drawn
        extra = {} if body is None else {"json": body}
        answer = loop.run_until_complete(http.request(method, url, params=query, **extra))
        check(summary, operations[name], name, answer)

    try:
        (one if seed is None else hypothesis_seed(seed)(one))()
    finally:
        loop.run_until_complete(http.aclose())
        loop.run_until_complete(store.close())
        loop.close()
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--catalog", default="sqlite", help="sqlite, or a postgresql:// URL")
    parser.add_argument("--seed", type=int, default=None)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = str(Path(folder) / "fuzz.db") if options.catalog == "sqlite" else options.catalog
        started = time.perf_counter()
        summary = fuzz(url, options.examples, options.seed)
        seconds = time.perf_counter() - started
    print(f"catalog {re.sub(r'//.*@', '//', options.catalog)}: {summary.text(seconds)}")
    sys.exit(1 if summary.failures else 0)


if __name__ == "__main__":
    main()
