"""Which of ``ocean``'s registrations an integration folder made: ``ocean`` is one object
per process, so a folder loaded again (or another folder) keeps only its own."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType
from typing import Any


def registered_by(value: Any, folder: Path, main: ModuleType) -> bool:
    """Whether a function or class comes from ``folder`` and, if from its main.py, from
    the import ``main`` (an earlier import of the same main.py registered its own)."""
    if not _defined_in(value, folder):
        return False
    if inspect.isclass(value):
        methods = [m for m in vars(value).values() if inspect.isfunction(m)]
        return all(registered_by(method, folder, main) for method in methods)
    namespace = getattr(value, "__globals__", None)
    main_py = Path(inspect.getfile(value)).resolve() == (folder / "main.py").resolve()
    return not main_py or namespace is None or namespace is vars(main)


def _defined_in(value: Any, folder: Path) -> bool:
    """Whether a function or class comes from a file under ``folder`` (a class by its
    methods' code: main.py is not always in ``sys.modules``)."""
    if inspect.isclass(value):
        methods = [m for m in vars(value).values() if inspect.isfunction(m)]
        return any(_defined_in(method, folder) for method in methods)
    try:
        return Path(inspect.getfile(value)).resolve().is_relative_to(folder.resolve())
    except TypeError:
        return False


def import_file(path: Path, folder: Path) -> Any:
    """Import ``path`` (the folder's ``integration.py``) with ``folder`` importable."""
    spec = importlib.util.spec_from_file_location(f"integration_{abs(hash(str(path)))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(folder))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
    return module
