"""``APIPortAppConfig``: names the mapping model an integration validates its mapping with."""

from __future__ import annotations

from typing import ClassVar

from ocean.mapping import PortAppConfig
from port_ocean._unsupported import missing


class APIPortAppConfig:
    CONFIG_CLASS: ClassVar[type[PortAppConfig]] = PortAppConfig


__getattr__ = missing(__name__)
