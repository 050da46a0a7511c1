"""What an exception raised by the integration's own code says about where it happened.

A handler's failure is reported with the frames of the integration's files, as
``main.py:12 in load: source line`` (a traceback with file:line, without variable values);
the whole traceback, Ocean's frames included, is logged at DEBUG.
"""

from __future__ import annotations

import dis
import inspect
import linecache
import os
import signal
import traceback
from pathlib import Path
from typing import Any

MAX_FRAMES = 8
"""Integration frames shown in a message at most (the innermost ones)."""


def describe_error(error: BaseException) -> str:
    """``Type: message``; for a file that could not be opened, its path as given and as
    resolved (a relative path is read from the working directory, not the folder)."""
    text = f"{type(error).__name__}: {error}"
    filename = getattr(error, "filename", None) if isinstance(error, OSError) else None
    if filename is None:
        return text
    given = os.fsdecode(filename)
    if given not in text:
        text += f" (file {given!r})"
    resolved = os.path.abspath(given)
    if resolved != given:
        text += f" (looked for {resolved}: relative paths are read from the working directory)"
    return text


def source_folder(code: Any) -> Path | None:
    """The folder of the file a handler or hook is defined in, if it has one."""
    try:
        file = inspect.getsourcefile(inspect.unwrap(code))
    except TypeError:
        return None
    return Path(file).resolve().parent if file else None


def defined_at(code: Any) -> str:
    """Where a handler or hook is defined, as ``main.py:4`` (its ``def`` line, below its
    decorators), or its repr when it has no source file."""
    function = inspect.unwrap(code)
    body = getattr(function, "__code__", None)
    if body is None:
        return repr(code)
    line = body.co_firstlineno
    for number in range(line, line + 20):  # past the decorators, to the def
        if linecache.getline(body.co_filename, number).lstrip().startswith(("def ", "async ")):
            line = number
            break
    return f"{Path(body.co_filename).name}:{line}"


def raised_by_itself(error: SystemExit | KeyboardInterrupt) -> bool:
    """Whether code Ocean called ended itself (``sys.exit()``, ``raise KeyboardInterrupt``)
    rather than Ctrl-C interrupting it: a signal's KeyboardInterrupt is raised by the
    SIGINT handler (asyncio's, under ``ocean sail``), or between two instructions of the
    code it interrupts, neither of which is a ``raise``."""
    if isinstance(error, SystemExit):
        return True
    innermost = error.__traceback__
    while innermost is not None and innermost.tb_next is not None:
        innermost = innermost.tb_next
    if innermost is None:
        return False
    code = innermost.tb_frame.f_code
    if code is getattr(signal.getsignal(signal.SIGINT), "__code__", None):
        return False
    if code.co_name in _SIGINT_HANDLERS:  # asyncio's (behind a partial or a wrapper)
        return False
    return code.co_code[innermost.tb_lasti] == dis.opmap["RAISE_VARARGS"]


_SIGINT_HANDLERS = frozenset({"_on_sigint", "default_int_handler"})
"""The SIGINT handlers that raise a signal's KeyboardInterrupt: asyncio's ``Runner`` (a
second Ctrl-C) and the interpreter's."""


def exit_described(error: SystemExit | KeyboardInterrupt) -> str:
    """What a handler or hook that ended itself did, and what to do instead."""
    if isinstance(error, SystemExit):
        did = f"called sys.exit({error.code!r})" if error.code is not None else "called sys.exit()"
    else:
        did = "raised KeyboardInterrupt"
    return f"{did}, which would stop the whole sail; raise an exception instead"


def failure_text(who: str, code: Any, error: BaseException) -> str:
    """What ``who`` (``handler main.load``, say) raised, or how it ended itself, with the
    frames of the files in the folder ``code`` is defined in."""
    if isinstance(error, SystemExit | KeyboardInterrupt):
        message = f"{who} {exit_described(error)}"
    else:
        message = f"{who} raised {describe_error(error)}"
    return with_frames(message, error, source_folder(code))


def integration_frames(error: BaseException, folder: Path | None) -> list[str]:
    """The traceback's frames in ``folder`` (the integration's files), innermost last, as
    ``file:line in function: source``; else the innermost frame of any file."""
    frames = traceback.extract_tb(error.__traceback__)
    shown = [frame for frame in frames if folder is not None and _under(frame.filename, folder)]
    located = _syntax_location(error, folder)
    if not shown and frames and located is None:
        shown = [frames[-1]]
    lines = [_line(frame, folder) for frame in shown[-MAX_FRAMES:]]
    return lines if located is None else [*lines, located]


def _syntax_location(error: BaseException, folder: Path | None) -> str | None:
    """Where a syntax error is, as ``helpers.py:3: source``: it is in no frame of the
    traceback (the import machinery's are all there is), only on the error itself."""
    if not isinstance(error, SyntaxError) or not error.filename or not error.lineno:
        return None
    text = (error.text or linecache.getline(error.filename, error.lineno)).strip()
    return f"{_shown(error.filename, folder)}:{error.lineno}" + (f": {text}" if text else "")


def with_frames(message: str, error: BaseException, folder: Path | None) -> str:
    """``message`` followed by the integration's frames, one indented line each."""
    frames = integration_frames(error, folder)
    return "\n".join([message, *(f"  {frame}" for frame in frames)])


def _under(filename: str, folder: Path) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(folder)
    except (OSError, ValueError):
        return False


def _line(frame: traceback.FrameSummary, folder: Path | None) -> str:
    source = f": {frame.line.strip()}" if frame.line else ""
    return f"{_shown(frame.filename, folder)}:{frame.lineno} in {frame.name}{source}"


def _shown(filename: str, folder: Path | None) -> str:
    """A file's path, relative to ``folder`` when it is in it."""
    if folder is not None and _under(filename, folder):
        return str(Path(filename).resolve().relative_to(folder))
    return filename
