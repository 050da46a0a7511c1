"""Loading an integration folder's main.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ocean.errors import IntegrationLoadError
from ocean.folder import import_main, load_folder
from ocean.testing import resync

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


def _integration(folder: Path, name: str, blueprints: str = "[]") -> Path:
    """A folder whose main.py yields one thing named by its own ``helpers`` module (and
    its ``lib`` package), as an integration's sibling modules are imported."""
    (folder / ".port/resources").mkdir(parents=True)
    (folder / "lib").mkdir()
    (folder / "lib/__init__.py").write_text("")
    (folder / "lib/naming.py").write_text(f"SUFFIX = '-{name}'\n")
    (folder / "helpers.py").write_text(f"NAME = {name!r}\n")
    (folder / "main.py").write_text(
        "import helpers\nfrom lib import naming\nfrom ocean import Integration\n"
        "ocean = Integration()\n"
        "@ocean.on_resync('thing')\n"
        "async def things(kind):\n"
        "    return [{'id': helpers.NAME + naming.SUFFIX}]\n"
    )
    (folder / ".port/resources/port-app-config.yml").write_text(
        "resources:\n  - kind: thing\n    port:\n      entity:\n        mappings:\n"
        "          identifier: .id\n          blueprint: '\"thing\"'\n"
    )
    (folder / ".port/resources/blueprints.json").write_text(blueprints)
    (folder / ".port/spec.yaml").write_text("type: things\n")
    return folder


def test_each_folder_gets_its_own_sibling_modules_and_leaves_sys_path(tmp_path: Path) -> None:
    blueprint = '[{"identifier": "thing", "title": "Thing"}]'
    one = _integration(tmp_path / "one", "one", blueprint)
    two = _integration(tmp_path / "two", "two", blueprint)

    synced = [resync(folder) for folder in (one, two, one)]

    assert [list(s.entities["thing"]) for s in synced] == [["one-one"], ["two-two"], ["one-one"]]
    assert (str(one.resolve()) in sys.path, str(two.resolve()) in sys.path) == (True, False)
    assert sys.modules["helpers"].NAME == "one"
    for name in ("helpers", "lib", "lib.naming"):
        del sys.modules[name]


def test_a_blueprint_defined_twice_is_refused_naming_it_and_the_file(tmp_path: Path) -> None:
    blueprints = json.dumps(
        [
            {"identifier": "thing", "title": "Thing"},
            {"identifier": "person", "title": "Person"},
            {"identifier": "thing", "title": "Thing again"},
        ]
    )
    folder = _integration(tmp_path / "dup", "dup", blueprints)

    with pytest.raises(IntegrationLoadError) as raised:
        load_folder(folder)

    assert str(raised.value) == (
        f"{folder / '.port/resources/blueprints.json'} defines the blueprint 'thing' more "
        "than once; keep one definition of each"
    )


@pytest.mark.parametrize(
    ("files", "shown"),
    [
        ({"main.py": "import os\ndef load(:\n    pass\n"}, "main.py:2: def load(:"),
        ({"main.py": "if True:\n  x = 1\n    y = 2\n"}, "main.py:3: y = 2"),
        (
            {"main.py": "import helpers\n", "helpers.py": "NAME = 'a'\nNAME = = 'b'\n"},
            "helpers.py:2: NAME = = 'b'",
        ),
    ],
    ids=["main", "indentation", "helper"],
)
def test_a_syntax_error_in_the_folder_shows_its_file_line_and_text(
    tmp_path: Path, files: dict[str, str], shown: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)

    with pytest.raises(IntegrationLoadError) as raised:
        import_main(tmp_path)

    message = str(raised.value)
    assert f"  {shown}\n" in message + "\n"
    assert "<frozen" not in message
    sys.modules.pop("helpers", None)
