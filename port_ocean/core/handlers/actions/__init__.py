"""``port_ocean.core.handlers.actions``: the base of integrations' action executors.

Executors registered with ``ocean.register_action_executor`` run on Ocean's execution
manager (:mod:`ocean.actions.manager`): under ACTIONS_ONLY, or beside resyncs with
``OCEAN__ACTIONS_PROCESSOR__ENABLED``."""

from __future__ import annotations

from port_ocean._unsupported import missing
from port_ocean.core.handlers.actions.abstract_executor import AbstractExecutor

__all__ = ["AbstractExecutor"]
__getattr__ = missing(__name__)
