"""``ocean.metrics``: the original's sync-metrics object, as calls that do nothing.

Ocean measures every resync itself, from its report (``/metrics``, and the sync metrics a
Port API is sent: :mod:`ocean.monitor`), so what an integration sets or counts here has
nowhere to go: the setters and counters do nothing, the reporting coroutines return at
once. What is read back is what the original would give with its metrics off.
"""

from __future__ import annotations

from typing import Any

from port_ocean._unsupported import UnsupportedAttributeError, message
from port_ocean.context import event as event_module

RUNTIME = "__runtime__"
"""The original's ``MetricResourceKind.RUNTIME``: the kind outside of a resource's work."""


class Metrics:
    """What integrations and the original's own code call on ``ocean.metrics``."""

    def __init__(self) -> None:
        self.event_id = ""
        """The running sync's id, as set (the original sets it at each sync's start)."""
        self.sync_state = "pending"
        self.installation_type = "Unknown"
        self.execution_mode = "Unknown"

    @property
    def enabled(self) -> bool:
        return False

    def clear_sync_context(self) -> None:
        self.event_id = ""

    def current_resource_kind(self) -> str:
        """``<kind>-<index>`` of the resource being worked on, else ``__runtime__``."""
        current = event_module.current_event()
        if current is None or current.resource_config is None:
            return RUNTIME
        return f"{current.resource_config.kind}-{current.resource_index}"

    def inc_metric(self, name: str, labels: list[str], value: float) -> None:
        return None

    def set_metric(self, name: str, labels: list[str], value: float) -> None:
        return None

    def initialize_metrics(self, kind_blocks: list[str]) -> None:
        return None

    def generate_metrics(self, *_args: Any, **_kwargs: Any) -> list[dict[str, Any]]:
        return []

    async def report_sync_metrics(self, *_args: Any, **_kwargs: Any) -> None:
        return None

    async def report_kind_sync_metrics(self, *_args: Any, **_kwargs: Any) -> None:
        return None

    async def send_metrics_to_webhook(self, *_args: Any, **_kwargs: Any) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise UnsupportedAttributeError(
            message(f"ocean.metrics.{name}", "port_ocean.context.ocean")
        )


class HasMetrics:
    """``ocean.metrics``: the given app's in an integration's own tests, as the original's."""

    _own_metrics: Metrics | None = None

    @property
    def metrics(self) -> Any:
        given = getattr(self, "_given_app", None)
        if given is not None:
            return given.metrics
        if self._own_metrics is None:
            self._own_metrics = Metrics()
        return self._own_metrics


__all__ = ["HasMetrics", "Metrics"]
