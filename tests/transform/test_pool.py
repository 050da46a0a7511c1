"""The worker pool maps jq-heavy batches exactly as the in-process mapper does."""

from __future__ import annotations

from ocean.mapping import parse_resource
from ocean.transform.mapper import CompiledResource
from ocean.transform.pool import TransformPool

HEAVY = parse_resource(
    {
        "kind": "repo",
        "selector": {"query": '.id % 7 != 0 and (.name | test("^r"))'},
        "port": {
            "entity": {
                "mappings": {
                    "identifier": ".name | ascii_upcase",
                    "blueprint": '"repo"',
                    "title": ".name",
                    "properties": {
                        "tags": "[.tags[] | select(length > 1)] | sort",
                        "bad": ".name + 1",
                    },
                }
            }
        },
    }
)
ITEMS = [
    {"id": i, "name": f"r{i}" if i % 5 else f"x{i}", "tags": ["a", f"t{i}", "bb"]}
    for i in range(600)
]


async def test_pool_results_equal_in_process_results() -> None:
    resource = CompiledResource(HEAVY, env=None)
    pool = TransformPool([resource], workers=2)
    try:
        assert pool.wanted(resource, len(ITEMS))
        pooled = await pool.map_items(resource, ITEMS, parse_all=True)
    finally:
        pool.close()

    local = resource.map_items(ITEMS, parse_all=True)
    assert pooled.passed == local.passed
    assert pooled.failed == local.failed
    assert (pooled.skipped, len(pooled.errors), pooled.inputs) == (
        local.skipped,
        len(local.errors),
        local.inputs,
    )
    assert pooled.misconfigurations == local.misconfigurations == {"properties.bad": ".name + 1"}


def test_fast_resources_and_small_batches_stay_in_process() -> None:
    fast = CompiledResource(
        parse_resource(
            {
                "kind": "k",
                "port": {"entity": {"mappings": {"identifier": ".id", "blueprint": '"b"'}}},
            }
        ),
        env=None,
    )
    heavy = CompiledResource(HEAVY, env=None, index=1)
    pool = TransformPool([fast, heavy], workers=2)
    try:
        assert not pool.wanted(fast, 10_000)
        assert not pool.wanted(heavy, 10)
        assert pool.wanted(heavy, 1_000)
    finally:
        pool.close()
