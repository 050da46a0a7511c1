"""Search queries in a mapping: an identifier, a team or a relation given as
``{combinator, rules}`` (the catalog finds the entity), checked as the original's models
check them: every rule has a ``property``, an ``operator`` and a ``value`` (a JQ text
each), or is itself a query.
"""

from __future__ import annotations

from typing import Any

from ocean.store.search import RULE_KEYS


def query_problems(prefix: str, leaves: Any) -> list[str]:
    """What is wrong with the search queries of an entity mapping (``leaves``: its
    :class:`~ocean.mapping.EntityMappings`), each named by its path under ``prefix``."""
    where = ".".join(part for part in (prefix, "port.entity.mappings") if part)
    problems: list[str] = []
    for name in ("identifier", "team"):
        problems += _query(f"{where}.{name}", getattr(leaves, name, None))
    relations = getattr(leaves, "relations", None)
    if isinstance(relations, dict):
        for name, value in relations.items():
            problems += _query(f"{where}.relations.{name}", value)
    return problems


def _query(where: str, value: Any) -> list[str]:
    """A dict with ``rules`` or a ``combinator`` is a search query; anything else is not
    one (a JQ text is checked when it is compiled)."""
    if not isinstance(value, dict) or ("rules" not in value and "combinator" not in value):
        return []
    problems = []
    if value.get("combinator") is None:
        problems.append(
            f"{where}.combinator: missing or null: a search query combines its rules with "
            "'\"and\"' or '\"or\"'"
        )
    rules = value.get("rules")
    if not isinstance(rules, list):
        return [*problems, f"{where}.rules: expected a list of rules, got {rules!r:.60}"]
    for index, rule in enumerate(rules):
        problems += _rule(f"{where}.rules.{index}", rule)
    return problems


def _rule(where: str, rule: Any) -> list[str]:
    if isinstance(rule, dict) and "rules" in rule and not _is_rule(rule):
        return _query(where, rule)  # a nested query
    if not isinstance(rule, dict):
        return [
            f"{where}: expected a rule (property, operator, value) or a nested query, "
            f"got {rule!r:.60}"
        ]
    problems = []
    for key in RULE_KEYS:
        if key not in rule:
            problems.append(
                f"{where}.{key}: required, missing: a rule needs a property, an operator "
                f"and a value, a JQ text each ({_example(key)})"
            )
        elif rule[key] is None:
            problems.append(
                f"{where}.{key}: null (left empty in the YAML): give the rule's {key} as a "
                f"JQ text ({_example(key)}), or remove the rule"
            )
    return problems


def trim_queries(leaves: Any) -> None:
    """Keep only what the original's models keep of each search query of an entity
    mapping (``leaves``, checked by :func:`query_problems`): a query's ``combinator`` and
    ``rules``, a rule's ``property``, ``operator`` and ``value`` (a dict holding all three
    is a rule, whatever else it holds); other keys are dropped, not sent to the catalog."""
    for name in ("identifier", "team"):
        setattr(leaves, name, _trimmed(getattr(leaves, name, None)))
    relations = getattr(leaves, "relations", None)
    if isinstance(relations, dict):
        for name, value in relations.items():
            relations[name] = _trimmed(value)


def _trimmed(value: Any) -> Any:
    if not isinstance(value, dict) or ("rules" not in value and "combinator" not in value):
        return value
    rules = [
        {key: rule[key] for key in RULE_KEYS} if _is_rule(rule) else _trimmed(rule)
        for rule in value["rules"]
    ]
    return {"combinator": value["combinator"], "rules": rules}


def _is_rule(rule: dict[str, Any]) -> bool:
    return all(key in rule for key in RULE_KEYS)


def _example(key: str) -> str:
    return f"e.g. {key}: .name, or {key}: '\"main\"' for a literal"
