"""``port_ocean.exceptions.api``: errors with an HTTP answer, and ``EmptyPortAppConfigError``
(the mapping is empty), as the original's."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from port_ocean._unsupported import missing
from port_ocean.exceptions.base import BaseOceanException

if TYPE_CHECKING:
    from starlette.responses import Response


class BaseAPIException(BaseOceanException, abc.ABC):
    """An error the server answers with :meth:`response`."""

    @abc.abstractmethod
    def response(self) -> Response: ...


class InternalServerException(BaseAPIException):
    def response(self) -> Response:
        from starlette.responses import PlainTextResponse  # on use: sail starts faster

        return PlainTextResponse(content="Internal server error", status_code=500)


class EmptyPortAppConfigError(Exception):
    """The mapping (port-app-config) has no resources."""

    def __init__(self, message: str = "Port app config is empty") -> None:
        super().__init__(message)


__all__ = ["BaseAPIException", "EmptyPortAppConfigError", "InternalServerException"]
__getattr__ = missing(__name__)
