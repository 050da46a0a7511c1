"""What pyproject.toml promises: a core without the optional clients, an extra for each,
``[dev]`` with everything the suite needs, and the files a wheel must carry."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest

from ocean.extras import EXTRAS

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0] for requirement in requirements}


@pytest.mark.parametrize(("extra", "module"), [(e, m) for e, (m, _) in sorted(EXTRAS.items())])
def test_each_optional_client_is_an_extra_and_not_in_the_core(extra: str, module: str) -> None:
    extras = PROJECT["project"]["optional-dependencies"]
    assert _names(extras[extra]) == {module}
    assert module not in _names(PROJECT["project"]["dependencies"])
    (everything,) = extras["all"]
    assert everything.startswith("ocean-sync[")
    assert set(everything.removeprefix("ocean-sync[").rstrip("]").split(",")) == set(EXTRAS)


def test_dev_pulls_every_extra() -> None:
    assert "ocean-sync[all]" in PROJECT["project"]["optional-dependencies"]["dev"]
    assert "-e '.[dev]'" in (ROOT / "scripts" / "setup").read_text()


@pytest.mark.parametrize(
    ("package", "file"),
    [("ocean", "py.typed"), ("port_ocean", "py.typed")]
    + [("ocean", str(p.relative_to(ROOT / "ocean"))) for p in (ROOT / "ocean").rglob("*.tmpl")],
)
def test_package_data_carries_the_files_outside_python(package: str, file: str) -> None:
    assert (ROOT / package / file).is_file()
    patterns = PROJECT["tool"]["setuptools"]["package-data"][package]
    assert any(fnmatch.fnmatch(file, pattern.replace("**/", "*")) for pattern in patterns)
