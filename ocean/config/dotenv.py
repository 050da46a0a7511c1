"""``.env`` files: ``KEY=VALUE`` lines under the real environment, as the original reads them.

The original's settings read ``.env`` in the working directory (pydantic's ``env_file``);
``ocean sail`` reads that one and the integration folder's (``ocean new`` writes a
``.env.example`` there to copy), the working directory's winning, and the real
environment over both. As the original's settings, only its ``OCEAN__*`` variables are
taken (an unrelated ``.env``'s credentials never fill config.yaml's ``{{ from env X }}``).
The syntax is python-dotenv's common part: ``#`` comments, ``export KEY=VALUE``, values in
single quotes (kept as written) or double quotes (``\\n``, ``\\"`` and ``\\\\`` escapes, may
span lines), and a bare value's `` # comment``; ``${NAME}`` and ``${NAME:-default}`` in a
bare or double-quoted value are expanded from the environment, else the file's lines above.
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


_REFERENCE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


def parse_dotenv(
    text: str, where: str = ".env", environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The variables ``text`` sets (``${NAME}`` read from ``environ``, else from the lines
    above); a line that is not ``KEY=VALUE`` is skipped with a warning naming ``where`` and
    the line (not its text: it may hold a secret)."""
    values: dict[str, str] = {}
    environ = environ if environ is not None else {}
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
                values[found["key"]] = _value(found, environ, values)
        line += text.count("\n", position, end)
        position = end
    return values


def _value(entry: re.Match[str], environ: Mapping[str, str], above: Mapping[str, str]) -> str:
    if entry["single"] is not None:
        return entry["single"]
    if entry["double"] is not None:
        text = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[0]), entry["double"], flags=re.S)
        return _expanded(text, environ, above)
    return _expanded(entry["bare"], environ, above)


def _expanded(value: str, environ: Mapping[str, str], above: Mapping[str, str]) -> str:
    def one(reference: re.Match[str]) -> str:
        name = reference["name"]
        found = environ.get(name, above.get(name))
        return found if found else reference["default"] or ""

    return _REFERENCE.sub(one, value) if "${" in value else value


def read_dotenv(path: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables the ``.env`` file at ``path`` sets (none when there is no such file)."""
    if not path.is_file():
        return {}
    return parse_dotenv(read_utf8(path, ConfigError), str(path), environ)


def with_dotenv(environ: Mapping[str, str], folder: Path) -> Mapping[str, str]:
    """``environ`` over the working directory's ``.env`` over ``folder``'s."""
    files = dict.fromkeys(path.resolve() for path in (folder / ".env", Path.cwd() / ".env"))
    found: dict[str, str] = {}
    for path in files:
        read = read_dotenv(path, environ)
        found.update((k, v) for k, v in read.items() if k.upper().startswith("OCEAN__"))
    used = sorted(name for name in found if name not in environ)
    if used:
        _log.info("set from .env: %s", ", ".join(used))
    return {**found, **environ} if found else environ
