"""The original's runtime dependencies that integrations import without declaring them
(``custom`` imports ``aiofiles``): Ocean depends on them too, so they run unchanged."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPENDENCIES = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


@pytest.mark.parametrize(("distribution", "module"), [("aiofiles", "aiofiles")])
def test_the_original_s_runtime_dependencies_come_with_ocean(
    distribution: str, module: str
) -> None:
    names = {re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0] for requirement in DEPENDENCIES}

    assert distribution in names
    assert importlib.import_module(module).__name__ == module


async def test_aiofiles_reads_back_what_it_wrote(tmp_path: Path) -> None:
    import aiofiles

    async with aiofiles.open(tmp_path / "cache.json", mode="w") as fh:
        await fh.write('{"ok": true}')
    async with aiofiles.open(tmp_path / "cache.json") as fh:
        assert await fh.read() == '{"ok": true}'
