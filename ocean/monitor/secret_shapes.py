"""Secrets recognised by their shape or their key, masked in data sent out of the process.

:mod:`ocean.monitor.sensitive` masks the values Ocean is told are secret (the settings'
credentials, the spec's ``sensitive`` fields). Raw items an integration fetched may hold
others it was never told of: a token in a webhook's configuration, a private key in a
secret's data. What leaves the process as data (the kind examples Port's mapping editor
shows: :mod:`ocean.extract.examples`) is masked here as well, entirely (``[REDACTED]``):
a text shaped like a known kind of credential, and any text under a key that names one
(``password``, ``client_secret``, ``apiKey``, ``Authorization``, ...). The original looks
for shapes only; the keys are Ocean's addition (a secret has no shape of its own more often
than not).
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
            r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)",  # user:password in a URL
        )
    )
)
_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?$|secret|token|api[_\-]?key|private[_\-]?key|access[_\-]?key"
    r"|credential|authorization|^auth$|cookie|signing[_\-]?key|client[_\-]?secret",
    re.IGNORECASE,
)


def mask_secrets(value: Any) -> Any:
    """``value`` with every text that looks like a credential (by its shape, by its key,
    or known to :mod:`ocean.monitor.sensitive`) replaced by ``[REDACTED]``, however deep in
    its lists and dicts (new ones: ``value`` itself is left as it was)."""
    if isinstance(value, str):
        return _SHAPES.sub(MASK, redact(value, whole=True))
    if isinstance(value, list | tuple):
        return [mask_secrets(item) for item in value]
    if isinstance(value, dict):
        return {key: _masked_under(key, item) for key, item in value.items()}
    return value


def _masked_under(key: Any, value: Any) -> Any:
    if isinstance(value, str) and isinstance(key, str) and _SECRET_KEY.search(key):
        return MASK if value else value
    return mask_secrets(value)
