"""``port_ocean.exceptions.clients``: failures of the clients the original ships."""

from __future__ import annotations

from port_ocean._unsupported import missing
from port_ocean.exceptions.base import BaseOceanException


class PortClientException(BaseOceanException):
    pass


class KafkaCredentialsNotFound(PortClientException):
    pass


class BlockedIPError(PortClientException):
    pass


__all__ = ["BlockedIPError", "KafkaCredentialsNotFound", "PortClientException"]
__getattr__ = missing(__name__)
