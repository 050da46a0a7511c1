"""Where a msgspec validation problem is, as Ocean names it (the settings and the mapping).

msgspec says ``Expected `int`, got `str` - at `$.resources[0].port` ``; Ocean reports
``resources.0.port``, and names the key itself for a missing or unknown one.
"""

from __future__ import annotations

import re

import msgspec

_KEY_PROBLEMS = (
    (r"Object missing required field `(.+)`", "required, missing"),
    # Only the mapping forbids unknown keys (the settings ignore them).
    (r"Object contains unknown field `(.+)`", "unknown key (not in the port-app-config format)"),
)
_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)


def located(error: msgspec.ValidationError) -> tuple[str, str]:
    """The problem's dotted path ("" at the top) and what is wrong there."""
    found = _AT.match(str(error))
    assert found is not None  # the pattern matches any text
    path = re.sub(r"\[(\d+)\]", r".\1", found["path"] or "").lstrip(".")
    message = found["message"]
    for pattern, said in _KEY_PROBLEMS:
        if key := re.fullmatch(pattern, message):
            path, message = f"{path}.{key[1]}".lstrip("."), said
    return path, message
