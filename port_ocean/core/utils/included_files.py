"""``port_ocean.core.utils.included_files``: which repository branches a selector's
``includedFiles`` apply to, and where a listed file is in the repository."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import Protocol

from port_ocean._unsupported import missing


class RepoBranchMappingLike(Protocol):
    """A selector's repository entry: its ``name`` and ``branch`` (None or "default":
    the default branch)."""

    name: str
    branch: str | None


def repo_branch_matches(
    *,
    repos: Sequence[RepoBranchMappingLike] | None,
    repo_name: str,
    branch: str | None,
    default_branch: str | None,
) -> bool:
    """Whether ``branch`` of ``repo_name`` is selected: without ``repos``, only the
    default branch is; with them, the branch an entry of that name asks for (None or
    ``"default"`` asks for the default branch)."""
    on_default = branch is not None and branch == default_branch
    if not repos:
        return on_default
    for entry in repos:
        if entry.name != repo_name:
            continue
        wanted = entry.branch
        if (wanted in (None, "default") and on_default) or (
            wanted not in (None, "default") and wanted == branch
        ):
            return True
    return False


def resolve_included_file_path(requested_path: str, base_path: str) -> str:
    """``requested_path`` relative to the repository root, under ``base_path`` unless it
    is there already (a leading ``/`` does not leave ``base_path``; ``.`` is the root)."""
    if not requested_path:
        return requested_path
    requested = requested_path.lstrip("/")
    base = (base_path or "").strip("/")
    if base in ("", "."):
        return requested
    if requested.startswith(base + "/"):
        return requested
    return posixpath.join(base, requested)


__all__ = ["RepoBranchMappingLike", "repo_branch_matches", "resolve_included_file_path"]
__getattr__ = missing(__name__)
