"""``port_ocean.core.handlers.actions``: the base of integrations' action executors.

Ocean does not run Port actions: executors registered with
``ocean.register_action_executor`` are kept (and their tests run) but no action run is
ever taken from Port."""

from __future__ import annotations

from port_ocean._unsupported import missing
from port_ocean.core.handlers.actions.abstract_executor import AbstractExecutor

__all__ = ["AbstractExecutor"]
__getattr__ = missing(__name__)
