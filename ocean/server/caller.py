"""Who is calling the catalog server: the credential whose token the request carries, and
the datasource its writes are recorded under.

:func:`Callers.of` is the one place a request's caller is worked out; every write route
and the audit log take it from there, so that rules on who may write what apply once.
Today the datasource is the request's User-Agent (``port-ocean/{type}/{version}/
{identifier}/{exporter}``, as Port records it), anything else writing as its own owner.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from ocean.server.auth import bearer_token
from ocean.server.principal import Principal, writer_of
from ocean.store.base import Owner


@dataclass(frozen=True)
class Caller:
    credential: str | None
    """The client id the request's token was issued to (None: not known to this process)."""
    owner: Owner
    """What its writes are recorded as (their datasource)."""
    principal: Principal | None = None
    """The credential's role and integration (what it may write: see ocean.server.access)."""

    @property
    def origin(self) -> str:
        """The integration behind the call (Port's audit ``origin``), or ``API``."""
        return self.owner.identifier if self.owner.integration_type != "api" else "API"


NOTED = 4096
"""Tokens a :class:`Callers` remembers the holder of (each token request adds one)."""


class Callers:
    """The credentials behind the tokens this server issued: noted as the token route
    issues them (:meth:`issued`), else asked of the token registry (a ``grant_of``
    method answering the grant, with its ``client_id``, of an ``Authorization`` value)."""

    def __init__(self, tokens: object) -> None:
        self._tokens = tokens
        self._holders: dict[str, str] = {}

    def issued(self, token: str, client_id: str) -> None:
        """Note that ``token`` was issued to ``client_id`` (the latest :data:`NOTED` only:
        the registry answers for the others)."""
        if len(self._holders) >= NOTED:
            for oldest in list(self._holders)[: NOTED // 2]:
                del self._holders[oldest]
        self._holders[token] = client_id

    def of(self, request: Request) -> Caller:
        """The request's caller (the one place it is worked out)."""
        principal = request.scope.get("state", {}).get("principal")
        if isinstance(principal, Principal):  # the datasource comes from the credential
            return Caller(principal.client_id, writer_of(request), principal)
        authorization = request.headers.get("authorization", "")
        credential = self._holders.get(bearer_token(authorization) or "")
        grant_of = getattr(self._tokens, "grant_of", None)
        if credential is None and grant_of is not None:
            credential = getattr(grant_of(authorization), "client_id", None)
        return Caller(credential, owner_of(request.headers.get("user-agent", "")))


def owner_of(user_agent: str) -> Owner:
    """``port-ocean/{type}/{version}/{identifier}/{exporter}``; anything else is its own owner."""
    parts = user_agent.split("/")
    if len(parts) >= 5 and parts[0] == "port-ocean":
        return Owner(parts[1], parts[3], parts[2], parts[4])
    return Owner("api", user_agent or "anonymous", "0", "exporter")
