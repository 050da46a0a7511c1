"""Exceptions integrations raise or catch (``port_ocean.exceptions.core``)."""

from __future__ import annotations

from ocean.errors import ExtractError, OceanError
from port_ocean._unsupported import missing


class OceanAbortException(OceanError):
    pass


class RawObjectValidationException(OceanAbortException):
    pass


class KindNotImplementedException(OceanAbortException):
    pass


class EntityProcessorException(OceanAbortException):
    pass


__all__ = [
    "EntityProcessorException",
    "ExtractError",
    "KindNotImplementedException",
    "OceanAbortException",
    "RawObjectValidationException",
]
__getattr__ = missing(__name__)
