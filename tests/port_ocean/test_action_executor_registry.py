"""Registering the original's action executors: a second executor for an action in one
import of main.py, of the same class or another, is the original's
``DuplicateActionExecutorError`` (the folder does not load); loading the same folder again
replaces the executors its earlier import registered, and so does registering again outside
main.py (an integration's own tests, where the original registers on each test's app)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ocean.errors import IntegrationLoadError
from ocean.folder import load_folder
from port_ocean.context.ocean import ocean
from port_ocean.exceptions.execution_manager import DuplicateActionExecutorError
from tests.port_ocean.folders import plain_folder

MAIN = """
from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.actions.abstract_executor import AbstractExecutor


class Redeploy(AbstractExecutor):
    ACTION_NAME = "redeploy"

    async def is_close_to_rate_limit(self, run):
        return False

    async def get_remaining_seconds_until_rate_limit(self, run):
        return 0.0

    async def execute(self, run):
        return None


ocean.register_action_executor(Redeploy())
"""


@pytest.fixture(autouse=True)
def _forget_redeploy() -> Iterator[None]:
    """``ocean`` is one object per process: what a test registered goes with it."""
    yield
    ocean.executors.pop("redeploy", None)


def _executor_class(name: str = "Redeploy") -> type:
    from port_ocean.core.handlers.actions.abstract_executor import AbstractExecutor

    class Redeploy(AbstractExecutor):
        ACTION_NAME = "redeploy"

        async def is_close_to_rate_limit(self, run: Any) -> bool:
            return False

        async def get_remaining_seconds_until_rate_limit(self, run: Any) -> float:
            return 0.0

        async def execute(self, run: Any) -> None:
            return None

    Redeploy.__qualname__ = name
    return Redeploy


@pytest.mark.parametrize("second", ["Redeploy", "Other"])
def test_an_executor_registered_again_outside_main_py_replaces_the_first(second: str) -> None:
    """As integrations' own tests do in a fixture per test, where the original registers on
    each test's app (its check is per execution manager)."""
    ocean.register_action_executor(_executor_class()())
    again = _executor_class(second)()

    ocean.register_action_executor(again)

    assert ocean.executors["redeploy"] is again


def test_a_main_py_that_registers_an_action_twice_does_not_load(tmp_path: Path) -> None:
    folder = plain_folder(tmp_path, MAIN + "ocean.register_action_executor(Redeploy())\n")

    with pytest.raises(IntegrationLoadError, match="already registered") as raised:
        load_folder(folder)
    assert isinstance(raised.value.__cause__, DuplicateActionExecutorError)


def test_a_folder_loaded_anew_replaces_the_executors_of_its_earlier_import(
    tmp_path: Path,
) -> None:
    folder = plain_folder(tmp_path, MAIN)

    first = load_folder(folder).integration.executors["redeploy"]
    again = load_folder(folder).integration.executors["redeploy"]

    assert again is not first and ocean.executors["redeploy"] is again
    assert type(again) is not type(first)  # its main.py's own class, of the new import


def test_a_main_py_registering_two_classes_for_one_action_names_the_original_s_error(
    tmp_path: Path,
) -> None:
    second = MAIN.replace("class Redeploy(", "class Other(").replace("Redeploy()", "Other()")
    folder = plain_folder(tmp_path, MAIN + second.split("\n\n\n", 1)[1])

    with pytest.raises(IntegrationLoadError) as raised:
        load_folder(folder)
    assert str(raised.value.__cause__) == "Executor for action 'redeploy' is already registered"
