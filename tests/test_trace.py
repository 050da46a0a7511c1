"""How an integration's exception is described: the file it could not open, and its frames."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from ocean.extract.trace import MAX_FRAMES, describe_error, integration_frames


class ConfigMissing(FileNotFoundError):
    """A library's own error whose message leaves the path out."""

    def __str__(self) -> str:
        return "could not read the config"


def _with_filename(error: OSError, filename: str) -> OSError:
    error.filename = filename
    return error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ValueError("bad"), "ValueError: bad"),
        (
            FileNotFoundError(errno.ENOENT, "No such file or directory", "/abs/data.json"),
            "FileNotFoundError: [Errno 2] No such file or directory: '/abs/data.json'",
        ),
        (
            FileNotFoundError(errno.ENOENT, "No such file or directory", "data.json"),
            "FileNotFoundError: [Errno 2] No such file or directory: 'data.json' (looked for "
            f"{os.path.abspath('data.json')}: relative paths are read from the working directory)",
        ),
        (
            _with_filename(ConfigMissing(), "/etc/conf.json"),
            "ConfigMissing: could not read the config (file '/etc/conf.json')",
        ),
        (OSError("disk on fire"), "OSError: disk on fire"),
    ],
    ids=["plain", "absolute", "relative", "path-not-in-message", "no-path"],
)
def test_describe_error(error: Exception, expected: str) -> None:
    assert describe_error(error) == expected


def _nested(depth: int) -> None:
    if depth == 0:
        raise RuntimeError("deep")
    _nested(depth - 1)


def test_frames_of_the_folder_innermost_last_and_bounded() -> None:
    try:
        _nested(MAX_FRAMES + 3)
    except RuntimeError as error:
        frames = integration_frames(error, Path(__file__).resolve().parent)
    assert len(frames) == MAX_FRAMES
    assert frames[-1].startswith("test_trace.py:")
    assert frames[-1].endswith('in _nested: raise RuntimeError("deep")')


def test_outside_the_folder_only_the_innermost_frame_is_shown(tmp_path: Path) -> None:
    try:
        _nested(2)
    except RuntimeError as error:
        frames = integration_frames(error, tmp_path)
    assert frames == [
        f'{__file__}:{_nested.__code__.co_firstlineno + 2} in _nested: raise RuntimeError("deep")'
    ]
