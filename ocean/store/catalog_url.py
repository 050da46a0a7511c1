"""Which kind of catalog a URL names (imports nothing: the CLI asks before loading a store)."""

from __future__ import annotations

from pathlib import Path


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite catalog URL points to, or None for another kind of catalog."""
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///"))
    if "://" not in url:
        return Path(url)
    return None
