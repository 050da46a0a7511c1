"""Compose an integration run from a folder, the environment and the command line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocean.config.config_file import load_config_file
from ocean.config.settings import DEFAULT_CATALOG, Settings, load_settings
from ocean.config.spec import build_integration_config
from ocean.folder import IntegrationFolder, load_folder
from ocean.monitor.report import ResyncReport
from ocean.resync import Observer, ResyncJob, run_resync
from ocean.store.base import Owner, Store
from ocean.transform.mapper import CompiledResource, compile_resources
from ocean.transform.pool import TransformPool


@dataclass
class Sail:
    """An integration ready to run: loaded, configured, its mapping compiled."""

    folder: IntegrationFolder
    settings: Settings
    owner: Owner
    resources: list[CompiledResource]
    env: dict[str, str] | None

    @property
    def catalog_url(self) -> str:
        return self.settings.catalog.url or DEFAULT_CATALOG


def prepare(path: Path, *, environ: Mapping[str, str], overrides: Mapping[str, Any]) -> Sail:
    """Load and validate everything before any data is fetched."""
    from_file = load_config_file(path / "config.yaml", environ)
    settings = load_settings(environ=environ, from_file=from_file, overrides=overrides)
    folder = load_folder(path, resources_path=settings.resources_path)
    file_config = (from_file.get("integration") or {}).get("config") or {}
    folder.integration.configure(
        build_integration_config(folder.spec, environ=environ, from_file=file_config)
    )
    env = dict(environ) if settings.allow_environment_variables_jq_access else None
    integration_type = settings.integration.type or folder.name
    owner = Owner(
        integration_type=integration_type,
        identifier=settings.integration.identifier or f"my-{integration_type}-integration",
        version=folder.version,
    )
    resources = compile_resources(folder.mapping.resources, env=env)
    return Sail(folder=folder, settings=settings, owner=owner, resources=resources, env=env)


def _pool(sail: Sail) -> TransformPool | None:
    """Worker processes, only when some resource needs jq and more than one is allowed."""
    workers = sail.settings.transform_workers
    probe = TransformPool.needed(sail.resources)
    return (
        TransformPool(sail.resources, env=sail.env, workers=workers)
        if workers > 1 and probe
        else None
    )


async def sail_once(
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
