"""``ocean install PATH``: an integration's own dependencies, pinned as its lock says, never
the original port-ocean; and ``ocean sail`` saying to run it when a dependency is missing."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import ocean
from ocean.cli.install import install, pep440, requirements, with_ocean
from ocean.errors import IntegrationLoadError
from ocean.folder import import_main
from ocean.install_check import installed_from

PYPROJECT = """
[tool.poetry]
name = "acme"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.12"
port_ocean = {version = "^0.48.12", extras = ["cli"]}
httpx = "^0.27"
pyjwt = {version = "^2.8", extras = ["crypto"]}
local-helper = {path = "../helper"}

[tool.poetry.group.dev.dependencies]
pytest = "^8"
"""
LOCK = """
[[package]]
name = "PyJWT"
version = "2.10.1"

[[package]]
name = "port-ocean"
version = "0.48.13"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "poetry.lock").write_text(LOCK)
    return tmp_path


def test_requirements_leave_out_port_ocean_and_pin_what_the_lock_holds(folder: Path) -> None:
    assert requirements(folder) == ["httpx>=0.27,<0.28", "pyjwt[crypto]==2.10.1"]
    assert requirements(folder, groups=True)[-1] == "pytest>=8,<9"


@pytest.mark.parametrize(
    ("poetry", "pep"),
    [("^1.2.3", ">=1.2.3,<2"), ("^0.2", ">=0.2,<0.3"), ("~1.2", ">=1.2,<1.3"), ("1.0", "==1.0")],
)
def test_poetry_constraints_read_as_pep_440(poetry: str, pep: str) -> None:
    assert pep440(poetry) == pep


def test_the_command_installs_into_this_environment_or_a_venv_beside(folder: Path) -> None:
    here = CliRunner().invoke(install, [str(folder), "--here", "--dry-run"])
    beside = CliRunner().invoke(install, [str(folder), "--dry-run"])

    assert shlex.split(here.output)[:5] == [
        sys.executable,
        "-m",
        "pip",
        "install",
        "httpx>=0.27,<0.28",
    ]
    venv_python = str(folder / ".venv" / "bin" / "python")
    assert shlex.split(beside.output)[:4] == [venv_python, "-m", "pip", "install"]
    assert "port-ocean" not in here.output and "port_ocean" not in here.output


def test_a_missing_dependency_says_to_run_ocean_install(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import acme_sdk_that_is_not_installed\n")

    with pytest.raises(IntegrationLoadError, match=r"`ocean install .*`"):
        import_main(tmp_path)


@pytest.mark.parametrize(
    ("recorded", "found"),
    [
        ('{"url": "file://{root}", "dir_info": {}}', True),
        ('{"url": "file://{root}/nowhere", "dir_info": {}}', False),
        ('{"url": "https://example.com/ocean.tar.gz", "archive_info": {}}', False),
        (None, False),
        ("not json", False),
    ],
    ids=["a-local-checkout", "a-folder-gone", "an-archive", "none", "unreadable"],
)
def test_an_ocean_installed_from_a_checkout_installs_from_it(
    tmp_path: Path, recorded: str | None, found: bool
) -> None:
    """``pip install .`` records the folder (PEP 610): a venv beside an integration gets
    Ocean from it, not from the package index, where it may not be."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'ocean-sync'\n")
    text = None if recorded is None else recorded.replace("{root}", str(tmp_path))

    assert installed_from(text) == (str(tmp_path) if found else None)


def test_ocean_is_required_once_from_its_source(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["ocean-sync", "httpx>=0.27"]\n'
    )

    beside = CliRunner().invoke(install, [str(tmp_path), "--dry-run"])

    arguments = shlex.split(beside.output)
    assert arguments[4:] == [str(Path(ocean.__file__).resolve().parents[1]), "httpx>=0.27"]


def test_the_printed_command_can_be_pasted_into_a_shell(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["httpx>=0.27,<1", "acme @ git+https://g.test/a"]\n'
    )

    printed = CliRunner().invoke(install, [str(tmp_path), "--here", "--dry-run"]).output
    shell = subprocess.run(
        ["sh", "-c", f"printf '%s\\n' {printed.strip()[len(sys.executable) :]}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip

    assert shell.stdout.splitlines()[-2:] == ["httpx>=0.27,<1", "acme @ git+https://g.test/a"]


@pytest.mark.parametrize(
    ("source", "wanted", "sent"),
    [
        ("/src", ["ocean-sync[postgres]>=0.1", "httpx"], ["/src[postgres]", "httpx"]),
        ("/src", ["ocean-sync[redis, kafka]", "ocean-sync"], ["/src[kafka,redis]"]),
        ("/src", ["httpx"], ["/src", "httpx"]),
        ("ocean-sync", ["ocean-sync[postgres]==0.1.0", "httpx"], ["ocean-sync[postgres]==0.1.0", "httpx"]),
        ("ocean-sync", ["httpx"], ["ocean-sync", "httpx"]),
    ],
    ids=["extras-onto-a-folder", "extras-merged", "none-asked", "index-keeps-its-own", "index-bare"],
)  # fmt: skip
def test_ocean_is_installed_once_with_the_extras_the_integration_asks_for(
    source: str, wanted: list[str], sent: list[str]
) -> None:
    assert with_ocean(source, wanted) == sent


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(
            '{git = "https://github.com/acme/sdk.git", rev = "1a2b3c"}',
            "acme-sdk @ git+https://github.com/acme/sdk.git@1a2b3c",
            id="git-rev",
        ),
        pytest.param(
            '{git = "git@github.com:acme/sdk.git", tag = "v2", extras = ["fast"]}',
            "acme-sdk[fast] @ git+ssh://git@github.com/acme/sdk.git@v2",
            id="git-scp-like-with-extras",
        ),
        pytest.param(
            '{git = "https://github.com/acme/mono.git", subdirectory = "sdk"}',
            "acme-sdk @ git+https://github.com/acme/mono.git#subdirectory=sdk",
            id="git-subdirectory",
        ),
        pytest.param(
            '{url = "https://example.com/acme_sdk-1.0-py3-none-any.whl"}',
            "acme-sdk @ https://example.com/acme_sdk-1.0-py3-none-any.whl",
            id="url",
        ),
    ],
)
def test_a_git_or_url_dependency_is_installed_from_its_source_not_the_index(
    tmp_path: Path, spec: str, expected: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.poetry.dependencies]\npython = '^3.12'\nacme-sdk = {spec}\n"
    )
    (tmp_path / "poetry.lock").write_text('[[package]]\nname = "acme-sdk"\nversion = "1.0"\n')

    assert requirements(tmp_path) == [expected]


def test_a_path_dependency_is_installed_from_its_folder(tmp_path: Path) -> None:
    """A library of the integration's own, beside it (it was left out); one whose folder is
    not there (the original's monorepo's) is still left out."""
    (tmp_path / "libs" / "acme").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.poetry.dependencies]\npython = '^3.12'\n"
        'acme-lib = {path = "libs/acme", develop = true}\n'
        'port-ocean = {path = "../..", extras = ["cli"]}\n'
        'gone = {path = "../gone"}\n'
        'built = {path = "dist/built-1.0-py3-none-any.whl"}\n'
    )
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "built-1.0-py3-none-any.whl").write_bytes(b"")

    assert requirements(tmp_path) == [
        f"acme-lib @ {(tmp_path / 'libs/acme').as_uri()}",
        f"built @ {(tmp_path / 'dist/built-1.0-py3-none-any.whl').as_uri()}",
    ]


def test_with_groups_pep_621_extras_and_pep_735_groups_are_installed_too(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "acme"\ndependencies = ["httpx>=0.27"]\n'
        '[project.optional-dependencies]\ndev = ["pytest>=8", "acme[extra]", "port-ocean[cli]"]\n'
        '[dependency-groups]\nlint = ["ruff"]\ntest = ["pytest-httpx", {include-group = "lint"}]\n'
    )

    assert requirements(tmp_path) == ["httpx>=0.27"]
    assert requirements(tmp_path, groups=True) == [
        "httpx>=0.27",
        "pytest>=8",
        "ruff",
        "pytest-httpx",
    ]


def test_a_venv_holding_the_original_is_not_installed_over(tmp_path: Path) -> None:
    """The original's scaffold keeps Poetry's venv in the project (poetry.toml: in-project):
    `make install` leaves port-ocean in PATH/.venv, where `ocean install` installs Ocean."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["httpx"]\n')
    site = tmp_path / ".venv" / "lib" / "python3.12" / "site-packages"
    (site / "port_ocean-0.48.13.dist-info").mkdir(parents=True)

    result = CliRunner().invoke(install, [str(tmp_path), "--dry-run"])

    assert result.exit_code == 1, result.output
    assert "holds the original port-ocean (port_ocean-0.48.13.dist-info)" in result.output
    assert "uninstall port-ocean" in result.output
