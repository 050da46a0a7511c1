"""An action's ``integrationActionExecutionProperties`` rendered for one run, as Port does:
a string that is one ``{{ JQ }}`` becomes that expression's value over
``{inputs, entity, action}`` (``{{ .inputs.name }}``); one with text around templates
becomes text; anything else is kept as it is, lists and objects rendered item by item."""

from __future__ import annotations

import re
from typing import Any

from ocean.errors import ActionError
from ocean.transform.jq import CompileError, EvaluationError, Expression, Input

_TEMPLATE = re.compile(r"{{(.*?)}}", re.DOTALL)


def rendered(template: Any, context: dict[str, Any]) -> Any:
    """``template`` with every ``{{ JQ }}`` evaluated over ``context``."""
    source = Input(context)
    return _render(template, source)


def _render(value: Any, source: Input) -> Any:
    if isinstance(value, dict):
        return {key: _render(item, source) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item, source) for item in value]
    if not isinstance(value, str) or "{{" not in value:
        return value
    whole = _TEMPLATE.fullmatch(value.strip())
    if whole is not None:
        return _evaluate(whole.group(1), source)
    return _TEMPLATE.sub(lambda m: _text(_evaluate(m.group(1), source)), value)


def _evaluate(text: str, source: Input) -> Any:
    try:
        return Expression(text.strip(), None).first(source)
    except (CompileError, EvaluationError) as error:
        raise ActionError(
            f"the action's execution property template {{{{{text}}}}} failed: {error}; "
            "fix integrationActionExecutionProperties in the action's definition"
        ) from None


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)
