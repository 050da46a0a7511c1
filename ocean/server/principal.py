"""Who a request of the catalog server acts for: the credential behind its token
(:class:`Principal`, put on the request by :class:`ocean.server.access.Authenticated`),
and the datasource its writes are recorded under (:func:`writer_of`).

The datasource comes from the credential: an integration credential writes as its own
integration only. The original port-ocean's User-Agent (``port-ocean/{type}/{version}/
{identifier}/{exporter}``) is still read, for the type, version and exporter Port's
ownership scan matches on, but its identifier must be the credential's integration. An
admin writes as the User-Agent says (it may act for any integration), or as its client id.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from ocean.errors import ForbiddenError
from ocean.store.base import Owner
from ocean.store.credentials import ADMIN, INTEGRATION, READ_ONLY, Credential
from ocean.store.ownership import integration_of


@dataclass(frozen=True)
class Principal:
    """The credential a request carries the token of."""

    client_id: str
    name: str
    role: str
    integration: str | None = None

    @classmethod
    def of(cls, credential: Credential) -> Principal:
        return cls(credential.client_id, credential.name, credential.role, credential.integration)

    @property
    def admin(self) -> bool:
        return self.role == ADMIN

    @property
    def read_only(self) -> bool:
        return self.role == READ_ONLY

    def owns(self, datasource: str) -> bool:
        """Whether an entity written by ``datasource`` is this credential's to change."""
        return self.admin or (
            self.role == INTEGRATION and integration_of(datasource) == self.integration
        )

    def may_act_for(self, integration: str) -> bool:
        """Whether this credential may use the integration ``integration``'s resources."""
        return self.role != INTEGRATION or integration == self.integration

    def __str__(self) -> str:
        bound = f" of the integration {self.integration!r}" if self.integration else ""
        return f"the {self.role} credential {self.name!r} ({self.client_id}){bound}"


def principal_of(request: Request) -> Principal:
    """The principal the authentication put on ``request`` (every route but the open ones)."""
    principal = request.scope.get("state", {}).get("principal")
    if not isinstance(principal, Principal):
        raise ForbiddenError(
            f"{request.method} {request.url.path} needs a credential: send the bearer token "
            "from POST /v1/auth/access_token"
        )
    return principal


def writer_of(request: Request) -> Owner:
    """The datasource the request's writes are recorded as (see the module's docstring);
    :class:`ForbiddenError` when an integration credential's User-Agent names another."""
    principal, user_agent = principal_of(request), request.headers.get("user-agent", "")
    parts = user_agent.split("/")
    if len(parts) >= 5 and parts[0] == "port-ocean":
        owner = Owner(parts[1], parts[3], parts[2], parts[4])
        require_integration(principal, owner.identifier, "write as")
        return owner
    if principal.role == INTEGRATION and principal.integration:
        return Owner("api", principal.integration, "0", "exporter")
    return Owner("api", principal.client_id, "0", "exporter")


def require_integration(principal: Principal, integration: str, action: str) -> None:
    """:class:`ForbiddenError` unless ``principal`` may ``action`` the integration."""
    if not principal.may_act_for(integration):
        raise ForbiddenError(
            f"{principal} may not {action} the integration {integration!r}: run that "
            f"integration with its own credential (`ocean catalog credentials create NAME "
            f"--role integration --integration {integration}`), or set its identifier to "
            f"{principal.integration!r}"
        )
