"""Port's search language, compiled into a predicate over stored entities (pure).

``compile_query`` validates the whole query first: an unknown combinator, operator or
property path is an error that names it and its place (``rules[2].operator``).
``relatedTo`` rules need the relation graph; the store resolves them to sets of entity
keys and hands those in with :meth:`Query.bind`.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from ocean.errors import StoreError
from ocean.store.writes import shaped
from ocean.transform.values import json_equal
from ocean.types import Entity, EntityKey

META = (
    "$identifier",
    "$title",
    "$blueprint",
    "$team",
    "$icon",
    "$datasource",
    "$createdAt",
    "$updatedAt",
)
_DAY = dt.timedelta(days=1)
_BACKWARD = {
    "lastDay": 1,
    "lastWeek": 7,
    "last2Weeks": 14,
    "lastMonth": 30,
    "last3Months": 90,
    "last6Months": 180,
    "last12Months": 365,
    "last2Years": 730,
    "last3Years": 1095,
}
_FORWARD = {
    "nextDay": 1,
    "nextWeek": 7,
    "next2Weeks": 14,
    "nextMonth": 30,
    "next3Months": 90,
    "next6Months": 180,
    "next12Months": 365,
}


class SearchError(StoreError):
    """A search query that cannot be run; the message names the offending part."""


@dataclass
class Record:
    """What a search sees of one entity."""

    entity: Entity
    datasources: list[str] = field(default_factory=list)

    @property
    def key(self) -> EntityKey:
        return (self.entity["blueprint"], self.entity["identifier"])


@dataclass(frozen=True)
class RelatedTo:
    """A ``relatedTo`` rule, for the store to resolve into the keys it matches."""

    blueprint: str
    identifiers: tuple[str, ...]
    direction: str | None
    required: bool | None

    def start(self) -> set[EntityKey]:
        """The keys of the rule's entities (a NUL in one names no entity, and PostgreSQL's
        text refuses it: left out)."""
        if "\x00" in self.blueprint:
            return set()
        return {(self.blueprint, i) for i in self.identifiers if "\x00" not in i}

    def allowed_relations(
        self, blueprints: dict[str, dict[str, Any]]
    ) -> set[tuple[str, str]] | None:
        """(blueprint, relation) pairs to follow: those matching ``required``, or all (None)."""
        if self.required is None:
            return None
        return {
            (identifier, name)
            for identifier, blueprint in blueprints.items()
            for name, definition in (blueprint.get("relations") or {}).items()
            if isinstance(definition, dict) and bool(definition.get("required")) == self.required
        }


def schema_properties(blueprints: dict[str, dict[str, Any]]) -> set[str]:
    """Every property name any blueprint defines (what a search rule may name)."""
    return {
        name
        for blueprint in blueprints.values()
        for name in ((blueprint.get("schema") or {}).get("properties") or {})
    }


Predicate = Callable[[Record], bool]


class Query:
    """A validated search query."""

    def __init__(self, query: Any, *, properties: set[str], now: dt.datetime | None = None) -> None:
        self._properties, self._now = properties, now or dt.datetime.now(dt.UTC)
        self.related: list[RelatedTo] = []
        self.uses_datasource = False
        self._resolved: dict[RelatedTo, set[EntityKey]] = {}
        self._predicate = self._group(query, "query")

    def bind(self, resolved: dict[RelatedTo, set[EntityKey]]) -> None:
        """Hand in the entity keys each ``relatedTo`` rule matches."""
        self._resolved = resolved

    def matches(self, record: Record) -> bool:
        return self._predicate(record)

    def _group(self, query: Any, where: str) -> Predicate:
        if not isinstance(query, dict):
            raise SearchError(
                f"{where} must be an object with 'combinator' and 'rules', got {query!r:.80}"
            )
        _one_kind(query, where)
        problems = _group_problems(query, where)
        if problems:
            raise SearchError("; ".join(problems))
        combinator, rules = query["combinator"], query["rules"]
        parts = [self._rule(rule, f"{where}.rules[{i}]") for i, rule in enumerate(rules)]
        if combinator == "and":
            return lambda record: all(part(record) for part in parts)
        return lambda record: any(part(record) for part in parts)

    def _rule(self, rule: Any, where: str) -> Predicate:
        if isinstance(rule, dict) and "rules" in rule:
            return self._group(rule, where)
        if not isinstance(rule, dict) or "operator" not in rule:
            raise SearchError(f"{where} must be a rule with an operator, got {rule!r:.80}")
        _one_kind(rule, where)
        operator = rule["operator"]
        test = _OPERATORS.get(operator) if isinstance(operator, str) else None
        if test is None and operator != "relatedTo":
            raise SearchError(
                f"{where}.operator {operator!r} is not supported; use one of {sorted([*_OPERATORS, 'relatedTo'])}"
            )
        if "value" not in rule and operator not in _NO_VALUE:
            raise SearchError(_no_value(rule, where))
        if test is None:
            return self._related(rule, where)
        read = self._reader(rule.get("property"), f"{where}.property")
        value = self._value(operator, rule.get("value"), where)
        if operator in ("in", "notIn", "containsAny") and all(type(v) is str for v in value):
            member = _member_of(frozenset(value))  # a set lookup, not a scan of the list
            if operator == "notIn":
                return lambda record: not member(read(record))
            return lambda record: member(read(record))
        return lambda record: test(read(record), value)

    def _reader(self, prop: Any, where: str) -> Callable[[Record], Any]:
        if prop == "$datasource":
            self.uses_datasource = True
            return lambda record: record.datasources
        if prop in META:
            field_name = prop[1:]
            return lambda record: record.entity.get(field_name)
        if isinstance(prop, str) and prop in self._properties:
            return lambda record: (record.entity.get("properties") or {}).get(prop)
        raise SearchError(
            f"{where} {prop!r} is neither a meta-property ({', '.join(META)}) nor a property of any blueprint"
        )

    def _value(self, operator: str, value: Any, where: str) -> Any:
        if operator in ("between", "notBetween"):
            return self._date_range(value, where)
        if operator in ("in", "notIn", "containsAny") and not isinstance(value, list):
            raise SearchError(f"{where}.value must be a list for {operator}, got {value!r:.60}")
        if _looks_like_a_range(value):
            raise SearchError(  # (it matched nothing, silently)
                f"{where}.value {value!r:.60} is a date range: operator {operator!r} compares "
                "with one value (a date as ISO-8601); for a range use 'between' or 'notBetween'"
            )
        return value

    def _date_range(self, value: Any, where: str) -> tuple[dt.datetime, dt.datetime]:
        if isinstance(value, dict) and "preset" in value:
            return _preset(value["preset"], self._now, where)
        if isinstance(value, dict) and "from" in value and "to" in value:
            start, end = _as_datetime(value["from"]), _as_datetime(value["to"])
            if start is not None and end is not None:
                return start, end
        raise SearchError(
            f"{where}.value must be {{from, to}} ISO dates or {{preset}}, got {value!r:.60}"
        )

    def _related(self, rule: dict[str, Any], where: str) -> Predicate:
        ids = rule.get("value")
        identifiers = tuple(ids) if isinstance(ids, list) else (ids,)
        direction = rule.get("direction")
        if not isinstance(rule.get("blueprint"), str) or not all(
            isinstance(i, str) for i in identifiers
        ):
            raise SearchError(
                f"{where}: relatedTo needs a blueprint and an identifier or a list of them"
            )
        if direction not in (None, "upstream", "downstream"):
            raise SearchError(
                f"{where}.direction must be 'upstream' or 'downstream', got {direction!r}"
            )
        required = rule.get("required")
        if required is not None and not isinstance(required, bool):
            raise SearchError(
                f"{where}.required must be true or false (a JSON boolean), got "
                f"{type(required).__name__} {required!r:.40}: send it unquoted, "
                "or leave it out to follow required and optional relations alike"
            )
        related = RelatedTo(rule["blueprint"], identifiers, direction, required)
        self.related.append(related)
        return lambda record: record.key in self._resolved.get(related, set())


_NO_VALUE = ("isEmpty", "isNotEmpty")
"""The operators that compare with no value (every other one needs ``value``)."""
_GROUP_KEYS = ("combinator", "rules")
RULE_KEYS = ("property", "operator", "value")


def _one_kind(rule: dict[str, Any], where: str) -> None:
    """A rule is a property rule or a group: :class:`SearchError` when it holds keys of both
    (one of them would be dropped silently)."""
    group = [key for key in _GROUP_KEYS if key in rule]
    own = [key for key in RULE_KEYS if key in rule]
    if group and own:
        fix = (
            "put the property rule in the group's rules, or beside the group"
            if "rules" in rule
            else "drop 'combinator' from the rule"
        )
        raise SearchError(
            f"{where} has {_keys(own, rule)} and {_keys(group, rule)}: a rule is either a "
            f"property rule {{property, operator, value}} or a group {{combinator, rules}}, "
            f"not both; {fix}"
        )


def _keys(names: list[str], rule: dict[str, Any]) -> str:
    return ", ".join(f"{name!r} ({rule[name]!r:.40})" for name in names)


def _no_value(rule: dict[str, Any], where: str) -> str:
    """What to say of a rule whose operator needs a value it lacks."""
    operator = rule["operator"]
    if operator in ("in", "notIn", "containsAny"):
        example = '["a", "b"]'
    elif operator in ("between", "notBetween"):
        example = '{"preset": "lastWeek"} or {"from": ISO date, "to": ISO date}'
    elif operator == "relatedTo":
        blueprint = rule.get("blueprint")
        named = f"blueprint {blueprint!r:.40}" if isinstance(blueprint, str) else "its blueprint"
        example = f"an identifier of {named}, or a list of them"
    else:
        example = "the string, number or boolean to compare with"
    hint = (
        ""
        if operator == "relatedTo"
        else ' (to find entities without one, use isEmpty, or "=" with "value": null)'
    )
    return (
        f"{where} {rule!r:.120} has no value: operator {operator!r} needs one; "
        f'add "value": {example}{hint}'
    )


def _member_of(strings: frozenset[str]) -> Callable[[Any], bool]:
    """``in`` against a list of strings: a string value, or a list holding one, among them."""

    def member(actual: Any) -> bool:
        if type(actual) is str:
            return actual in strings
        return isinstance(actual, list) and any(
            type(item) is str and item in strings for item in actual
        )

    return member


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _equal(actual: Any, expected: Any) -> bool:
    return (
        any(json_equal(item, expected) for item in _values(actual))
        if isinstance(actual, list)
        else json_equal(actual, expected)
    )


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, str):
        return isinstance(expected, str) and expected in actual
    return any(
        isinstance(item, str) and isinstance(expected, str) and expected in item
        for item in _values(actual)
        if item is not None
    )


def _order(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(actual: Any, expected: Any) -> bool:
        if _number(actual) and _number(expected):  # (a boolean is no number: true is not 1)
            return test(actual, expected)
        left, right = _as_datetime(actual), _as_datetime(expected)
        return left is not None and right is not None and test(left, right)

    return compare


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _between(actual: Any, bounds: tuple[dt.datetime, dt.datetime]) -> bool:
    moment = _as_datetime(actual)
    return moment is not None and bounds[0] <= moment <= bounds[1]


def _empty(actual: Any, _value: Any) -> bool:
    return actual is None or actual == "" or actual == [] or actual == {}


def _text(test: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    return lambda actual, expected: any(
        isinstance(v, str) and isinstance(expected, str) and test(v, expected)
        for v in _values(actual)
    )


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": _equal,
    "!=": lambda a, e: not _equal(a, e),
    "in": lambda a, e: any(_equal(a, item) for item in e),
    "notIn": lambda a, e: not any(_equal(a, item) for item in e),
    "contains": _contains,
    "doesNotContains": lambda a, e: not _contains(a, e),
    "containsAny": lambda a, e: any(_equal(a, item) for item in e),
    "beginsWith": _text(str.startswith),
    "doesNotBeginsWith": lambda a, e: not _text(str.startswith)(a, e),
    "endsWith": _text(str.endswith),
    "doesNotEndsWith": lambda a, e: not _text(str.endswith)(a, e),
    ">": _order(lambda a, e: a > e),
    ">=": _order(lambda a, e: a >= e),
    "<": _order(lambda a, e: a < e),
    "<=": _order(lambda a, e: a <= e),
    "between": _between,
    "notBetween": lambda a, e: not _between(a, e),
    "isEmpty": _empty,
    "isNotEmpty": lambda a, e: not _empty(a, e),
}


def _as_datetime(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _looks_like_a_range(value: Any) -> bool:
    """Whether a one-value operator's ``value`` is a date range (``{preset}``, or ``{from,
    to}`` ISO dates) rather than an object an object property may equal (``{"from": "TLV",
    "to": "JFK"}``)."""
    if not isinstance(value, dict):
        return False
    if value.keys() == {"preset"}:
        return isinstance(value["preset"], str)
    return value.keys() == {"from", "to"} and all(
        _as_datetime(value[end]) is not None for end in ("from", "to")
    )


def _preset(name: Any, now: dt.datetime, where: str) -> tuple[dt.datetime, dt.datetime]:
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    days = {"today": 0, "tomorrow": 1, "yesterday": -1}
    if isinstance(name, str):  # (a list or an object is no preset: said below)
        if name in days:
            start = midnight + days[name] * _DAY
            return start, start + _DAY - dt.timedelta(microseconds=1)
        if name in _BACKWARD:
            return now - _BACKWARD[name] * _DAY, now
        if name in _FORWARD:
            return now, now + _FORWARD[name] * _DAY
    presets = ["today", "tomorrow", "yesterday", *_BACKWARD, *_FORWARD]
    raise SearchError(f"{where}.value.preset {name!r:.60} is not a preset; use one of {presets}")


def project(
    entity: Entity, include: Iterable[str] | None, exclude: Iterable[str] | None
) -> dict[str, Any]:
    """Port's ``include`` / ``exclude`` projections over dot-paths (``properties.url``)."""
    shaped: dict[str, Any] = copy.deepcopy(dict(entity)) if exclude else dict(entity)
    if include:
        kept: dict[str, Any] = {}
        for path in include:
            _copy_path(shaped, kept, path.split("."))
        shaped = kept
    for path in exclude or ():
        *parents, leaf = path.split(".")
        node: Any = shaped
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(leaf, None)
    return shaped


def _copy_path(source: dict[str, Any], target: dict[str, Any], parts: list[str]) -> None:
    head, *rest = parts
    if head not in source:
        return
    if not rest:
        target[head] = source[head]
    elif isinstance(source[head], dict):
        _copy_path(source[head], target.setdefault(head, {}), rest)


def indexable_rules(query: Any) -> list[tuple[str, str, Any]]:
    """(column, ``=`` or ``in``, value) for the top-level ``and`` rules a backend can answer
    from an index: ``$identifier`` and ``$blueprint``. A value holding a NUL is no key's (the
    identifier and blueprint patterns refuse one) and is left out: PostgreSQL's text cannot
    hold it, and the query must answer as in SQLite."""
    if not isinstance(query, dict) or query.get("combinator") != "and":
        return []
    rules: list[tuple[str, str, Any]] = []
    for rule in query.get("rules") or []:
        if not isinstance(rule, dict) or rule.get("property") not in ("$identifier", "$blueprint"):
            continue
        column = "e.identifier" if rule["property"] == "$identifier" else "e.blueprint"
        value = rule.get("value")
        if rule.get("operator") == "=" and isinstance(value, str):
            rules.append((column, "=", value) if "\x00" not in value else (column, "in", []))
        elif rule.get("operator") == "in" and isinstance(value, list):
            keyed = [text for text in map(str, value) if "\x00" not in text]
            rules.append((column, "in", keyed))
    return rules


def matching(
    rows: Iterable[Any], query: Query, projection: tuple[list[str] | None, list[str] | None]
) -> list[dict[str, Any]]:
    """The projected entities among stored rows (blueprint, identifier, body, created,
    updated[, datasources JSON]) that match ``query``."""
    found = []
    for row in rows:
        record = Record(shaped(*row[:5]), orjson.loads(row[5]) if query.uses_datasource else [])
        if query.matches(record):
            found.append(project(record.entity, *projection))
    return found


def _group_problems(query: dict[str, Any], where: str) -> list[str]:
    """What is wrong with a group's own fields, each named."""
    problems = []
    if "combinator" not in query:
        problems.append(f"{where}.combinator is missing: set it to 'and' or 'or'")
    elif query["combinator"] not in ("and", "or"):
        problems.append(
            f"{where}.combinator must be 'and' or 'or', got {query['combinator']!r:.40}"
        )
    rules = query.get("rules", _MISSING)
    if rules is _MISSING:
        problems.append(f"{where}.rules is missing: set it to a list of rules")
    elif not isinstance(rules, list):
        problems.append(
            f"{where}.rules must be a list of rules, got {type(rules).__name__} {rules!r:.40}; "
            'e.g. [{"property": "$identifier", "operator": "=", "value": "x"}]'
        )
    return problems


_MISSING = object()
