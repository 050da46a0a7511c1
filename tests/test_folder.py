"""Loading an integration folder's main.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ocean.folder import import_main

MAIN = """
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Page:
    size: int
    name: str = "{name}"
"""


@pytest.mark.parametrize("registered", [None, "an earlier main"])
def test_main_may_define_dataclasses_and_each_folder_gets_its_own_module(
    tmp_path: Path, registered: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if registered is None:
        monkeypatch.delitem(sys.modules, "main", raising=False)
    else:
        monkeypatch.setitem(sys.modules, "main", registered)  # type: ignore[arg-type]
    folders = [tmp_path / "one", tmp_path / "two"]
    for folder in folders:
        folder.mkdir()
        (folder / "main.py").write_text(MAIN.format(name=folder.name))

    modules = [import_main(folder) for folder in folders]

    assert [module.Page(1).name for module in modules] == ["one", "two"]
    assert sys.modules.get("main") == registered
