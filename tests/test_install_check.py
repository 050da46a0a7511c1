"""The original ``port-ocean`` installed beside Ocean is found and named at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ocean.install_check import installation_problems

OURS = Path(__file__).resolve().parents[1] / "port_ocean"
OUR_SCRIPT = "#!/usr/bin/python\nfrom ocean.cli.main import main\nmain()\n"
THEIR_SCRIPT = "#!/usr/bin/python\nfrom port_ocean.cli.cli import cli_start\ncli_start()\n"


def _environment(
    root: Path, *, dist_info: bool = False, mixed: bool = False, script: str = OUR_SCRIPT
) -> tuple[list[str], Path, Path]:
    site = root / "lib" / "site-packages"
    package = site / "port_ocean"
    (package / "cli").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    if dist_info:
        (site / "port_ocean-0.56.2.dist-info").mkdir()
    if mixed:
        (package / "bootstrap.py").write_text("")
        (package / "cli" / "cli.py").write_text("")
    scripts = root / "bin"
    scripts.mkdir()
    (scripts / "ocean").write_text(script)
    return [str(site)], scripts, package


@pytest.mark.parametrize(
    ("situation", "says"),
    [
        ({}, []),
        ({"dist_info": True}, ["the original port-ocean is installed in this environment"]),
        ({"mixed": True}, ["mixes the original's files with Ocean's (bootstrap.py, cli/cli.py)"]),
        ({"script": THEIR_SCRIPT}, ["now starts the original, not Ocean"]),
        (
            {"dist_info": True, "mixed": True, "script": THEIR_SCRIPT},
            ["is installed in this environment", "mixes the original's files", "now starts"],
        ),
    ],
    ids=["clean", "installed", "mixed-files", "command-replaced", "all"],
)
def test_each_sign_of_the_original_is_named(
    tmp_path: Path, situation: dict[str, object], says: list[str]
) -> None:
    path, scripts, package = _environment(tmp_path, **situation)  # type: ignore[arg-type]

    problems = installation_problems(path, scripts, package)

    assert len(problems) == len(says)
    for problem, expected in zip(problems, says, strict=True):
        assert expected in problem


def test_this_checkout_is_clean() -> None:
    assert installation_problems(package_dir=OURS) == []


def test_every_command_says_so_at_start_up(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    (site / "port_ocean-0.56.2.dist-info").mkdir(parents=True)
    environ = {**os.environ, "PYTHONPATH": str(site)}

    done = subprocess.run(
        [sys.executable, "-m", "ocean", "version"],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )

    assert done.stdout.startswith("Ocean version: ")
    assert "warning: the original port-ocean is installed in this environment" in done.stderr
    assert "pip uninstall port-ocean" in done.stderr


def test_the_fix_reinstalls_ocean_from_where_it_came(tmp_path: Path) -> None:
    """Ocean installed from a checkout (`pip install .`, the README's quick start) is
    reinstalled from it: the package index may not have it."""
    site = tmp_path / "site-packages"
    (site / "port_ocean-0.56.2.dist-info").mkdir(parents=True)
    checkout = Path(__file__).resolve().parents[1]
    environ = {**os.environ, "PYTHONPATH": f"{checkout}{os.pathsep}{site}"}

    done = subprocess.run(
        [sys.executable, "-m", "ocean", "version"], env=environ, capture_output=True, text=True
    )

    assert f"pip install --force-reinstall {checkout}`" in done.stderr
