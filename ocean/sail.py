"""Compose an integration run from a folder, the environment and the command line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocean.config.config_file import load_config_file
from ocean.config.settings import DEFAULT_CATALOG, Settings, load_settings
from ocean.config.spec import IntegrationSpec, build_integration_config
from ocean.configuration import Configuration
from ocean.folder import IntegrationFolder, load_folder
from ocean.resync_lease import this_process
from ocean.store.base import LeaseHolder, Owner
from ocean.transform.mapper import CompiledResource, compile_resources


@dataclass
class Sail:
    """An integration ready to run: loaded, configured, its mapping compiled."""

    folder: IntegrationFolder
    settings: Settings
    owner: Owner
    resources: list[CompiledResource]
    env: dict[str, str] | None
    lease_holder: LeaseHolder = field(default_factory=this_process)
    """Who this process is when it takes its integration's resync lease."""

    @property
    def catalog_url(self) -> str:
        """``--catalog`` / ``OCEAN__CATALOG__URL``, else the ``port:`` section's Port API when
        it has credentials, else the embedded catalog."""
        port = self.settings.port
        if self.settings.catalog.url:
            return self.settings.catalog.url
        if port.base_url and port.client_id and port.client_secret:
            return port.base_url
        return DEFAULT_CATALOG

    @property
    def credentials(self) -> tuple[str, str] | None:
        port = self.settings.port
        return (
            (port.client_id, port.client_secret) if port.client_id and port.client_secret else None
        )


def prepare(path: Path, *, environ: Mapping[str, str], overrides: Mapping[str, Any]) -> Sail:
    """Load and validate everything before any data is fetched."""
    from_file = load_config_file(path / "config.yaml", environ)
    settings = load_settings(environ=environ, from_file=from_file, overrides=overrides)
    file_config = (from_file.get("integration") or {}).get("config") or {}
    given = (overrides.get("integration") or {}).get("config") or {}
    file_config = {**file_config, **given}  # overrides (config_override) over config.yaml

    def configure(spec: IntegrationSpec) -> Configuration:
        config = build_integration_config(spec, environ=environ, from_file=file_config)
        return Configuration(config, settings)

    folder = load_folder(path, resources_path=settings.resources_path, configure=configure)
    env = dict(environ) if settings.allow_environment_variables_jq_access else None
    integration_type = settings.integration.type or folder.name
    owner = Owner(
        integration_type=integration_type,
        identifier=settings.integration.identifier or f"my-{integration_type}-integration",
        version=folder.version,
    )
    resolver = folder.integration.field_resolver()
    resources = compile_resources(folder.mapping.resources, env=env, resolver=resolver)
    return Sail(folder=folder, settings=settings, owner=owner, resources=resources, env=env)
