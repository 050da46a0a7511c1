"""``AuthClient``: a client that can put fresh credentials on a request before a retry."""

from __future__ import annotations

from abc import ABC, abstractmethod

import httpx

from port_ocean._unsupported import missing


class AuthClient(ABC):
    @abstractmethod
    def refresh_request_auth_creds(self, request: httpx.Request) -> httpx.Request: ...


__all__ = ["AuthClient"]
__getattr__ = missing(__name__)
