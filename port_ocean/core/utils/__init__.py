"""``port_ocean.core.utils``: helpers integrations import (``included_files``)."""

from __future__ import annotations

from port_ocean._unsupported import missing

__getattr__ = missing(__name__)
