"""A handler Ocean cannot call as a handler fails its kind alone, with what to change;
one that ends the process (sys.exit()) fails it too, while Ctrl-C still stops the sail."""

from __future__ import annotations

import functools
import signal
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ocean.errors import ConfigError, ExtractError
from ocean.extract.trace import raised_by_itself
from ocean.integration import Integration
from ocean.types import RawBatch
from tests.extract.conftest import extracted


async def _fine(kind: str) -> AsyncIterator[RawBatch]:
    yield [{"id": "ok"}]


async def _no_kind() -> RawBatch:
    return [{"id": "never"}]


async def _exits(kind: str) -> AsyncIterator[RawBatch]:
    yield [{"id": "before"}]
    sys.exit(3)


class _SyncCallable:
    """A callable object whose call gives a list (no coroutine): taken at registration."""

    __qualname__ = "SyncCallable"

    def __call__(self, kind: str) -> RawBatch:
        return [{"id": "sync"}]


async def _read(handler: Callable[..., Any]) -> tuple[list[str], ExtractError | None]:
    ocean = Integration()
    ocean.on_resync("repo")(handler)
    ocean.on_resync("repo")(_fine)
    return await extracted(ocean, "repo")


@pytest.mark.parametrize(
    ("handler", "ids", "said"),
    [
        pytest.param(
            _no_kind,
            ["ok"],
            f"handler _no_kind (test_handler_calls.py:{_no_kind.__code__.co_firstlineno}) "
            "must accept the kind: "
            "`async def _no_kind(kind: str)`",
            id="no-kind-parameter",
        ),
        pytest.param(
            _exits,
            ["before", "ok"],
            "handler _exits called sys.exit(3), which would stop the whole sail; raise an "
            "exception instead",
            id="sys-exit",
        ),
        pytest.param(
            _SyncCallable(),
            ["ok"],
            "gave a list, not a coroutine or an async generator: make it `async def`",
            id="sync-callable",
        ),
    ],
)
async def test_a_handler_that_cannot_be_one_fails_its_kind_and_the_others_go_on(
    handler: Callable[..., Any], ids: list[str], said: str
) -> None:
    read, error = await _read(handler)

    assert read == ids
    assert error is not None and said in str(error)


async def _wrapped(kind: str) -> RawBatch:
    return [{"id": "wrapped"}]


def _returns_coroutine(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(kind: str) -> Any:
        return function(kind)

    return wrapper


async def test_a_plain_wrapper_giving_a_coroutine_is_a_handler() -> None:
    read, error = await _read(_returns_coroutine(_wrapped))

    assert (read, error) == (["wrapped", "ok"], None)


def test_a_plain_function_is_refused_at_registration() -> None:
    ocean = Integration()

    def things(kind: str) -> RawBatch:
        return []

    with pytest.raises(ConfigError, match=r"handler .*things \(test_handler_calls.py:\d+\) is a"):
        ocean.on_resync("thing")(things)


def _raised_by_code() -> bool:
    try:
        raise KeyboardInterrupt()
    except KeyboardInterrupt as interrupt:
        return raised_by_itself(interrupt)


def _ctrl_c(on_sigint: Callable[[int, Any], None]) -> bool:
    """Ctrl-C arriving in a loop, with ``on_sigint`` as the SIGINT handler."""
    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        signal.raise_signal(signal.SIGINT)
        for _ in range(1000):
            pass
    except KeyboardInterrupt as interrupt:
        return raised_by_itself(interrupt)
    finally:
        signal.signal(signal.SIGINT, previous)
    raise AssertionError("no interrupt")


def _python_sigint_handler(signum: int, frame: object) -> None:
    """A SIGINT handler in Python raising Ctrl-C (asyncio's second one does so)."""
    raise KeyboardInterrupt()


class _Runner:
    """As asyncio's ``Runner``, whose SIGINT handler (a partial) raises a second Ctrl-C."""

    def _on_sigint(self, signum: int, frame: object) -> None:
        raise KeyboardInterrupt()


@pytest.mark.parametrize(
    ("interrupt", "own"),
    [
        pytest.param(_raised_by_code, True, id="raise"),
        # the interpreter's own SIGINT handler: between two instructions
        pytest.param(functools.partial(_ctrl_c, signal.default_int_handler), False, id="ctrl-c"),
        pytest.param(
            functools.partial(_ctrl_c, _python_sigint_handler), False, id="ctrl-c-asyncio-handler"
        ),
        pytest.param(
            functools.partial(_ctrl_c, functools.partial(_Runner()._on_sigint)),
            False,
            id="second-ctrl-c-asyncio-runner",
        ),
    ],
)
def test_a_keyboard_interrupt_of_the_handlers_own_is_told_from_ctrl_c(
    interrupt: Callable[[], bool], own: bool
) -> None:
    assert interrupt() is own
