"""Fields the integration resolves itself (``file://README.md``): a value it cannot give
is null and reported as misconfigured, as the original reports it, unless expected."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ocean.extract.fields import resolve_fields
from ocean.mapping import parse_resource
from ocean.transform.mapper import CompiledResource

FILES = {"README.md": "# hello"}


class Files:
    """Resolves ``file://NAME`` from :data:`FILES`: None for a file that is not there, an
    error for ``file://broken``."""

    def claims(self, text: str) -> bool:
        return text.startswith("file://")

    async def resolve(self, item: Any, text: str) -> Any:
        name = text.removeprefix("file://")
        if name == "broken":
            raise RuntimeError("the API answered 500")
        return FILES.get(name)


@pytest.mark.parametrize(
    ("text", "expect_null", "value", "misconfigured"),
    [
        ("file://README.md", [], "# hello", {}),
        ("file://MISSING.md", [], None, {"properties.readme": "file://MISSING.md"}),
        ("file://broken", [], None, {"properties.readme": "file://broken"}),
        ("file://MISSING.md", ["properties.readme"], None, {}),
        ("file://broken", ["properties.*"], None, {}),
    ],
    ids=["found", "none", "error", "none-expected", "error-expected"],
)
async def test_a_resolved_field_that_comes_back_none_is_misconfigured_unless_expected(
    text: str, expect_null: list[str], value: Any, misconfigured: dict[str, str]
) -> None:
    mappings = {"identifier": ".id", "blueprint": '"repo"', "properties": {"readme": text}}
    resource = parse_resource(
        {"kind": "repo", "expectNull": expect_null, "port": {"entity": {"mappings": mappings}}}
    )
    compiled = CompiledResource(resource, env=None, resolver=Files())

    result = compiled.map_items([{"id": "api"}])
    await resolve_fields(compiled, result)

    (entity,) = result.passed
    assert entity["properties"] == {"readme": value}
    assert result.misconfigurations == misconfigured


class CancelledForOne:
    """Resolves every item's field after a while, but item ``a``'s: a task it awaits is
    cancelled by another component (its CancelledError is not the resync's stop)."""

    def __init__(self) -> None:
        self.resolved: list[str] = []

    def claims(self, text: str) -> bool:
        return text.startswith("file://")

    async def resolve(self, item: Any, text: str) -> Any:
        if item["id"] == "a":
            fetch = asyncio.ensure_future(asyncio.sleep(10))
            asyncio.get_running_loop().call_soon(fetch.cancel)
            await asyncio.gather(fetch)
        await asyncio.sleep(0.05)
        self.resolved.append(item["id"])
        return "# hello"


async def test_a_field_cancelled_from_inside_is_null_and_the_others_are_resolved() -> None:
    """It failed the page (the kind) with the others' resolutions left running unwatched."""
    mappings = {"identifier": ".id", "blueprint": '"repo"', "properties": {"readme": "file://R"}}
    resource = parse_resource({"kind": "repo", "port": {"entity": {"mappings": mappings}}})
    resolver = CancelledForOne()
    compiled = CompiledResource(resource, env=None, resolver=resolver)

    result = compiled.map_items([{"id": "a"}, {"id": "b"}])
    await resolve_fields(compiled, result)

    assert resolver.resolved == ["b"]  # resolved before resolve_fields returned
    assert [e["properties"] for e in result.passed] == [{"readme": None}, {"readme": "# hello"}]
    assert result.misconfigurations == {"properties.readme": "file://R"}
