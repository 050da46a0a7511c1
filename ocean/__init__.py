"""Ocean: keep a software catalog in sync with the systems you run.

An integration is a folder with a ``main.py`` that registers async generators on an
:class:`Integration` object, plus the original Ocean's ``.port/`` files::

    from ocean import Integration

    ocean = Integration()

    @ocean.on_resync("repository")
    async def repositories(kind: str):
        yield [{"name": "api", "url": "https://example.com/api"}]

``ocean sail PATH --once`` then extracts, maps, diffs and loads it into the catalog.
"""

from ocean.errors import OceanError as OceanError
from ocean.integration import Integration as Integration
from ocean.live.processor import WebhookEvent as WebhookEvent
from ocean.live.processor import WebhookEventRawResults as WebhookEventRawResults
from ocean.live.processor import WebhookProcessor as WebhookProcessor
from ocean.types import Entity as Entity
from ocean.types import RawBatch as RawBatch
from ocean.types import RawItem as RawItem
from ocean.version import __version__ as __version__

__all__ = [
    "Entity",
    "Integration",
    "OceanError",
    "RawBatch",
    "RawItem",
    "WebhookEvent",
    "WebhookEventRawResults",
    "WebhookProcessor",
]
