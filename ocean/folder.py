"""Load an integration folder in the original's layout: main.py plus ``.port/`` resources."""

from __future__ import annotations

import collections
import importlib.util
import os
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from ocean.config.spec import IntegrationSpec, load_spec
from ocean.configuration import Configuration, importing_with
from ocean.errors import IntegrationLoadError, MappingError
from ocean.extract.trace import describe_error, with_frames
from ocean.integration import Integration
from ocean.mapping import PortAppConfig, load_mapping
from ocean.resource_files import ExtraResources, load_extras, read_objects, resource_path


@dataclass
class IntegrationFolder:
    """Everything an integration folder declares, loaded but not yet run."""

    path: Path
    integration: Integration
    spec: IntegrationSpec
    mapping: PortAppConfig
    blueprints: list[dict[str, Any]]
    name: str
    version: str
    extras: ExtraResources = field(default_factory=ExtraResources)
    """The actions, scorecards and pages of ``.port/resources/``."""


def load_folder(
    path: Path,
    *,
    resources_path: str = ".port/resources",
    configure: Callable[[IntegrationSpec], Configuration] = lambda _spec: Configuration({}),
) -> IntegrationFolder:
    """Read the spec, configure the integration from it with ``configure``, import
    ``main.py`` (which can read that configuration already), then read the mapping and
    blueprints."""
    path = path.resolve()
    if not (path / "main.py").is_file():
        raise IntegrationLoadError(
            f"{path} has no main.py; point `ocean sail` at an integration folder "
            "(main.py with @ocean.on_resync handlers and a .port/ folder)."
        )
    resources = path / resources_path
    name, version = _project(path)
    spec = load_spec(path / ".port")
    configuration = configure(spec)
    with importing_with(configuration):
        main = import_main(path)
    integration = find_integration(main)
    integration.configure(configuration.config, configuration.settings)
    integration.configure_folder(path, main)
    return IntegrationFolder(
        path=path,
        spec=spec,
        mapping=_mapping(resources, integration.mapping_model),
        blueprints=_blueprints(resources),
        extras=load_extras(resources),
        integration=integration,
        name=name,
        version=version,
    )


def import_main(folder: Path) -> ModuleType:
    """Import ``main.py`` as a fresh module named ``main`` (what its log records show),
    registered in ``sys.modules`` only while it runs (what ``@dataclass`` and the like look
    up as it defines its classes), so each folder loaded gets its own.

    The folder stays importable afterwards, as in the original, so handlers may import the
    integration's own modules lazily; until another folder is loaded, whose modules of
    the same names (``import helpers``) are then its own (see :func:`_enter`).
    """
    spec = importlib.util.spec_from_file_location("main", folder / "main.py")
    if spec is None or spec.loader is None:
        raise IntegrationLoadError(f"cannot import {folder / 'main.py'}")
    module = importlib.util.module_from_spec(spec)
    _enter(folder)
    before = sys.modules.get("main")
    sys.modules["main"] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        message = f"importing {folder / 'main.py'} failed: {describe_error(error)}"
        message += _install_hint(error, folder)
        raise IntegrationLoadError(with_frames(message, error, folder.resolve())) from error
    finally:
        if before is None:
            sys.modules.pop("main", None)
        else:
            sys.modules["main"] = before
    return module


_current: tuple[Path, bool] | None = None
"""The folder loaded last, and whether loading it put it on ``sys.path``."""


def _enter(folder: Path) -> None:
    """Make ``folder`` the one whose modules imports find: the modules the folder loaded
    before it imported by name from itself (``helpers`` from ``helpers.py``, ``pkg.sub``
    from ``pkg/sub.py``) leave ``sys.modules``, and that folder leaves ``sys.path`` when
    loading it put it there; ``folder`` goes on ``sys.path`` if it is not there."""
    global _current
    if _current is not None and _current[0] != folder:
        left, inserted = _current
        for name, module in list(sys.modules.items()):
            if _imported_from(left, name, module):
                del sys.modules[name]
        if inserted and str(left) in sys.path:
            sys.path.remove(str(left))
    if _current is None or _current[0] != folder:
        _current = (folder, str(folder) not in sys.path)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def _imported_from(folder: Path, name: str, module: ModuleType) -> bool:
    """Whether ``module`` is ``folder``'s own, imported by ``name`` with the folder on
    ``sys.path`` (not a test module of it, nor a package of a virtualenv inside it)."""
    parts = name.split(".")
    where = getattr(module, "__file__", None)
    if where is None:  # a namespace package: its directories
        return any(Path(p) == folder.joinpath(*parts) for p in getattr(module, "__path__", ()))
    if not where.startswith(str(folder) + os.sep):
        return False
    relative = Path(where).relative_to(folder)
    stem = relative.name.split(".")[0]
    if stem == "__init__":
        return list(relative.parent.parts) == parts
    return [*relative.parent.parts, stem] == parts


def _install_hint(error: Exception, folder: Path) -> str:
    """What to run when main.py needs a package the integration depends on that is not
    installed (not one of its own modules, nor Ocean's)."""
    missing = error.name if isinstance(error, ModuleNotFoundError) else None
    if not missing or missing.split(".")[0] in ("ocean", "port_ocean"):
        return ""
    top = missing.split(".")[0]
    if (folder / top).is_dir() or (folder / f"{top}.py").is_file():
        return ""
    return (
        f" (install the integration's dependencies, without the original port-ocean: "
        f"`ocean install {folder}`)"
    )


def find_integration(module: ModuleType) -> Integration:
    """The one :class:`Integration` object main.py created or imported; else the one a
    module of the integration that main.py imported holds (``from my_integration import
    ocean``, where ``ocean`` is that package's module registering the handlers, as some of
    the original's integrations do)."""
    found = {id(v): v for v in vars(module).values() if isinstance(v, Integration)}
    if not found and module.__file__ is not None:
        folder = Path(module.__file__).resolve().parent
        for value in vars(module).values():
            if isinstance(value, ModuleType) and _within(value, folder):
                found.update({id(v): v for v in vars(value).values() if isinstance(v, Integration)})
    if len(found) != 1:
        problem = (
            "defines no Integration object" if not found else "defines several Integration objects"
        )
        raise IntegrationLoadError(
            f"{module.__file__} {problem}; create exactly one with "
            "`from ocean import Integration; ocean = Integration()` and decorate handlers on it."
        )
    return next(iter(found.values()))


def _within(module: ModuleType, folder: Path) -> bool:
    where = getattr(module, "__file__", None)
    return where is not None and Path(where).resolve().is_relative_to(folder)


def _mapping(resources: Path, model: Any) -> PortAppConfig:
    for name in ("port-app-config.yml", "port-app-config.yaml", "port-app-config.json"):
        if (resources / name).is_file():
            return load_mapping(resources / name, model=model)
    raise MappingError(
        f"no mapping found: add {resources / 'port-app-config.yml'} with a `resources:` list."
    )


def _blueprints(resources: Path) -> list[dict[str, Any]]:
    data = read_objects(resources, "blueprints", "blueprints, each with an identifier")
    _refuse_duplicates(resource_path(resources, "blueprints") or resources, data)
    return [_enum_typed_as_string(blueprint) for blueprint in data]


def _refuse_duplicates(path: Path, blueprints: list[dict[str, Any]]) -> None:
    """Refuse two blueprints of the same identifier: which one the catalog would keep
    depends on the catalog (the last, or neither)."""
    seen = collections.Counter(str(blueprint["identifier"]) for blueprint in blueprints)
    twice = [identifier for identifier, count in seen.items() if count > 1]
    if twice:
        raise IntegrationLoadError(
            f"{path} defines the blueprint{'s' if len(twice) > 1 else ''} "
            f"{', '.join(map(repr, twice))} more than once; keep one definition of each"
        )


def _enum_typed_as_string(blueprint: dict[str, Any]) -> dict[str, Any]:
    """A property written ``"type": "enum"`` (with its ``enum`` list), which the original
    accepts, is the string property with that enum it stands for in Port."""
    schema = blueprint.get("schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return blueprint
    properties: dict[str, Any] = schema["properties"]
    retyped = {
        name: {**definition, "type": "string"}
        if isinstance(definition, dict) and definition.get("type") == "enum"
        else definition
        for name, definition in properties.items()
    }
    if retyped == properties:
        return blueprint
    return {**blueprint, "schema": {**schema, "properties": retyped}}


def _project(folder: Path) -> tuple[str, str]:
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        try:
            document = tomllib.loads(pyproject.read_text())
            project = document.get("project") or {}
            poetry = document.get("tool", {}).get("poetry", {})
        except tomllib.TOMLDecodeError as error:
            raise IntegrationLoadError(f"{pyproject} is not valid TOML: {error}") from None
        name = project.get("name") or poetry.get("name") or folder.name
        return str(name).lower(), str(project.get("version") or poetry.get("version") or "0.1.0")
    return folder.name.lower(), "0.1.0"
