"""``port_ocean.core.integrations.mixins``: ``HandlerMixin`` (in ``handler``)."""

from __future__ import annotations

from port_ocean._unsupported import missing

__getattr__ = missing(__name__)
