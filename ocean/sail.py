"""Compose an integration run from a folder, the environment and the command line."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocean.config.config_file import ConfigFile, read_config_file
from ocean.config.dotenv import with_dotenv
from ocean.config.settings import DEFAULT_CATALOG, Settings, load_settings
from ocean.config.spec import IntegrationSpec, build_integration_config, sensitive_values
from ocean.config.variables import unknown_file_keys, unknown_variables
from ocean.configuration import Configuration
from ocean.errors import ConfigError
from ocean.folder import IntegrationFolder, load_folder
from ocean.monitor.sensitive import hide_sensitive
from ocean.resync_lease import this_process
from ocean.store.base import Owner
from ocean.store.lease import LeaseHolder
from ocean.transform.mapper import CompiledResource, compile_resources

_log = logging.getLogger(__name__)

PORT_API = "https://api.getport.io"
"""The Port API a ``port:`` section's credentials go to without a ``baseUrl`` (the
original's default)."""


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
    config_file: ConfigFile = field(default_factory=ConfigFile)
    """The folder's ``config.yaml`` as read (which of its templates found no variable)."""

    @property
    def catalog_url(self) -> str:
        """``--catalog`` / ``OCEAN__CATALOG__URL``, else the ``port:`` section's Port API
        (Port's own without a ``baseUrl``) when it has credentials, else the embedded catalog.

        Settings that name the Port API (its URL or a credential) without both credentials
        are refused (:class:`ConfigError`) rather than synced into the embedded catalog."""
        port = self.settings.port
        if self.settings.catalog.url:
            return self.settings.catalog.url
        if port.client_id and port.client_secret:
            return port.base_url or PORT_API
        if port.base_url or port.client_id or port.client_secret:
            raise ConfigError(_half_a_port_section(self.settings, self.config_file))
        return DEFAULT_CATALOG

    @property
    def credentials(self) -> tuple[str, str] | None:
        port = self.settings.port
        return (
            (port.client_id, port.client_secret) if port.client_id and port.client_secret else None
        )


def _lowered_type(given: str) -> str:
    """The integration type, lower-cased as the original does. Ocean kept a type with
    capitals as written until 7477f6c, so what it wrote under one is another owner's now:
    said, with what to do."""
    lowered = given.lower()
    if lowered != given:
        _log.warning(
            "the integration type %r is taken as %r (lower-cased, as port-ocean does): "
            "entities an earlier Ocean wrote as %r are not this integration's now; set "
            "OCEAN__INTEGRATION__IDENTIFIER to keep the identifier, and delete those "
            "entities if they are stale (a resync of this integration no longer does)",
            given, lowered, given,
        )  # fmt: skip
    return lowered


def prepare(
    path: Path, *, environ: Mapping[str, str], overrides: Mapping[str, Any], dotenv: bool = True
) -> Sail:
    """Load and validate everything before any data is fetched; ``environ`` over the
    variables of the ``.env`` files (:mod:`ocean.config.dotenv`) unless ``dotenv`` is false."""
    if dotenv:
        environ = with_dotenv(environ, path)
    file = read_config_file(path / "config.yaml", environ)
    settings = load_settings(environ=environ, from_file=file.values, overrides=overrides)

    folder = load_configured(path, settings, environ=environ, file=file, overrides=overrides)
    env = dict(environ) if settings.allow_environment_variables_jq_access else None
    integration_type = _lowered_type(settings.integration.type or folder.name)
    owner = Owner(
        integration_type=integration_type,
        identifier=settings.integration.identifier or f"my-{integration_type}-integration",
        version=folder.version,
    )
    resolver = folder.integration.field_resolver()
    # JQ that does not compile is logged and left to each kind: a field maps to null, a
    # kind whose keys or selector do not compile fails alone (see ocean.transform.mapper)
    resources = compile_resources(
        folder.mapping.resources, env=env, resolver=resolver, strict=False
    )
    return Sail(
        folder=folder,
        settings=settings,
        owner=owner,
        resources=resources,
        env=env,
        config_file=file,
    )


def load_configured(
    path: Path,
    settings: Settings,
    *,
    environ: Mapping[str, str],
    file: ConfigFile,
    overrides: Mapping[str, Any],
) -> IntegrationFolder:
    """The folder loaded, its integration configured from its spec: config.yaml's
    ``integration.config``, the environment over it and ``overrides`` over both; its
    sensitive values (and the settings' secrets) hidden from logs from then on."""

    def configure(spec: IntegrationSpec) -> Configuration:
        names = [entry.name for entry in spec.configurations]
        for problem in [*unknown_variables(environ, names), *unknown_file_keys(file.values, names)]:
            _log.warning("%s", problem)
        config = build_integration_config(
            spec,
            environ=environ,
            from_file=(file.values.get("integration") or {}).get("config") or {},
            overrides=(overrides.get("integration") or {}).get("config") or {},
            unset_in_file=file.unset_under("integration", "config"),
        )
        hide_sensitive([*sensitive_values(spec, config), *settings.secrets()])
        return Configuration(config, settings)

    return load_folder(path, resources_path=settings.resources_path, configure=configure)


def _half_a_port_section(settings: Settings, file: ConfigFile) -> str:
    """What to set when the settings name the Port API without both of its credentials."""
    port, unset = settings.port, file.unset_under("port")
    missing = [
        f"OCEAN__PORT__{name.upper()}"
        + (f" (config.yaml reads it from {unset[name]}, which is not set)" if name in unset else "")
        for name in ("client_id", "client_secret")
        if not getattr(port, name)
    ]
    return (
        f"the settings name the Port API ({port.base_url or PORT_API}) but not both of its "
        f"credentials: set {' and '.join(missing)}, or choose another catalog with "
        "--catalog or OCEAN__CATALOG__URL"
    )
