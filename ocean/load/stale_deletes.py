"""A resync's deletion plan carried out: its stale entities deleted a chunk at a time,
what went counted into the report, and why the catalog kept some said.

The plan is closed (nothing outside it relates to it): no cascade in the catalog, and an
entity related to meanwhile (a live event) is kept, not taken along. Other writers wait
for one chunk's transaction at most; the chunks are ordered on a thread (a million keys
take seconds, and the lease is renewed meanwhile).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from ocean.job import ResyncJob
from ocean.load.deletion import DeletionPlan, Graph, causes_for, in_chunks
from ocean.monitor.report import KindReport, ResyncReport
from ocean.store.base import DeleteResult, StopsBetweenCalls
from ocean.types import EntityKey

DELETE_CHUNK = 10000
"""Stale entities deleted per transaction at most: deleting 100k took 1.4 s in one (on
either backend), all that time holding off other writers (live events, the catalog
server): the embedded catalog's every writer, PostgreSQL's of the blueprints relating
to what goes."""


async def delete_planned(
    job: ResyncJob,
    report: ResyncReport,
    plan: DeletionPlan,
    graph: Graph,
    kinds: dict[str, KindReport],
) -> None:
    """Delete the plan a chunk at a time, counting into ``report`` (and into the kind of
    ``kinds`` that names each entity's blueprint)."""
    chunks = await asyncio.to_thread(in_chunks, plan.delete, graph, DELETE_CHUNK)
    results: list[DeleteResult] = []
    stops = isinstance(job.store, StopsBetweenCalls)
    try:
        for chunk in chunks:
            await _delete_chunk(job, report, plan, chunk, kinds, results, stops=stops)
    finally:
        report.deletion_notes.extend(_kept_meanwhile(results))
        report.deletion_notes.extend(_unmapped_deleted(results, kinds))


async def _delete_chunk(
    job: ResyncJob,
    report: ResyncReport,
    plan: DeletionPlan,
    chunk: list[EntityKey],
    kinds: dict[str, KindReport],
    results: list[DeleteResult],
    *,
    stops: bool,
) -> None:
    """Delete one chunk, counting what went into ``report`` and its outcome into
    ``results``. A resync stopped meanwhile (a shutdown, a newer trigger, a lost lease)
    waits for the chunk before it stops where the catalog deletes it all the same
    (SQLite's thread or process runs a call to its end; PostgreSQL may have committed),
    under the lease still held, and the report counts what went (before, a false 0). A
    catalog whose call stops between its requests (a Port API) is stopped at once."""
    causes = await asyncio.to_thread(causes_for, chunk, plan.causes) if plan.causes else None
    deleting = asyncio.ensure_future(
        job.store.delete_entities(
            chunk,
            delete_dependents=False,
            fence=job.fence,
            written_before=report.started_at,
            causes=causes,
        )
    )
    try:
        await (deleting if stops else asyncio.shield(deleting))
    finally:  # (stopped: once the chunk's deletion has ended)
        await _chunk_ended(report, deleting, len(chunk))
        if not deleting.cancelled() and deleting.exception() is None:
            result = deleting.result()
            report.deleted += len(result.deleted)
            report.deleted_by_cascade += len(set(result.deleted) & plan.causes.keys())
            _attribute(result.deleted, kinds)
            results.append(result)


def _attribute(deleted: list[EntityKey], kinds: dict[str, KindReport]) -> None:
    for blueprint, _ in deleted:
        if (kind := kinds.get(blueprint)) is not None:
            kind.deleted += 1


async def _chunk_ended(report: ResyncReport, deleting: asyncio.Future[Any], size: int) -> None:
    """Wait for a chunk's deletion to end (it has, unless the resync was stopped); should
    it have been stopped (a Port API's), or the resync stopped again meanwhile, the report
    says that what went of the chunk is not counted."""
    unknown = (
        f"stopped while the catalog deleted a chunk of {size} stale entities: what it "
        "deleted of them is not counted in deleted"
    )
    report.deletion_notes.append(unknown)
    await asyncio.wait([deleting])
    if not deleting.cancelled():
        report.deletion_notes.remove(unknown)


def _unmapped_deleted(results: list[DeleteResult], kinds: dict[str, KindReport]) -> list[str]:
    """Which blueprints lost stale entities that no kind maps (counted in the run's
    ``deleted``, in no kind's): a blueprint the mapping no longer names."""
    lost = Counter(bp for result in results for bp, _ in result.deleted if bp not in kinds)
    if not lost:
        return []
    counts = ", ".join(f"{bp} ({count})" for bp, count in sorted(lost.items()))
    return [
        f"deleted {lost.total()} stale entities of blueprints no kind of the mapping "
        f"produces any more: {counts} (counted in the run's deleted, in no kind's row)"
    ]


def _kept_meanwhile(results: list[DeleteResult]) -> list[str]:
    """Why the catalog kept entities of the plan, one sentence each."""
    written = [key for result in results for key in result.written]
    blocked = [item for result in results for item in result.blocked.items()]
    spared = [key for result in results for key in result.spared]
    notes = []
    if written:
        notes.append(
            f"kept {len(written)} stale entities written since the resync started (a live "
            f"event, say), e.g. {written[0]}"
        )
    if blocked:
        key, users = blocked[0]
        notes.append(
            f"kept {len(blocked)} stale entities that entities written during the resync "
            f"relate to, or kept ones in turn, e.g. {key} used by {users[:3]}"
        )
    if spared:
        notes.append(
            f"kept {len(spared)} entities the cascade would have taken along for entities "
            f"written (or related to) since the resync started, e.g. {spared[0]}"
        )
    return notes
