"""The ONCE listener: one resync, then the caller exits (non-zero if it failed)."""

from __future__ import annotations

from ocean.monitor.report import ResyncReport
from ocean.resync import Observer, ResyncJob, run_resync
from ocean.sail import Sail
from ocean.store.base import Store
from ocean.transform.pool import TransformPool


def _pool(sail: Sail) -> TransformPool | None:
    """Worker processes, only when some resource needs jq and more than one is allowed."""
    workers = sail.settings.transform_workers
    probe = TransformPool.needed(sail.resources)
    return (
        TransformPool(sail.resources, env=sail.env, workers=workers)
        if workers > 1 and probe
        else None
    )


async def run_once(
    sail: Sail, store: Store, observer: Observer, *, trigger: str = "manual"
) -> ResyncReport:
    """Create missing blueprints, run start hooks, then one resync."""
    created = await store.create_blueprints(sail.folder.blueprints)
    hook_errors = []
    for hook in sail.folder.integration.start_hooks:
        try:
            await hook()
        except Exception as error:
            hook_errors.append(
                f"on_start hook {hook.__qualname__} raised {type(error).__name__}: {error}"
            )
    pool = _pool(sail)
    job = ResyncJob(
        integration=sail.folder.integration,
        mapping=sail.folder.mapping,
        resources=sail.resources,
        store=store,
        owner=sail.owner,
        observer=observer,
        pool=pool,
    )
    try:
        report = await run_resync(job, trigger=trigger)
    finally:
        if pool is not None:
            pool.close()
    report.created_blueprints = created
    report.errors = hook_errors + report.errors
    return report
