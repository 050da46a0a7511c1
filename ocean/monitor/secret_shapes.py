"""Secrets recognised by their shape or their key, masked in data sent out of the process.

:mod:`ocean.monitor.sensitive` masks the values Ocean is told are secret (the settings'
credentials, the spec's ``sensitive`` fields). Raw items an integration fetched may hold
others it was never told of: a token in a webhook's configuration, a private key in a
secret's data. What leaves the process as data (the kind examples Port's mapping editor
shows: :mod:`ocean.extract.examples`) is masked here as well, entirely (``[REDACTED]``):

- a text shaped like a known kind of credential (a private key, a cloud or Git host token,
  a JWT, a URL's password, a token in a query string, a bearer token);
- everything under a key that names one (``password``, ``client_secret``, ``apiKeys``,
  ``Authorization``, ...), however deep, and the ``value`` of a ``{"name": ..., "value":
  ...}`` pair whose name does (an environment variable ``DB_PASSWORD``);
- a Kubernetes ``Secret``'s ``data`` and ``stringData``.

The original looks for shapes only; the rest is Ocean's (a secret has no shape of its own
more often than not).
"""

from __future__ import annotations

import re
from typing import Any

from ocean.monitor.sensitive import MASK, redact

_SHAPES = re.compile(
    "|".join(
        (
            r"-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?(-----END [A-Z ]*-----|$)",
            r"\b(AKIA|ASIA)[0-9A-Z]{16}\b",  # AWS access key ids
            r"\bAIza[0-9A-Za-z_\-]{35}\b",  # Google API keys
            r"\bya29\.[0-9A-Za-z_\-]+",  # Google OAuth access tokens
            r"\bgh[pousr]_[0-9A-Za-z]{36,}\b",  # GitHub tokens
            r"\bgithub_pat_[0-9A-Za-z_]{22,}\b",
            r"\bglpat-[0-9A-Za-z_\-]{20,}\b",  # GitLab personal access tokens
            r"\bxox[abposr]-[0-9A-Za-z\-]{10,}",  # Slack tokens
            r"\bsk_(live|test)_[0-9A-Za-z]{16,}\b",  # Stripe secret keys
            r"\beyJ[0-9A-Za-z_\-]{8,}\.eyJ[0-9A-Za-z_\-]{8,}\.[0-9A-Za-z_\-]+",  # JWTs
            r"(?<=://)[^/\s:@]*:[^/\s]*(?=@)",  # user:password in a URL (to its last @)
        )
    )
)
_LABELLED = re.compile(
    r"(?P<label>[?&](access_token|token|api_?key|key|sig|signature|password|secret"
    r"|client_secret)=)(?P<secret>[^&#\s\"']+)"
    r"|(?P<scheme>\b(Bearer|Basic|Token)\s+)(?P<credential>[A-Za-z0-9._~+/=\-]{16,})",
    re.IGNORECASE,
)
"""A secret behind the label that says what it is: a query parameter, an Authorization
header's scheme (followed by something shaped like a credential: "Basic setup" is prose)."""
_NOUN = (
    r"(pass(word|wd|phrase)?|secret|token|api[_\-]?key|private[_\-]?key|access[_\-]?key"
    r"|secret[_\-]?key|signing[_\-]?key|client[_\-]?secret|credential|authorization|auth"
    r"|cookie)"
)
_SECRET_KEY = re.compile(
    rf"{_NOUN}s?$|^{_NOUN}s?[_\-]?(value|string|data|text|json|content|b64|base64)$",
    re.IGNORECASE,
)
"""A key that names a credential: it ends with the noun (``webhookSecret``, ``apiKeys``),
or is the noun and what holds it (``SecretString``, ``tokenValue``, ``credentials_json``);
not ``secret_scanning`` nor ``token_type``."""
_NUMBER_KEY = re.compile(r"(pass(word|wd|phrase)?|pin)s?$", re.IGNORECASE)
"""A key whose numbers are secrets too (a token count under ``input_tokens`` is none)."""
_NAMES = ("name", "key", "Name", "Key")
"""The keys of a name/value pair's name (``{"name": "DB_PASSWORD", "value": ...}``)."""


def mask_secrets(value: Any) -> Any:
    """``value`` with every credential in it (see the module) replaced by ``[REDACTED]``,
    however deep in its lists and dicts (new ones: ``value`` itself is left as it was)."""
    if isinstance(value, str):
        return _LABELLED.sub(_labelled, _SHAPES.sub(MASK, redact(value, whole=True)))
    if isinstance(value, list | tuple):
        return [mask_secrets(item) for item in value]
    if isinstance(value, dict):
        return _masked_dict(value)
    return value


def _masked_dict(value: dict[Any, Any]) -> dict[Any, Any]:
    secret = _is_secret_key(next((value[name] for name in _NAMES if name in value), None))
    k8s_secret = value.get("kind") == "Secret"
    return {
        _masked_key(key): _hidden(item, numbers=_matches(_NUMBER_KEY, key))
        if _is_secret_key(key)
        or (secret and key in ("value", "Value"))
        or (k8s_secret and key in ("data", "stringData"))
        else mask_secrets(item)
        for key, item in value.items()
    }


def _masked_key(key: Any) -> Any:
    """A key masked as a text is (a token may key a mapping of who holds it)."""
    return mask_secrets(key) if isinstance(key, str) else key


def _is_secret_key(key: Any) -> bool:
    return _matches(_SECRET_KEY, key)


def _matches(pattern: re.Pattern[str], key: Any) -> bool:
    return isinstance(key, str) and pattern.search(key) is not None


def _hidden(value: Any, *, numbers: bool) -> Any:
    """``value`` with every text in it masked, and every number when ``numbers`` (its shape
    kept: empty texts, booleans and nulls tell nothing)."""
    if isinstance(value, dict):
        return {key: _hidden(item, numbers=numbers) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_hidden(item, numbers=numbers) for item in value]
    if isinstance(value, str):
        return MASK if value else value
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        return MASK
    return value


def _labelled(found: re.Match[str]) -> str:
    return (found["label"] or found["scheme"]) + MASK
