"""Clear errors for the parts of the original's API that Ocean does not provide yet."""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any


class UnsupportedError(ImportError):
    """An integration asked for a ``port_ocean`` name Ocean does not provide."""


class UnsupportedAttributeError(AttributeError):
    """An integration read an attribute of a ``port_ocean`` object Ocean does not provide."""


def message(name: str, module: str) -> str:
    return (
        f"{name!r} from {module!r} is part of the original port-ocean API that Ocean does not "
        "support yet. Use the names listed in Ocean's README (Compatibility), or port this "
        "part of the integration to Ocean's own API."
    )


class _Guard:
    """Turns 'No module named port_ocean.x' into a message that says what to do (a meta
    path finder by its ``find_spec``; ``importlib.abc`` alone would cost every start 5 ms)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith("port_ocean."):
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = (
                finder.find_spec(fullname, path, target) if hasattr(finder, "find_spec") else None
            )
            if spec is not None:
                return spec
        raise UnsupportedError(message(fullname.rsplit(".", 1)[-1], fullname), name=fullname)


def install_guard() -> None:
    if not any(isinstance(finder, _Guard) for finder in sys.meta_path):
        sys.meta_path.append(_Guard())


def missing(module: str) -> Any:
    """A module ``__getattr__`` that names the missing name and module. A submodule not
    imported yet is imported (``from port_ocean.utils import cache`` asks the package for
    ``cache`` before it looks for the submodule)."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return importlib.import_module(f"{module}.{name}")
        except ImportError as error:
            if error.name != f"{module}.{name}":
                raise
        raise UnsupportedError(message(name, module))

    return __getattr__
