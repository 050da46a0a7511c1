"""Machine credentials for the Port-compatible server: ids, secrets, their hashes and roles.

A credential has a role: ``admin`` (everything), ``integration`` (bound to one integration
identifier: it writes, deletes and scans only the entities that integration owns) or
``read-only`` (reads only). Only a hash of the secret is kept; rotating a credential
gives it a new secret and a new ``version``, revoking it marks it revoked: tokens carry
the version they were issued for and are checked against the credential on every
request, so both take effect at once. Credentials made before roles existed were
migrated to ``admin`` and are marked ``migrated`` (``ocean catalog credentials list``
and the server's start-up warn about them).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ocean.errors import CredentialError

ADMIN, INTEGRATION, READ_ONLY = "admin", "integration", "read-only"
ROLES = (ADMIN, INTEGRATION, READ_ONLY)
ITERATIONS = 100_000


@dataclass(frozen=True)
class Credential:
    """A credential as the catalog keeps it (never its secret)."""

    client_id: str
    name: str
    role: str
    integration: str | None
    secret_hash: str
    version: int
    created_at: str
    revoked_at: str | None = None
    migrated: bool = False
    """Made before roles existed, and migrated to ``admin``."""

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@runtime_checkable
class KeepsCredentials(Protocol):
    """A catalog that keeps the server's credentials (SQLite, PostgreSQL)."""

    async def create_credentials(
        self, name: str, *, role: str = ADMIN, integration: str | None = None
    ) -> tuple[str, str]:
        """A new client id and secret (only the secret's hash is kept). Without a role,
        ``admin``: what every credential could do before roles existed."""
        ...

    async def get_credential(self, client_id: str) -> Credential | None: ...

    async def list_credentials(self) -> list[Credential]:
        """Every credential, revoked ones included, oldest first."""
        ...

    async def revoke_credential(self, client_id: str) -> Credential:
        """Mark it revoked (its tokens are refused from the next request on)."""
        ...

    async def rotate_credential(self, client_id: str) -> str:
        """Give it a new secret (returned, shown once) and version: the old secret and the
        tokens issued for it are refused from now on."""
        ...


def new_credentials() -> tuple[str, str]:
    """A fresh client id and secret."""
    return f"ocean-{secrets.token_hex(8)}", new_secret()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def secret_hash(client_id: str, secret: str) -> str:
    """What the catalog keeps of a secret (salted with the client id)."""
    return hashlib.pbkdf2_hmac("sha256", secret.encode(), client_id.encode(), ITERATIONS).hex()


def checked_role(role: str, integration: str | None) -> tuple[str, str | None]:
    """The role and integration of a new credential, or :class:`CredentialError` saying
    what to pass instead."""
    if role not in ROLES:
        raise CredentialError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    if role == INTEGRATION and not integration:
        raise CredentialError(
            "an integration credential is bound to one integration: pass --integration "
            "IDENTIFIER (the identifier the integration runs with)"
        )
    if integration and "/" in integration:
        raise CredentialError(
            f"an integration identifier holds no '/' (got {integration!r}): a datasource "
            "(port-ocean/{type}/{version}/{identifier}/{exporter}) names the integration "
            "between slashes, so it would be read as another's"
        )
    if role != INTEGRATION and integration:
        raise CredentialError(
            f"--integration binds only integration credentials; a {role} credential is not "
            "bound: leave --integration out or use --role integration"
        )
    return role, integration


def unknown(client_id: str) -> CredentialError:
    return CredentialError(
        f"no credential has the client id {client_id!r}: "
        "`ocean catalog credentials list` shows them"
    )


def revoked(credential: Credential) -> CredentialError:
    return CredentialError(
        f"the credential {credential.client_id} ({credential.name}) was revoked at "
        f"{credential.revoked_at}: create a new one with `ocean catalog credentials create`"
    )
