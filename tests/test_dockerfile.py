"""The container image's recipe: a slim Python base, Ocean installed with every extra from
the files it copies (all that the build needs, nothing else), ``ocean`` as entrypoint.
No Docker engine runs here: these read the Dockerfile and check what it names."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINES = [
    line.strip()
    for line in (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _instructions(name: str) -> list[str]:
    return [line.split(None, 1)[1] for line in LINES if line.split(None, 1)[0] == name]


@pytest.mark.parametrize(
    ("instruction", "pattern"),
    [
        ("FROM", r"python:3\.1[1-9]-slim(-\w+)?"),
        ("RUN", r'pip install "/tmp/ocean\[all\]".*'),
        ("ENTRYPOINT", r'\["ocean"\]'),
        ("USER", r"ocean"),
        ("WORKDIR", r"/integration"),
        ("EXPOSE", r"8000"),
    ],
)
def test_the_image_is_built_as_the_readme_says(instruction: str, pattern: str) -> None:
    assert any(re.fullmatch(pattern, value) for value in _instructions(instruction)), (
        f"{instruction} {pattern!r} not in {_instructions(instruction)}"
    )


def test_the_python_base_satisfies_the_project() -> None:
    (base,) = _instructions("FROM")
    image = re.search(r"python:3\.(\d+)", base)
    required = re.fullmatch(r">=3\.(\d+)", PROJECT["project"]["requires-python"])
    assert image is not None and required is not None
    assert int(image[1]) >= int(required[1])


def test_the_default_command_serves_on_every_interface() -> None:
    (command,) = _instructions("CMD")
    assert json.loads(command) == ["sail", ".", "--host", "0.0.0.0", "--port", "8000"]


def test_what_is_copied_is_everything_the_build_reads() -> None:
    copied = {source for line in _instructions("COPY") for source in line.split()[:-1]}
    packages = PROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    needed = {"pyproject.toml", PROJECT["project"]["readme"]} | {
        path.name for path in ROOT.iterdir() if path.is_dir() and any(fnmatch.fnmatch(path.name, p) for p in packages)
        and (path / "__init__.py").is_file()
    }  # fmt: skip
    assert copied == needed
    assert all((ROOT / source).exists() for source in copied)


def test_the_build_context_leaves_out_the_rest() -> None:
    ignored = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert ignored[0] == "*"
    kept = {line.removeprefix("!").rstrip("/") for line in ignored if line.startswith("!")}
    copied = {source for line in _instructions("COPY") for source in line.split()[:-1]}
    assert kept == copied
