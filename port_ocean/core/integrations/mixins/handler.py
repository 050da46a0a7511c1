"""``HandlerMixin``: names the integration's entity processor (``EntityProcessorClass``)."""

from __future__ import annotations

from typing import ClassVar

from port_ocean._unsupported import missing
from port_ocean.core.handlers.entity_processor.jq_entity_processor import JQEntityProcessor


class HandlerMixin:
    EntityProcessorClass: ClassVar[type[JQEntityProcessor]] = JQEntityProcessor


__getattr__ = missing(__name__)
