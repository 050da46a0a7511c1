"""Exceptions integrations raise or catch (``port_ocean.exceptions.core``)."""

from __future__ import annotations

from ocean.errors import ExtractError
from port_ocean._unsupported import missing
from port_ocean.exceptions.base import BaseOceanException


class OceanAbortException(BaseOceanException):
    pass


class KindNotImplementedException(OceanAbortException):
    def __init__(self, kind: str, available_kinds: list[str]) -> None:
        super().__init__(f"Kind {kind} is not implemented. Available kinds: {available_kinds}")


class RawObjectValidationException(OceanAbortException):
    pass


class RelationValidationException(OceanAbortException):
    pass


class EntityProcessorException(BaseOceanException):
    pass


class UnsupportedEventListenerTypeException(BaseOceanException):
    pass


class IntegrationAlreadyStartedException(BaseOceanException):
    pass


class IntegrationNotStartedException(BaseOceanException):
    pass


class IntegrationRuntimeException(BaseOceanException):
    pass


__all__ = [
    "EntityProcessorException",
    "ExtractError",
    "IntegrationAlreadyStartedException",
    "IntegrationNotStartedException",
    "IntegrationRuntimeException",
    "KindNotImplementedException",
    "OceanAbortException",
    "RawObjectValidationException",
    "RelationValidationException",
    "UnsupportedEventListenerTypeException",
]
__getattr__ = missing(__name__)
