"""The original's key naming: camelCase in files, snake_case in code."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """``apiToken`` -> ``api_token``, ``entityKbSize`` -> ``entity_kb_size``."""
    return _BOUNDARY.sub("_", name).replace("-", "_").lower()
