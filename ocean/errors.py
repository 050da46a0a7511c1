"""Every error Ocean raises, by stage. Each message says what happened and what to do.

OceanError
 ├── ConfigError              fatal: fix the settings, spec.yaml or config.yaml
 ├── IntegrationLoadError     fatal: the integration folder cannot be loaded
 ├── MappingError             fatal: the mapping (port-app-config) is invalid
 ├── ExtractError             per kind: a handler raised or yielded bad data
 │    ├── KindNotImplementedError
 │    └── RawDataError
 └── StoreError               the catalog could not be read or written
      └── QueueUnavailableError  the live-event queue cannot be reached (for now)
"""

from __future__ import annotations


class OceanError(Exception):
    """Root of every error Ocean raises on purpose."""


class ConfigError(OceanError):
    """Settings, spec.yaml or config.yaml are wrong or incomplete."""


class IntegrationLoadError(OceanError):
    """The integration folder is missing a file or its main.py cannot be imported."""


class MappingError(OceanError):
    """The mapping does not validate or one of its JQ expressions does not compile."""


class ExtractError(OceanError):
    """A kind's handlers failed; its entities are kept and nothing of it is deleted."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"kind {kind!r}: {message}")
        self.kind = kind


class KindNotImplementedError(ExtractError):
    """The mapping names a kind no handler is registered for."""

    def __init__(self, kind: str, known: list[str]) -> None:
        super().__init__(
            kind,
            f"no @on_resync handler is registered for it; registered kinds: {sorted(known)}. "
            "Add a handler for it in main.py or remove it from the mapping.",
        )


class RawDataError(ExtractError):
    """A handler returned or yielded something other than a list of dicts."""


class StoreError(OceanError):
    """The catalog store failed or was given something it cannot hold."""


class QueueUnavailableError(StoreError):
    """The live-event queue cannot be reached or refuses writes (Redis down, restarting or
    out of memory): events are refused with 503 and the workers wait until it is back."""
