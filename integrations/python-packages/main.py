"""The Python distributions installed next to Ocean, each with its dependencies as relations.

Real local data, no credentials: a quick way to see a whole sync land in the catalog.
"""

from __future__ import annotations

import re
from importlib import metadata
from typing import Any

from ocean import Integration

ocean = Integration()

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    """PEP 503 normalisation: ``Foo_Bar`` and ``foo.bar`` are the same package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _distributions() -> list[metadata.Distribution]:
    paths = ocean.integration_config.get("path_entries")
    found = metadata.distributions(path=paths) if paths else metadata.distributions()
    unique: dict[str, metadata.Distribution] = {}
    for dist in found:
        name = dist.metadata["Name"]
        if name:
            unique.setdefault(normalise(name), dist)
    return list(unique.values())


def _requirements(dist: metadata.Distribution, installed: set[str]) -> list[dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for line in dist.requires or []:
        if "extra ==" in line:
            continue
        match = _REQUIREMENT_NAME.match(line)
        if match:
            key = normalise(match.group(1))
            result.setdefault(key, {"key": key, "spec": line, "installed": key in installed})
    return list(result.values())


def describe(dist: metadata.Distribution, installed: set[str]) -> dict[str, Any]:
    meta = dist.metadata
    return {
        "key": normalise(meta["Name"]),
        "name": meta["Name"],
        "version": dist.version,
        "summary": meta.get("Summary"),
        "license": meta.get("License-Expression")
        or (meta.get("License") or "").split("\n")[0][:80]
        or None,
        "homepage": meta.get("Home-page") or _project_url(meta.get_all("Project-URL") or []),
        "requires_python": meta.get("Requires-Python"),
        "requirements": _requirements(dist, installed),
    }


def _project_url(urls: list[str]) -> str | None:
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("homepage", "home", "source", "repository"):
            return url.strip()
    return None


@ocean.on_resync("distribution")
async def distributions(kind: str) -> list[dict[str, Any]]:
    dists = _distributions()
    installed = {normalise(d.metadata["Name"]) for d in dists}
    return [describe(dist, installed) for dist in dists]
