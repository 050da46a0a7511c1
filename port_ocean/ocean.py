"""``from port_ocean import Ocean``: the original's application object, as a view over
Ocean's runner.

``Ocean(...)`` configures the ``ocean`` context (``config_override`` as the run's
settings and the integration's configuration, as ``ocean sail`` would from config.yaml)
and instantiates the integration class. It does not serve or resync by itself: ``ocean
sail`` runs integrations. Integrations' own tests get one from
``port_ocean.tests.helpers`` and ask its ``integration`` for a kind's raw results.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from port_ocean._unsupported import missing
from port_ocean.context.ocean import PortOceanContext, ocean
from port_ocean.core.integrations.base import BaseIntegration


class Ocean:
    def __init__(
        self,
        app: Any = None,
        integration_class: Callable[[PortOceanContext], BaseIntegration] | None = None,
        integration_router: Any = None,
        config_factory: Any = None,
        config_override: dict[str, Any] | None = None,
    ) -> None:
        if config_override is not None or not ocean.initialized:
            from ocean.config.settings import load_settings

            overrides = dict(config_override or {})
            settings = load_settings(environ=os.environ, from_file={}, overrides=overrides)
            given = (overrides.get("integration") or {}).get("config") or {}
            ocean.configure({**given}, settings)
        self.fast_api_app = app
        self.integration_router = integration_router or ocean.router
        self.context = ocean
        make = integration_class or ocean.integration_class or BaseIntegration
        self.integration: BaseIntegration = make(ocean)

    @property
    def config(self) -> Any:
        return ocean.config

    @property
    def base_url(self) -> str | None:
        return ocean.app.base_url  # type: ignore[no-any-return]

    @property
    def port_client(self) -> Any:
        return ocean.port_client

    def is_saas(self) -> bool:
        return False

    def load_external_oauth_access_token(self) -> str | None:
        return None


__all__ = ["Ocean"]
__getattr__ = missing(__name__)
