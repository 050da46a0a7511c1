"""What one Port API call may carry, and the larger amounts Ocean's own catalog server
offers Ocean's client.

Port takes at most 20 entities and 1 MiB per bulk upsert; change detection searches 50
identifiers at a time and deletes go 100 at a time. ``ocean catalog serve`` names larger
limits in a header of its token response; a client that read them says so on each later
call, and the server then accepts bodies up to its larger size. Such a client also uses
the server's extension routes (``/v1/ocean/...``: page records, relation checks). Any other
client (the original port-ocean) sees Port's limits, 413 included.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace

HEADER = "X-Ocean-Limits"
"""On the token response: the server's limits, as JSON."""
CLIENT_HEADER = "X-Ocean-Client"
"""On a call: the client read the server's limits and may use them."""


@dataclass(frozen=True)
class Limits:
    bulk_entities: int
    bulk_bytes: int
    search_identifiers: int
    delete_identifiers: int
    owned_page: int

    def header(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_header(cls, value: str | None) -> Limits | None:
        """The limits a server offered (Port's for any it left out), or None (a Port API,
        or a value not understood)."""
        if not value:
            return None
        try:
            offered = json.loads(value)
            known = {f.name for f in fields(cls)}
            return replace(PORT, **{k: int(v) for k, v in offered.items() if k in known})
        except (ValueError, TypeError, AttributeError):
            return None


PORT = Limits(
    bulk_entities=20,
    bulk_bytes=1024 * 1024,
    search_identifiers=50,
    delete_identifiers=100,
    owned_page=5000,
)
OCEAN_SERVER = Limits(
    bulk_entities=1000,
    bulk_bytes=32 * 1024 * 1024,
    search_identifiers=1000,
    delete_identifiers=1000,
    owned_page=100_000,
)
