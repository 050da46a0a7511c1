"""A kind's handlers as the resync drives them: one that fails does not stop the others."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ocean.integration import Integration
from ocean.types import RawBatch
from tests.extract.conftest import extracted


def _integration(failing: set[str]) -> Integration:
    """Three handlers of kind 'repo': a list, a generator failing after its first batch
    (when asked), and a generator after them."""
    ocean = Integration()

    @ocean.on_resync("repo")
    async def listed(kind: str) -> RawBatch:
        if "listed" in failing:
            raise RuntimeError("the list endpoint answered 500")
        return [{"id": "a"}]

    @ocean.on_resync("repo")
    async def paged(kind: str) -> AsyncIterator[RawBatch]:
        yield [{"id": "b"}]
        if "paged" in failing:
            raise RuntimeError("page 2 timed out")
        yield [{"id": "c"}]

    @ocean.on_resync()
    async def catch_all(kind: str) -> AsyncIterator[RawBatch]:
        if "catch_all" in failing:
            yield "not a list"  # type: ignore[misc]
        yield [{"id": "d"}]

    return ocean


@pytest.mark.parametrize(
    ("failing", "ids", "messages"),
    [
        (set(), ["a", "b", "c", "d"], []),
        ({"listed"}, ["b", "c", "d"], ["the list endpoint answered 500"]),
        ({"paged"}, ["a", "b", "d"], ["page 2 timed out"]),
        ({"catch_all"}, ["a", "b", "c"], ["gave a str"]),
        (
            {"listed", "paged"},
            ["b", "d"],
            ["2 handlers failed", "the list endpoint answered 500", "page 2 timed out"],
        ),
    ],
    ids=["none", "list", "generator", "bad-batch", "two"],
)
async def test_a_failing_handler_leaves_the_others_running_and_fails_the_kind(
    failing: set[str], ids: list[str], messages: list[str]
) -> None:
    read, error = await extracted(_integration(failing), "repo")

    assert read == ids
    if not messages:
        assert error is None
        return
    assert error is not None and error.kind == "repo"
    assert str(error).startswith("kind 'repo': ")
    assert all(message in str(error) for message in messages)
    assert str(error).count("kind 'repo'") == 1
