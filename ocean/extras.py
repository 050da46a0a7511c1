"""The optional parts of Ocean and the extra that installs each one's library.

``pip install ocean-sync`` runs integrations into the embedded catalog, long-running or
once; a PostgreSQL catalog, the KAFKA listener and a Redis live-event queue each need a
client library that ``pip install 'ocean-sync[postgres|kafka|redis]'`` (or ``[all]``)
brings. The core imports them only where they are used, through :func:`require`.
"""

from __future__ import annotations

import importlib.util

from ocean.errors import MissingExtraError

EXTRAS: dict[str, tuple[str, str]] = {
    "postgres": ("asyncpg", "a PostgreSQL catalog (postgresql://...)"),
    "kafka": ("aiokafka", "the KAFKA event listener"),
    "redis": ("redis", "a Redis live-event queue (redis://...)"),
}
"""Extra -> (the module it installs, what needs it)."""


def require(extra: str) -> None:
    """Raise :class:`MissingExtraError` naming ``extra`` when its library is missing."""
    module, purpose = EXTRAS[extra]
    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(
            f"{purpose} needs the {module} library, which is not installed; install it "
            f"with `pip install 'ocean-sync[{extra}]'` (or `ocean-sync[all]`)."
        )
