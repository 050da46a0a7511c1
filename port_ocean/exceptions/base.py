"""``BaseOceanException``: the root of the original's exceptions, under Ocean's own root
(an ``except OceanError`` in Ocean's core catches what integrations raise with it)."""

from __future__ import annotations

from ocean.errors import OceanError
from port_ocean._unsupported import missing


class BaseOceanException(OceanError):
    pass


__all__ = ["BaseOceanException"]
__getattr__ = missing(__name__)
