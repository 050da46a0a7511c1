"""``ocean install PATH``: install an integration's own dependencies where Ocean runs it.

Every integration of the original lists ``port-ocean`` among its dependencies; installing
them as they are would put the original's ``port_ocean`` package and ``ocean`` command over
Ocean's. This command reads the integration's ``pyproject.toml`` (Poetry's
``[tool.poetry.dependencies]``, with its groups on request, or PEP 621's
``[project.dependencies]``), leaves out ``port-ocean`` and ``python``, pins each
dependency to the version ``poetry.lock`` holds when it has one, and installs them with pip
into a virtual environment beside the integration (``PATH/.venv``, Ocean installed there
too) or, with ``--here``, into the environment running this command.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shlex
import subprocess
import sys
import tomllib
import urllib.parse
import venv
from pathlib import Path
from typing import Any

import click

LEFT_OUT = frozenset({"python", "port-ocean"})
"""Never installed: Ocean provides ``port_ocean``, and the interpreter is the venv's."""
_CARET_OR_TILDE = re.compile(r"([\^~])(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pep440(constraint: str) -> str:
    """A Poetry version constraint as PEP 440 (``^1.2`` is ``>=1.2,<2``, ``~1.2`` is
    ``>=1.2,<1.3``, ``1.2.3`` is ``==1.2.3``, ``*`` is nothing)."""
    parts = []
    for part in (p.strip() for p in constraint.split(",")):
        if part in ("", "*"):
            continue
        found = _CARET_OR_TILDE.fullmatch(part)
        if found is None:
            parts.append(part if part[0] in "<>=!~" else f"=={part}")
            continue
        numbers = [int(n) for n in found.groups()[1:] if n is not None]
        parts.append(f">={'.'.join(map(str, numbers))},<{_upper(found[1], numbers)}")
    return ",".join(parts)


def _upper(operator: str, numbers: list[int]) -> str:
    if operator == "~":
        return f"{numbers[0] + 1}" if len(numbers) == 1 else f"{numbers[0]}.{numbers[1] + 1}"
    for position, number in enumerate(numbers):  # ^: the first non-zero part goes up
        if number or position == len(numbers) - 1:
            return ".".join(map(str, [*numbers[:position], number + 1]))
    return "1"


def requirements(folder: Path, *, groups: bool = False) -> list[str]:
    """What to install for the integration in ``folder`` (see the module's description)."""
    document = tomllib.loads((folder / "pyproject.toml").read_text())
    locked = _locked(folder / "poetry.lock")
    found: list[str] = []
    poetry = document.get("tool", {}).get("poetry", {})
    specs: dict[str, Any] = dict(poetry.get("dependencies", {}))
    if groups:
        for group in poetry.get("group", {}).values():
            specs.update(group.get("dependencies", {}))
        specs.update(poetry.get("dev-dependencies", {}))
    for name, spec in specs.items():
        if normalized(name) in LEFT_OUT or (isinstance(spec, dict) and "path" in spec):
            continue
        version = spec.get("version", "*") if isinstance(spec, dict) else str(spec)
        extras = spec.get("extras", []) if isinstance(spec, dict) else []
        named = f"{name}{'[' + ','.join(extras) + ']' if extras else ''}"
        pin = locked.get(normalized(name))
        wanted = f"=={pin}" if pin else pep440(str(version))
        direct = _direct(named, spec) if isinstance(spec, dict) else None
        found.append(direct or named + wanted)
    for line in document.get("project", {}).get("dependencies", []):
        name = re.split(r"[\s\[<>=!~;]", line, maxsplit=1)[0]
        if normalized(name) not in LEFT_OUT:
            found.append(line)
    return found


def _direct(named: str, spec: dict[str, Any]) -> str | None:
    """A Poetry ``git`` or ``url`` dependency as a PEP 508 direct reference (by its name
    alone pip would install whatever the package index holds under that name)."""
    if "url" in spec:
        return f"{named} @ {spec['url']}"
    if "git" not in spec:
        return None
    source = str(spec["git"])
    if "://" not in source:  # scp-like: git@github.com:org/repo.git
        source = "ssh://" + source.replace(":", "/", 1)
    ref = spec.get("rev") or spec.get("tag") or spec.get("branch")
    at = f"@{ref}" if ref else ""
    subdirectory = f"#subdirectory={spec['subdirectory']}" if spec.get("subdirectory") else ""
    return f"{named} @ git+{source}{at}{subdirectory}"


def _locked(lock: Path) -> dict[str, str]:
    if not lock.is_file():
        return {}
    packages = tomllib.loads(lock.read_text()).get("package", [])
    return {normalized(p["name"]): str(p["version"]) for p in packages if "name" in p}


def _ocean_source() -> str:
    """How to install this Ocean into another environment: its source tree when it runs
    from one (a checkout, or one it was installed from: ``pip install .``), else the
    distribution."""
    root = Path(__file__).resolve().parents[2]
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


def with_ocean(source: str, wanted: list[str]) -> list[str]:
    """The requirements with Ocean's own once, from ``source``: a folder takes the extras
    the integration asks Ocean for (``ocean-sync[postgres]`` -> ``/path[postgres]``); from
    the package index, the integration's own requirement stays as written (a pin too)."""
    ours = [r for r in wanted if _name(r) == "ocean-sync"]
    others = [r for r in wanted if _name(r) != "ocean-sync"]
    if source == "ocean-sync":
        return [*(ours or [source]), *others]
    extras = sorted({e.strip() for r in ours for e in _extras(r) if e.strip()})
    return [f"{source}[{','.join(extras)}]" if extras else source, *others]


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;@]", requirement, maxsplit=1)[0].lower()


def _extras(requirement: str) -> list[str]:
    found = re.search(r"\[([^\]]*)\]", requirement)
    return found.group(1).split(",") if found else []


@click.command("install")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path), default=".")
@click.option("--here", is_flag=True, help="Install into this environment, not PATH/.venv.")
@click.option("--with-groups", is_flag=True, help="Also the Poetry groups (tests' tools).")
@click.option("--dry-run", is_flag=True, help="Print the pip command; install nothing.")
def install(path: Path, here: bool, with_groups: bool, dry_run: bool) -> None:
    """Install the integration at PATH's dependencies, without the original port-ocean."""
    if not (path / "pyproject.toml").is_file():
        raise click.UsageError(f"{path} has no pyproject.toml to read dependencies from")
    wanted = requirements(path, groups=with_groups)
    python = Path(sys.executable) if here else path / ".venv" / "bin" / "python"
    if not here:
        wanted = with_ocean(_ocean_source(), wanted)
    command = [str(python), "-m", "pip", "install", *wanted]
    if dry_run:
        click.echo(shlex.join(command))  # (quoted: `httpx>=0.27,<1` pasted as it is)
        return
    if not here and not python.exists():
        venv.create(path / ".venv", with_pip=True)
    if subprocess.run(command).returncode != 0:
        raise click.ClickException("pip could not install the dependencies (see above)")
    where = "this environment" if here else f"{path / '.venv'} (run {python.parent / 'ocean'})"
    click.echo(f"installed {len(wanted)} requirement(s) into {where}; port-ocean left out")
