"""``APIPortAppConfig``: names the mapping model an integration validates its mapping with."""

from __future__ import annotations

from typing import ClassVar

from port_ocean._unsupported import missing
from port_ocean.core.handlers.port_app_config.models import PortAppConfig


class APIPortAppConfig:
    CONFIG_CLASS: ClassVar[type[PortAppConfig]] = PortAppConfig


__getattr__ = missing(__name__)
