"""Whether the original ``port-ocean`` is installed beside Ocean.

Both distributions provide the ``port_ocean`` package and the ``ocean`` command: installed in
one environment, the second install overwrites the first one's command and mixes its files
into the other's ``port_ocean/`` folder, and integrations then fail in ways that point at
neither. Checked at every start of the ``ocean`` command, with a few file-system calls
(``importlib.metadata`` alone would cost every command a tenth of a second).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shlex
import sys
import urllib.parse
from pathlib import Path

ORIGINAL_ONLY_FILES = ("bootstrap.py", "debug_cli.py", "cli/cli.py", "log/logger_setup.py")
"""Files of the original's ``port_ocean/`` that Ocean's never has."""

FIX = (
    "uninstall it (`pip uninstall port-ocean`) and install Ocean again "
    "(`pip install --force-reinstall {source}`), or keep the original in an environment "
    "of its own; integrations written for it run on Ocean unchanged"
)


def installation_problems(
    path: list[str] | None = None, scripts: Path | None = None, package_dir: Path | None = None
) -> list[str]:
    """One sentence per sign of the original beside Ocean (none when there is none)."""
    problems = []
    found = _original_distributions(sys.path if path is None else path)
    if found:
        problems.append(f"the original port-ocean is installed in this environment ({found[0]})")
    package = _port_ocean_dir() if package_dir is None else package_dir
    mixed = [name for name in ORIGINAL_ONLY_FILES if package and (package / name).is_file()]
    if package is not None and mixed:
        problems.append(f"{package} mixes the original's files with Ocean's ({', '.join(mixed)})")
    script = (Path(sys.executable).parent if scripts is None else scripts) / "ocean"
    if _runs_the_original(script):
        problems.append(f"the `ocean` command ({script}) now starts the original, not Ocean")
    return problems


def warning() -> str | None:
    """The start-up warning, or None when the installation is clean."""
    problems = installation_problems()
    if not problems:
        return None
    fix = FIX.format(source=shlex.quote(ocean_source()))  # a checkout: the index may lack it
    return "warning: " + "; ".join(problems) + ". To fix it, " + fix + "."


def _original_distributions(path: list[str]) -> list[str]:
    """The original's ``.dist-info`` folders in the environment's package folders."""
    found = []
    for entry in path:
        if not entry.endswith(("site-packages", "dist-packages")):
            continue
        try:
            names = os.listdir(entry)
        except OSError:
            continue
        found += [
            os.path.join(entry, name)
            for name in names
            if name.lower().startswith("port_ocean-") and name.endswith(".dist-info")
        ]
    return found


def _port_ocean_dir() -> Path | None:
    """Where ``import port_ocean`` would come from, found without importing it."""
    spec = importlib.util.find_spec("port_ocean")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _runs_the_original(script: Path) -> bool:
    try:
        text = script.read_text(errors="replace")[:2000]
    except OSError:
        return False
    return "port_ocean.cli" in text and "ocean.cli.main" not in text


def ocean_source() -> str:
    """How to install this Ocean into another environment: its source tree when it runs
    from one (a checkout, or one it was installed from: ``pip install .``), else the
    distribution."""
    root = Path(__file__).resolve().parents[1]
    if (root / "pyproject.toml").is_file():
        return str(root)
    try:
        recorded = importlib.metadata.distribution("ocean-sync").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        recorded = None
    return installed_from(recorded) or "ocean-sync"


def installed_from(direct_url: str | None) -> str | None:
    """The local folder a distribution was installed from, as its ``direct_url.json``
    (PEP 610) records it, if it still holds a project."""
    try:
        url = str(json.loads(direct_url or "{}").get("url", ""))
    except ValueError:
        return None
    folder = (
        Path(urllib.parse.unquote(urllib.parse.urlparse(url).path))
        if url.startswith("file:")
        else None
    )
    return str(folder) if folder is not None and (folder / "pyproject.toml").is_file() else None
