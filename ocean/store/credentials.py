"""Machine credentials for the Port-compatible server: ids, secrets and their hashes."""

from __future__ import annotations

import hashlib
import secrets


def new_credentials() -> tuple[str, str]:
    """A fresh client id and secret."""
    return f"ocean-{secrets.token_hex(8)}", secrets.token_urlsafe(32)


def secret_hash(client_id: str, secret: str) -> str:
    """What the catalog keeps of a secret (salted with the client id)."""
    return hashlib.pbkdf2_hmac("sha256", secret.encode(), client_id.encode(), 100_000).hex()
