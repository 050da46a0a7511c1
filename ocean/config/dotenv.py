"""``.env`` files: ``KEY=VALUE`` lines under the real environment, as the original reads them.

The original's settings read ``.env`` in the working directory (pydantic's ``env_file``);
``ocean sail`` reads that one and the integration folder's (``ocean new`` writes a
``.env.example`` there to copy), the working directory's winning, and the real
environment over both. The syntax is python-dotenv's common part: ``#`` comments,
``export KEY=VALUE``, values in single quotes (kept as written) or double quotes
(``\\n``, ``\\"`` and ``\\\\`` escapes, may span lines), and a bare value's `` # comment``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path

from ocean.config.yaml_text import read_utf8
from ocean.errors import ConfigError

_log = logging.getLogger(__name__)

_ENTRY = re.compile(
    r"[ \t]*(?:export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_.]*)[ \t]*=[ \t]*"
    r"(?:'(?P<single>[^']*)'|\"(?P<double>(?:\\.|[^\"\\])*)\"|(?P<bare>[^\n]*?))"
    r"(?:[ \t]+#[^\n]*|[ \t]*)(?:\r?\n|\Z)"
)
_SKIP = re.compile(r"[ \t]*(?:#[^\n]*)?(?:\r?\n|\Z)")
"""A blank line or a comment."""
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def parse_dotenv(text: str, where: str = ".env") -> dict[str, str]:
    """The variables ``text`` sets; a line that is not ``KEY=VALUE`` is skipped with a
    warning naming ``where`` and the line (not its text: it may hold a secret)."""
    values: dict[str, str] = {}
    position, line = 0, 1
    while position < len(text):
        found = _ENTRY.match(text, position) or _SKIP.match(text, position)
        if found is None:
            end = text.find("\n", position)
            end = len(text) if end < 0 else end + 1
            _log.warning("%s:%d: not KEY=VALUE, ignored", where, line)
        else:
            end = found.end()
            if found.re is _ENTRY:
                values[found["key"]] = _value(found)
        line += text.count("\n", position, end)
        position = end
    return values


def _value(entry: re.Match[str]) -> str:
    if entry["single"] is not None:
        return entry["single"]
    if entry["double"] is not None:
        return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[0]), entry["double"], flags=re.S)
    return entry["bare"]


def read_dotenv(path: Path) -> dict[str, str]:
    """The variables the ``.env`` file at ``path`` sets (none when there is no such file)."""
    if not path.is_file():
        return {}
    return parse_dotenv(read_utf8(path, ConfigError), str(path))


def with_dotenv(environ: Mapping[str, str], folder: Path) -> Mapping[str, str]:
    """``environ`` over the working directory's ``.env`` over ``folder``'s."""
    files = dict.fromkeys(path.resolve() for path in (folder / ".env", Path.cwd() / ".env"))
    found: dict[str, str] = {}
    for path in files:
        found.update(read_dotenv(path))
    used = sorted(name for name in found if name not in environ)
    if used:
        _log.info("set from .env: %s", ", ".join(used))
    return {**found, **environ} if found else environ
