"""What ``env`` / ``$ENV`` see in the JQ the entity processors evaluate, and their
searches, shared by ``JQEntityProcessor`` and ``JQEntityProcessorSync``."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from ocean.transform.jq import CompileError, EvaluationError, Expression, Input

_log = logging.getLogger(__name__)


def jq_env() -> Mapping[str, str] | None:
    """The process environment, unless the integration's settings hide it from JQ
    (``ocean.config.allow_environment_variables_jq_access``, default true: the setting the
    core's mappings follow); None hides it (``env`` and ``$ENV`` are ``{}``)."""
    from port_ocean.context.ocean import ocean

    try:
        allowed = ocean.config.allow_environment_variables_jq_access
    except AttributeError:  # an integration's test app that does not say
        allowed = True
    return None if allowed is False else os.environ  # (the expression takes a copy)


def search_first(data: Any, pattern: str, field: str | None = None) -> Any:
    """The first output of the JQ ``pattern`` on ``data``; None if it fails (logged,
    naming ``field``, the mapping's path to the value, when given)."""
    try:
        return Expression(pattern, jq_env()).first(Input(data))
    except (CompileError, EvaluationError) as error:
        where = f" for field {field!r}" if field else ""
        _log.warning("search failed%s - pattern %s: %s", where, pattern, error)
        return None


def search_as_bool_value(data: Any, pattern: str) -> Any:
    """The first output of ``pattern`` on ``data`` (None when it fails at runtime or
    gives nothing); a pattern that does not compile raises ``ValueError``, as the
    original's jq does, naming it."""
    try:
        expression = Expression(pattern, jq_env())
    except CompileError as error:
        raise ValueError(f"{pattern!r} does not compile: {error}") from None
    try:
        return expression.first(Input(data))
    except EvaluationError as error:
        _log.warning("search failed - pattern %s: %s", pattern, error)
        return None
