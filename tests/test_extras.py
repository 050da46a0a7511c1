"""Without an extra's library, what needs it stops with the extra to install, and
everything else runs (real processes, the library hidden from them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ocean.cli.new import Answers, write_scaffold
from ocean.errors import ConfigError, MissingExtraError
from ocean.extras import EXTRAS, require

OCEAN = [sys.executable, "-m", "ocean"]


def _hiding(tmp_path: Path, *modules: str) -> dict[str, str]:
    """An environment whose processes cannot import ``modules`` (as if not installed), its
    catalog in ``tmp_path``."""
    site = tmp_path / "hide"
    site.mkdir()
    hidden = "".join(f"sys.modules[{module!r}] = None\n" for module in modules)
    (site / "sitecustomize.py").write_text("import sys\n" + hidden)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OCEAN__")}
    catalog = f"sqlite:///{tmp_path / 'catalog.db'}"
    return environ | {"PYTHONPATH": str(site), "OCEAN__CATALOG__URL": catalog}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The ``ocean new`` scaffold: it syncs offline and serves live events."""
    write_scaffold(tmp_path / "example", Answers())
    return tmp_path / "example"


@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_require_names_the_extra(extra: str, monkeypatch: pytest.MonkeyPatch) -> None:
    require(extra)  # installed here: nothing happens
    module = EXTRAS[extra][0]
    monkeypatch.setitem(sys.modules, module, None)  # type: ignore[arg-type]

    with pytest.raises(MissingExtraError) as raised:
        require(extra)

    assert f"pip install 'ocean-sync[{extra}]'" in str(raised.value)
    assert isinstance(raised.value, ConfigError)


@pytest.mark.parametrize(
    ("extra", "args", "env"),
    [
        ("postgres", ["catalog", "runs", "--catalog", "postgresql://u@127.0.0.1:9/db"], {}),
        ("kafka", ["sail", "{folder}"], {"OCEAN__EVENT_LISTENER__TYPE": "KAFKA"}),
        (
            "redis",
            ["sail", "{folder}", "--port", "0"],
            {"OCEAN__LIVE_EVENTS__QUEUE_URL": "redis://127.0.0.1:9/0"},
        ),
    ],
)
def test_a_missing_extra_stops_the_command_naming_it(
    extra: str, args: list[str], env: dict[str, str], folder: Path, tmp_path: Path
) -> None:
    environ = _hiding(tmp_path, EXTRAS[extra][0]) | env
    command = [arg.replace("{folder}", str(folder)) for arg in args]

    done = subprocess.run(
        [*OCEAN, *command], env=environ, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 2, done.stdout + done.stderr
    assert f"install it with `pip install 'ocean-sync[{extra}]'`" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_core_runs_without_any_extra(folder: Path, tmp_path: Path) -> None:
    environ = _hiding(tmp_path, *(module for module, _ in EXTRAS.values()))

    done = subprocess.run(
        [*OCEAN, "sail", str(folder), "--once"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stdout + done.stderr
