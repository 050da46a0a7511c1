"""A persistent process pool for mapping large batches of jq-heavy resources.

The pure-Python fast path maps most leaves in microseconds, far less than it costs to
pickle an item to another process, so the pool only pays off when a resource has leaves
that need jq. :meth:`TransformPool.wanted` decides per batch. Workers are started once per
resync and compile each resource's mapping once, on its first batch there
(:mod:`ocean.transform.mapping_spec`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ocean.transform.leaf import leaves
from ocean.transform.mapper import CompiledResource, MapResult
from ocean.transform.mapping_spec import MappingSpec, compiled

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

MIN_BATCH = 256
"""Smaller batches are mapped in-process: splitting them costs more than it saves."""


def _map_in_worker(spec: MappingSpec, items: list[Any], parse_all: bool, first: int) -> MapResult:
    return compiled(spec).map_items(items, parse_all=parse_all, first=first)


class TransformPool:
    """Worker processes that each hold the compiled mapping of one resync."""

    def __init__(self, resources: list[CompiledResource], *, workers: int) -> None:
        self.workers = workers
        self._needs_jq = {r.index: _needs_jq(r) for r in resources}
        self._specs = {r.index: MappingSpec.of(r) for r in resources}
        self._executor: ProcessPoolExecutor | None = None  # started on first use

    def _workers(self) -> ProcessPoolExecutor:
        if self._executor is None:
            import multiprocessing  # only a resync that uses the pool pays for the import
            from concurrent.futures import ProcessPoolExecutor

            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
            )
        return self._executor

    @staticmethod
    def needed(resources: list[CompiledResource]) -> bool:
        """Whether any resource could use the pool at all."""
        return any(_needs_jq(resource) for resource in resources)

    def wanted(self, resource: CompiledResource, size: int) -> bool:
        """Whether spreading this batch over the workers is worth it."""
        return self._needs_jq.get(resource.index, False) and size >= MIN_BATCH

    async def map_items(
        self, resource: CompiledResource, items: list[Any], *, parse_all: bool = False
    ) -> MapResult:
        """Map ``items`` across the workers; the result is the same as mapping in-process
        (errors name an item by its place in ``items``)."""
        loop, workers = asyncio.get_running_loop(), self._workers()
        spec = self._specs[resource.index]
        size = -(-len(items) // self.workers)
        parts = await asyncio.gather(
            *(
                loop.run_in_executor(
                    workers, _map_in_worker, spec, items[first : first + size], parse_all, first
                )
                for first in range(0, len(items), size)
            )
        )
        result = MapResult()
        for part in parts:
            result.extend(part)
        return result

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)


def _needs_jq(resource: CompiledResource) -> bool:
    expressions = [leaf.expression for leaf in [resource.selector, *leaves(resource.fields)]]
    return any(e is not None and not e.is_fast for e in expressions)
