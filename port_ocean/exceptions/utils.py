"""``port_ocean.exceptions.utils``: the original's signal-handler errors (Ocean's handler
always exists, so it raises neither; integrations may catch them)."""

from __future__ import annotations

from port_ocean._unsupported import missing
from port_ocean.exceptions.core import OceanAbortException


class SignalHandlerNotInitialized(OceanAbortException):
    pass


class SignalHandlerAlreadyInitialized(OceanAbortException):
    pass


__all__ = ["SignalHandlerAlreadyInitialized", "SignalHandlerNotInitialized"]
__getattr__ = missing(__name__)
