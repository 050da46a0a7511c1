"""Log levels, handler tracebacks and what ``ocean sail`` says while it works, through real
``ocean`` processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ocean.monitor.logs import DEFAULT_LEVEL, LEVELS, level_from_env, parse_level

OCEAN = [sys.executable, "-m", "ocean"]

MAIN_PY = """
from ocean import Integration
from helpers import load

ocean = Integration()


@ocean.on_resync("thing")
async def things(kind):
    yield load()
"""

HELPERS_PY = """
import json
import os


def load():
    if os.environ.get("THINGS_FILE"):
        with open(os.environ["THINGS_FILE"]) as handle:
            return json.load(handle)
    return [{"id": "a"}, {"id": "b"}]
"""

MAPPING = """
resources:
  - kind: thing
    selector: {query: 'true'}
    port:
      entity:
        mappings: {identifier: .id, title: .id, blueprint: '"thing"'}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A two-file integration whose handler reads THINGS_FILE when it is set."""
    root = tmp_path / "things"
    (root / ".port" / "resources").mkdir(parents=True)
    (root / ".port" / "spec.yaml").write_text("type: things\n")
    blueprints = [{"identifier": "thing", "title": "Thing", "schema": {"properties": {}}}]
    (root / ".port" / "resources" / "blueprints.json").write_text(json.dumps(blueprints))
    (root / ".port" / "resources" / "port-app-config.yml").write_text(MAPPING)
    (root / "main.py").write_text(MAIN_PY)
    (root / "helpers.py").write_text(HELPERS_PY)
    return root


def _ocean(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "OCEAN__CATALOG__URL": f"sqlite:///{cwd}/catalog.db", **(env or {})}
    environ.pop("OCEAN__LOG_LEVEL", None) if env is None else None
    return subprocess.run(
        [*OCEAN, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("TRACE", 5),
        ("DEBUG", 10),
        ("debug", 10),
        ("VERBOSE", 10),
        ("INFO", 20),
        ("SUCCESS", 25),
        ("WARNING", 30),
        ("WARN", 30),
        ("ERROR", 40),
        ("CRITICAL", 50),
        ("FATAL", 50),
        (" info ", 20),
        ("15", 15),
    ],
)
def test_every_level_the_original_and_loguru_accept_is_read(text: str, level: int) -> None:
    assert parse_level(text) == level
    assert level_from_env({"OCEAN__LOG_LEVEL": text}) == (level, None)


@pytest.mark.parametrize(
    ("environ", "level"),
    [
        ({}, LEVELS[DEFAULT_LEVEL]),
        ({"APPLICATION__LOG_LEVEL": "DEBUG"}, 10),  # the original's variable
        ({"OCEAN__LOG_LEVEL": "ERROR", "APPLICATION__LOG_LEVEL": "DEBUG"}, 40),
    ],
)
def test_the_level_comes_from_oceans_variable_then_the_originals(
    environ: dict[str, str], level: int
) -> None:
    assert level_from_env(environ) == (level, None)


def test_a_word_that_is_no_level_is_a_warning_not_a_crash() -> None:
    level, warning = level_from_env({"OCEAN__LOG_LEVEL": "LOUD"})
    assert level == LEVELS[DEFAULT_LEVEL]
    assert warning is not None and "'LOUD'" in warning and "DEBUG" in warning


@pytest.mark.parametrize("level", ["VERBOSE", "verbose", "TRACE", "SUCCESS", "LOUD"])
def test_any_log_level_lets_every_command_run(level: str, folder: Path) -> None:
    done = _ocean("sail", str(folder), "--once", cwd=folder.parent, env={"OCEAN__LOG_LEVEL": level})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    runs = _ocean("catalog", "runs", "--json", cwd=folder.parent, env={"OCEAN__LOG_LEVEL": level})
    assert runs.returncode == 0, runs.stderr
    assert ("is not a log level" in runs.stderr) == (level == "LOUD")


def test_sail_runs_the_current_folder_and_logs_each_resync_and_kind_at_info(folder: Path) -> None:
    done = _ocean("sail", "--once", "-l", "info", cwd=folder, env={})

    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "ocean.resync:" in line]
    assert len(lines) == 3, done.stderr
    assert "resync of my-things-integration started (trigger manual, 1 kind(s))" in lines[0]
    assert "kind thing completed: 2 extracted, 2 created" in lines[1]
    assert "resync of my-things-integration completed in" in lines[2]


def test_a_handler_error_names_the_integrations_lines_and_the_files_full_path(
    folder: Path,
) -> None:
    env = {"THINGS_FILE": "data/things.json"}
    done = _ocean("sail", str(folder), "--once", cwd=folder.parent, env=env)

    assert done.returncode == 1
    expected_path = folder.parent / "data" / "things.json"
    assert "No such file or directory: 'data/things.json'" in done.stdout
    assert f"looked for {expected_path}" in done.stdout.replace("\n", "")
    assert "main.py:10 in things: yield load()" in done.stdout
    assert "helpers.py:8 in load: with open(os.environ" in done.stdout
    assert "Traceback" not in done.stderr  # the whole traceback only at DEBUG


def test_at_debug_the_whole_traceback_is_logged(folder: Path) -> None:
    env = {"THINGS_FILE": "missing.json"}
    done = _ocean("sail", str(folder), "--once", "-l", "DEBUG", cwd=folder.parent, env=env)

    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert f'File "{folder / "helpers.py"}", line 8, in load' in done.stderr
    assert "ocean/extract/extract.py" in done.stderr  # Ocean's own frames too


def test_quiet_prints_nothing_on_success_and_the_failure_on_stderr(folder: Path) -> None:
    fine = _ocean("sail", str(folder), "--once", "--quiet", cwd=folder.parent, env={})
    assert (fine.returncode, fine.stdout, fine.stderr) == (0, "", "")

    env = {"THINGS_FILE": "missing.json"}
    failed = _ocean("sail", str(folder), "--once", "--quiet", cwd=folder.parent, env=env)
    assert failed.returncode == 1
    assert failed.stdout == ""
    assert "resync of my-things-integration: failed" in failed.stderr
    assert "error thing: kind 'thing': handler things raised FileNotFoundError" in failed.stderr
    assert "helpers.py:8 in load" in failed.stderr


def test_an_import_error_in_main_py_names_its_line(folder: Path) -> None:
    (folder / "main.py").write_text("import json\n\nCONFIG = json.load(open('conf.json'))\n")
    done = _ocean("sail", str(folder), "--once", cwd=folder.parent, env={})

    assert done.returncode == 2
    assert "main.py:3 in <module>: CONFIG = json.load(open('conf.json'))" in done.stderr
    assert f"looked for {folder.parent / 'conf.json'}" in done.stderr


def test_a_long_running_sail_logs_each_resync_at_info(folder: Path) -> None:
    environ = {
        **os.environ,
        "OCEAN__CATALOG__URL": f"sqlite:///{folder.parent}/catalog.db",
        "OCEAN__LOG_LEVEL": "INFO",
        "OCEAN__EVENT_LISTENER__INTERVAL": "0.2",
    }
    process = subprocess.Popen(
        [*OCEAN, "sail", str(folder), "--quiet", "--port", "0"],
        env=environ,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("completed in" in s for s in seen):
            seen.append(process.stderr.readline())
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        process.stderr.close()
    assert any("resync of my-things-integration started (trigger" in line for line in seen), seen
    assert any("kind thing completed: 2 extracted" in line for line in seen), seen
    assert any("resync of my-things-integration completed in" in line for line in seen), seen
