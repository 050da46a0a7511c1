"""``ocean version``, as the original's command."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ocean.cli.main import cli
from ocean.version import __version__


@pytest.mark.parametrize(
    ("args", "output"),
    [
        (["version"], f"Ocean version: {__version__}\n"),
        (["version", "--short"], f"{__version__}\n"),
        (["version", "-s"], f"{__version__}\n"),
    ],
)
def test_version(args: list[str], output: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert (result.exit_code, result.output) == (0, output)
