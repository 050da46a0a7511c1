"""What ``ocean sail --once`` says of an integration author's mistakes: the text of their
errors as it is, a handler that cannot be called or that ends the process failing its kind
only, and plain functions refused where Ocean (as the original) awaits them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from ocean.cli.main import cli
from ocean.store.open import open_store
from tests.conftest import Workspace

HEAD = """
import sys
from ocean import Integration

ocean = Integration()

@ocean.on_resync("team")
async def teams(kind):
    return [{"id": "core", "name": "Core"}]
"""

SERVICES = """
@ocean.on_resync("service")
async def services(kind):
    yield [{"id": "svc-0", "name": "Service 0"}]
"""


def _sail(workspace: Workspace, main: str) -> tuple[int, str]:
    (workspace.folder / "main.py").write_text(main)
    result = CliRunner().invoke(
        cli,
        ["sail", str(workspace.folder), "--once", "--catalog", str(workspace.catalog)],
        env=workspace.environ | {"COLUMNS": "400"},
        catch_exceptions=False,
    )
    return result.exit_code, result.output


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


async def _statuses(workspace: Workspace) -> list[str]:
    store = await open_store(str(workspace.catalog))
    try:
        return [run.status for run in await store.list_runs()]
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("service", "said"),
    [
        pytest.param(
            """
@ocean.on_resync("service")
async def services(kind):
    yield [{"id": "svc-0", "name": "Service 0"}]
    raise RuntimeError("GET [/api/v2/things] answered 500 [bold]boom")
""",
            "handler services raised RuntimeError: GET [/api/v2/things] answered 500 [bold]boom",
            id="markup-in-an-error",
        ),
        pytest.param(
            """
@ocean.on_resync("service")
async def services():
    yield [{"id": "svc-0", "name": "Service 0"}]
""",
            "handler services (main.py:{line}) must accept the kind: "
            "`async def services(kind: str)`",
            id="no-kind-parameter",
        ),
        pytest.param(
            """
@ocean.on_resync("service")
async def services(kind):
    yield [{"id": "svc-0", "name": "Service 0"}]
    sys.exit("giving up")
""",
            "handler services called sys.exit('giving up'), which would stop the whole sail; "
            "raise an exception instead",
            id="sys-exit",
        ),
        pytest.param(
            """
@ocean.on_resync("service")
async def services(kind):
    sys.exit()
""",
            "handler services called sys.exit(), which would stop the whole sail",
            id="sys-exit-in-a-coroutine",
        ),
        pytest.param(
            """
@ocean.on_resync("service")
async def services(kind):
    yield [{"id": "svc-0", "name": "Service 0"}]
    raise KeyboardInterrupt()
""",
            "handler services raised KeyboardInterrupt, which would stop the whole sail",
            id="keyboard-interrupt",
        ),
    ],
)
def test_a_handlers_mistake_fails_its_kind_only_and_is_shown_as_it_is(
    workspace: Workspace, service: str, said: str
) -> None:
    main = HEAD + service
    code, output = _sail(workspace, main)

    assert code == 1, output
    assert said.format(line=_line_of(main, "def services")) in output
    assert "✓ team" in output and "✗ service" in output
    assert asyncio.run(_statuses(workspace)) == ["failed"]  # ended: its lease released


def test_an_on_start_hooks_error_is_shown_as_it_is(workspace: Workspace) -> None:
    hook = """
@ocean.on_start()
async def start():
    raise RuntimeError("cannot connect [/login] [red]now")
"""
    code, output = _sail(workspace, HEAD + SERVICES + hook)

    assert code == 0, output
    assert "on_start hook start raised RuntimeError: cannot connect [/login] [red]now" in output


@pytest.mark.parametrize(
    ("code", "said"),
    [
        pytest.param(
            """
@ocean.on_resync("service")
def services(kind):
    return [{"id": "svc-0", "name": "Service 0"}]
""",
            "handler services (main.py:{line}) is a plain function: make it `async def`",
            id="plain-handler",
        ),
        pytest.param(
            """
@ocean.on_resync("service")
def services(kind):
    yield [{"id": "svc-0", "name": "Service 0"}]
""",
            "handler services (main.py:{line}) is a plain function: make it `async def`",
            id="plain-generator",
        ),
        pytest.param(
            SERVICES
            + """
@ocean.on_resync_start()
def services_start():
    print("starting")
""",
            "on_resync_start hook services_start (main.py:{line}) is a plain function: "
            "make it `async def`",
            id="plain-hook",
        ),
        pytest.param(
            """
@ocean.on_resync
async def services(kind):
    yield [{"id": "svc-0", "name": "Service 0"}]
""",
            "@ocean.on_resync above services (main.py:{line}) lacks its parentheses",
            id="no-parentheses",
        ),
    ],
)
def test_a_plain_function_is_refused_where_ocean_awaits_it(
    workspace: Workspace, code: str, said: str
) -> None:
    main = HEAD + code
    exit_code, output = _sail(workspace, main)

    assert exit_code == 2, output
    defined = said.split()[2] if said.startswith("on_") else "services"
    line = _line_of(main, f"def {defined}(")
    assert said.format(line=line) in " ".join(output.split())
    assert "ocean/extract" not in output and "ocean/integration.py" not in output


BLOCKING = """
@ocean.on_resync("service")
async def services(kind):
    yield [{"id": "svc-0", "name": "Service 0"}]
    while True:
        time.sleep(0.05)  # blocks the event loop
"""

LAUNCH = (  # `ocean` with a short grace, so that the test waits 1 s rather than 10
    "import sys; from ocean.cli import watchdog; watchdog.STOP_GRACE = 1.0; "
    "from ocean.cli.main import cli; cli(sys.argv[1:])"
)


def _ctrl_c_as_in_a_terminal() -> None:
    """The sail takes Ctrl-C as it would in a terminal, though the tests may run as a
    background job (whose children start with SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _running(workspace: Workspace) -> bool:
    return workspace.catalog.exists() and "running" in asyncio.run(_statuses(workspace))


@pytest.mark.parametrize(
    ("stop", "args"),
    [
        pytest.param(signal.SIGTERM, ["--once"], id="sigterm-once"),
        pytest.param(signal.SIGINT, ["--once"], id="ctrl-c-once"),
        pytest.param(signal.SIGTERM, ["--port", "0"], id="sigterm-listener"),
    ],
)
def test_a_handler_blocking_the_event_loop_does_not_keep_the_sail_from_stopping(
    workspace: Workspace, stop: signal.Signals, args: list[str]
) -> None:
    (workspace.folder / "main.py").write_text("import time\n" + HEAD + BLOCKING)
    command = [sys.executable, "-c", LAUNCH, "sail", str(workspace.folder), *args,
               "--catalog", str(workspace.catalog), "--quiet"]  # fmt: skip
    sail = subprocess.Popen(command, env=os.environ | workspace.environ, stderr=subprocess.PIPE,
                            preexec_fn=_ctrl_c_as_in_a_terminal)  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _running(workspace):
        time.sleep(0.1)
    time.sleep(0.3)  # inside the blocking handler

    sail.send_signal(stop)
    try:
        _, errors = sail.communicate(timeout=30)
    finally:
        sail.kill()  # (ended already, unless the test failed)

    assert sail.returncode == 128 + stop
    said = " ".join(errors.decode().split())
    assert f"{stop.name} was not taken within 1 s, so the sail cannot stop" in said
    assert "the event loop is blocked at " in said and "main.py:" in said
    assert "time.sleep(0.05)" in said
