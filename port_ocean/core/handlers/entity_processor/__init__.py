"""``port_ocean.core.handlers.entity_processor``: the original's entity processor, as a base
for integrations' own (``JQEntityProcessor`` in ``jq_entity_processor``)."""

from __future__ import annotations

from port_ocean._unsupported import missing
from port_ocean.core.handlers.entity_processor.jq_entity_processor import JQEntityProcessor

BaseEntityProcessor = JQEntityProcessor
"""The original's base of entity processors; Ocean's one processor is JQ's."""

__all__ = ["BaseEntityProcessor", "JQEntityProcessor"]
__getattr__ = missing(__name__)
