"""``ocean install PATH``: install an integration's own dependencies where Ocean runs it.

Every integration of the original lists ``port-ocean`` among its dependencies; installing
them as they are would put the original's ``port_ocean`` package and ``ocean`` command over
Ocean's. This command reads the integration's ``pyproject.toml`` (Poetry's
``[tool.poetry.dependencies]``, or PEP 621's ``[project.dependencies]``; on request
also Poetry's groups, PEP 621's ``optional-dependencies`` and PEP 735's ``dependency-groups``), leaves out ``port-ocean`` and ``python``, pins each
dependency to the version ``poetry.lock`` holds when it has one, and installs them with pip
into a virtual environment beside the integration (``PATH/.venv``, Ocean installed there
too) or, with ``--here``, into the environment running this command.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
import venv
from pathlib import Path
from typing import Any

import click

from ocean.install_check import ocean_source

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
        if normalized(name) in LEFT_OUT or _missing_folder(spec, folder):
            continue
        version = spec.get("version", "*") if isinstance(spec, dict) else str(spec)
        extras = spec.get("extras", []) if isinstance(spec, dict) else []
        named = f"{name}{'[' + ','.join(extras) + ']' if extras else ''}"
        pin = locked.get(normalized(name))
        wanted = f"=={pin}" if pin else pep440(str(version))
        direct = _direct(named, spec, folder) if isinstance(spec, dict) else None
        found.append(direct or named + wanted)
    project = document.get("project", {})
    lines = list(project.get("dependencies", []))
    if groups:  # PEP 621 extras and PEP 735 groups: where `ocean new`'s pytest is
        for extra in project.get("optional-dependencies", {}).values():
            lines += extra
        tables = document.get("dependency-groups", {})
        for group in tables:
            lines += _group(tables, group)
    for line in lines:
        name = re.split(r"[\s\[<>=!~;@]", line, maxsplit=1)[0]
        itself = normalized(name) == normalized(str(project.get("name", "")))  # dev = ["x[a]"]
        if normalized(name) not in LEFT_OUT and not itself and line not in found:
            found.append(line)
    return found


def _group(
    tables: dict[str, list[Any]], name: str, seen: frozenset[str] = frozenset()
) -> list[str]:
    """A PEP 735 dependency group's requirements, its ``include-group`` ones included."""
    lines: list[str] = []
    for entry in tables.get(name, []) if name not in seen else []:
        if isinstance(entry, str):
            lines.append(entry)
        elif isinstance(entry, dict) and "include-group" in entry:
            lines += _group(tables, str(entry["include-group"]), seen | {name})
    return lines


def _missing_folder(spec: Any, folder: Path) -> bool:
    """A ``path`` dependency (a folder, or a wheel or sdist file) that is not there (the
    original's monorepo ones)."""
    return isinstance(spec, dict) and "path" in spec and not (folder / str(spec["path"])).exists()


def _direct(named: str, spec: dict[str, Any], folder: Path) -> str | None:
    """A Poetry ``git``, ``url`` or ``path`` dependency as a PEP 508 direct reference (by
    its name alone pip would install whatever the package index holds under that name; a
    path is the folder's, relative to the integration)."""
    if "path" in spec:
        return f"{named} @ {(folder / str(spec['path'])).resolve().as_uri()}"
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


def _refuse_the_original_in(environment: Path) -> None:
    """Stop before installing Ocean over the original in a ``.venv`` the original's
    ``make install`` left (Poetry's, in the project): both provide ``port_ocean``."""
    found = sorted(environment.glob("[lL]ib/**/site-packages/port_ocean-*.dist-info"))
    if found:
        raise click.ClickException(
            f"{environment} holds the original port-ocean ({found[0].name}), which Ocean "
            f"would be mixed into; remove that environment (`rm -rf {shlex.quote(str(environment))}`) "
            f"or uninstall it (`{shlex.quote(str(environment / 'bin' / 'pip'))} uninstall port-ocean`), "
            "then run `ocean install` again"
        )


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;@]", requirement, maxsplit=1)[0].lower()


def _extras(requirement: str) -> list[str]:
    found = re.search(r"\[([^\]]*)\]", requirement)
    return found.group(1).split(",") if found else []


@click.command("install")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path), default=".")
@click.option("--here", is_flag=True, help="Install into this environment, not PATH/.venv.")
@click.option(
    "--with-groups",
    is_flag=True,
    help="Also the tests' tools: Poetry groups, [project.optional-dependencies], [dependency-groups].",
)
@click.option("--dry-run", is_flag=True, help="Print the pip command; install nothing.")
def install(path: Path, here: bool, with_groups: bool, dry_run: bool) -> None:
    """Install the integration at PATH's dependencies, without the original port-ocean."""
    if not (path / "pyproject.toml").is_file():
        raise click.UsageError(f"{path} has no pyproject.toml to read dependencies from")
    wanted = requirements(path, groups=with_groups)
    python = Path(sys.executable) if here else path / ".venv" / "bin" / "python"
    if not here:
        wanted = with_ocean(ocean_source(), wanted)
        _refuse_the_original_in(path / ".venv")
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
