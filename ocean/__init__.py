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

import typing as _typing

from ocean.version import __version__ as __version__

if _typing.TYPE_CHECKING:
    from ocean.errors import OceanError as OceanError
    from ocean.integration import Integration as Integration
    from ocean.live.processor import WebhookEvent as WebhookEvent
    from ocean.live.processor import WebhookEventRawResults as WebhookEventRawResults
    from ocean.live.processor import WebhookProcessor as WebhookProcessor
    from ocean.types import Entity as Entity
    from ocean.types import RawBatch as RawBatch
    from ocean.types import RawItem as RawItem

_HOMES = {
    "OceanError": "ocean.errors",
    "Integration": "ocean.integration",
    "WebhookEvent": "ocean.live.processor",
    "WebhookEventRawResults": "ocean.live.processor",
    "WebhookProcessor": "ocean.live.processor",
    "Entity": "ocean.types",
    "RawBatch": "ocean.types",
    "RawItem": "ocean.types",
}
"""Where each public name lives: imported on first use, so that a process that needs one
part of Ocean (the catalog's child process) does not load the rest."""


def __getattr__(name: str) -> _typing.Any:
    import importlib

    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'ocean' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


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
