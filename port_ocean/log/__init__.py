"""``port_ocean.log``: the original's sensitive-value masking (``port_ocean.log.sensetive``)."""

from __future__ import annotations

from port_ocean._unsupported import missing

__getattr__ = missing(__name__)
