"""``port_ocean.run``: start an integration folder the way the original's ``debug.py`` does."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from port_ocean._unsupported import missing


def run(
    path: str = ".",
    log_level: str = "INFO",
    port: int = 8000,
    initialize_port_resources: bool | None = None,
    config_override: dict[str, Any] | None = None,
) -> None:
    """Run the integration at ``path`` as ``ocean sail PATH`` does, with its listener
    (POLLING unless the settings or ``config_override`` say otherwise: ONCE resyncs once
    and returns). As in the original, ``OCEAN__LOG_LEVEL``/``APPLICATION__LOG_LEVEL`` and
    ``APPLICATION__PORT`` win over ``log_level`` and ``port`` (the only way to change them
    without editing ``debug.py``); the server listens on 127.0.0.1, as ``ocean sail``."""
    from ocean.cli.sail import sail_folder
    from ocean.monitor.logs import ENV_VARIABLES, configure_logging, parse_level

    overrides = dict(config_override or {})
    if initialize_port_resources is not None:
        overrides["initialize_port_resources"] = initialize_port_resources
    if not any(os.environ.get(variable) for variable in ENV_VARIABLES):
        configure_logging(parse_level(log_level))
    port = int(os.environ.get("APPLICATION__PORT") or port)
    sail_folder(Path(path), overrides, address=("127.0.0.1", port))


__getattr__ = missing(__name__)
