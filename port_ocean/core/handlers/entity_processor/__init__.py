"""``port_ocean.core.handlers.entity_processor``: the original's entity processor, as a base
for integrations' own (``JQEntityProcessor`` in ``jq_entity_processor``)."""

from __future__ import annotations

from port_ocean._unsupported import missing

__getattr__ = missing(__name__)
