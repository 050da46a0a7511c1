"""``port_ocean.clients.port.types``: the shapes of the original's catalog client calls."""

from __future__ import annotations

import enum
from typing import TypedDict

from port_ocean._unsupported import missing


class UserAgentType(enum.Enum):
    exporter = "exporter"
    gitops = "gitops"


class KafkaCreds(TypedDict):
    username: str
    password: str


class RequestOptions(TypedDict):
    merge: bool
    create_missing_related_entities: bool
    delete_dependent_entities: bool
    validation_only: bool


__all__ = ["KafkaCreds", "RequestOptions", "UserAgentType"]
__getattr__ = missing(__name__)
