"""``port_ocean.exceptions.context``: reading ``event`` or ``resource`` where there is none."""

from __future__ import annotations

from port_ocean._unsupported import missing
from port_ocean.exceptions.base import BaseOceanException


class NoContextError(BaseOceanException, RuntimeError):
    """Read outside of the resync, request or resource it belongs to."""


class EventContextNotFoundError(NoContextError):
    pass


class ResourceContextNotFoundError(NoContextError):
    pass


class PortOceanContextNotFoundError(NoContextError):
    pass


class PortOceanContextAlreadyInitializedError(NoContextError):
    pass


__getattr__ = missing(__name__)
