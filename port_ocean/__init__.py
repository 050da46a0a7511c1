"""The original Ocean's author-facing API (``port_ocean``), as thin views over Ocean.

Integrations written for the original import from here unchanged. Only the names they
actually use are provided; importing any other ``port_ocean`` module or name fails with an
error that names it and says it is not supported yet. Importing this package installs that
guard for ``port_ocean.*`` names only and changes nothing else; ``Ocean``, ``run`` and the
versions are imported when asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

from port_ocean._unsupported import install_guard, missing

install_guard()

_LAZY = {
    "Ocean": "port_ocean.ocean",
    "run": "port_ocean.run",
    "__version__": "port_ocean.version",
    "__integration_version__": "port_ocean.version",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # over the submodule ``run`` its import bound here
        return value
    return missing(__name__)(name)


__all__ = ["Ocean", "__integration_version__", "__version__", "run"]
