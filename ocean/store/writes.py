"""How one entity write is planned, the same for every backend (pure functions).

A stored entity is its identifier and blueprint plus a JSON *body* holding the fields the
writer sent: title, icon, team, properties, relations.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import orjson

from ocean.store.base import WriteOutcome
from ocean.store.entity_rules import Edge, EntityRules
from ocean.store.validation import identifier_problem
from ocean.types import Entity, EntityKey

BODY_FIELDS = ("title", "icon", "team", "properties", "relations")
PLACEHOLDER = '{"placeholder":true'
"""How the stored body of a placeholder (an entity made for a missing relation target,
``{"placeholder":true,"title":identifier}``) begins, and no written body does (its keys
are :data:`BODY_FIELDS`): a placeholder holds no one's data, so anyone may write it, and
the write takes it from its maker (see :mod:`ocean.store.plan`). Readers never see the
key (:func:`entity_of`)."""


def rules_cover(rules: dict[str, EntityRules], entities: list[Entity]) -> bool:
    """Whether every entity's blueprint has rules (else the rules must be read again)."""
    return {str(e.get("blueprint")) for e in entities} <= rules.keys()


def write_options(merge: bool, only_changed: bool, create_missing_related: bool) -> dict[str, bool]:
    """A bulk write's options, as :func:`plan_batch` and the stores read them (``create_only``,
    set by a store's create-only write: see :func:`plan_batch`)."""
    return {
        "merge": merge,
        "only_changed": only_changed,
        "create_missing_related": create_missing_related,
    }


def prepared_if_covered(
    entities: list[Entity], rules: dict[str, EntityRules], stamp: int | None = None
) -> PreparedBatch | None:
    """``entities`` prepared against ``rules`` (read at ``stamp``), or None when one of
    their blueprints has no rules yet (the store reads them again, then prepares)."""
    return prepare(entities, rules, stamp) if rules_cover(rules, entities) else None


def check_keys(
    entities: list[Entity], blueprints: Iterable[str]
) -> tuple[list[WriteOutcome], list[tuple[int, Entity]]]:
    """Split off entities whose identifier or blueprint is unusable, with the reason."""
    known = set(blueprints)
    failed: list[WriteOutcome] = []
    valid: list[tuple[int, Entity]] = []
    for index, entity in enumerate(entities):
        identifier, blueprint = entity.get("identifier"), entity.get("blueprint")
        problem = identifier_problem(identifier)
        if problem is None and blueprint not in known:
            problem = _no_blueprint(blueprint)
        if problem is None:
            valid.append((index, entity))
        else:
            shown = identifier_text(identifier)
            failed.append(WriteOutcome(index, shown, str(blueprint), "failed", error=problem))
    return failed, valid


def identifier_text(value: object) -> str:
    """An entity's identifier as its outcome names it: as sent when a string, else its
    JSON (an identifier of another type is refused, and the outcome still names it)."""
    if isinstance(value, str):
        return value
    try:
        return dumps(value)
    except TypeError:
        return repr(value)


def _no_blueprint(blueprint: object) -> str:
    return f"blueprint {blueprint!r} does not exist in the catalog; add it to .port/resources/blueprints.json"


Checked = tuple[list[str], list[Edge]]
"""What is wrong with a body under its blueprint, and its relation edges."""


@dataclass
class PreparedBatch:
    """Entities checked and rendered before their write transaction, one column per field
    (so that a batch crosses to the catalog's process as a few lists, not one object per
    entity): their places in the request, keys, body texts and their blueprint's verdicts;
    and those whose key failed."""

    rules: dict[str, EntityRules]
    """The blueprint rules they were checked against (not sent across processes)."""
    indexes: list[int] = field(default_factory=list)
    keys: list[EntityKey] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    checks: list[Checked] = field(default_factory=list)
    failed: list[WriteOutcome] = field(default_factory=list)
    size: int = 0
    """How many entities: the prepared, the failed and none else."""
    stamp: int | None = None
    """The embedded catalog's count of blueprint changes when ``rules`` were read (sent
    across processes, checked in the write transaction); None: not known."""
    sent: dict[int, str] = field(default_factory=dict)
    """The whole body text of an entity (by its place in the columns) whose text dropped
    what ``rules`` do not define: checked again from it when the rules have changed."""

    def __getstate__(self) -> dict[str, Any]:
        """Keys and verdicts cross as JSON: pickling a tuple or two per entity costs five
        times as much, on the side that is mapping."""
        state = {**self.__dict__, "rules": {}}
        with contextlib.suppress(TypeError):  # a key or target JSON cannot hold: as they are
            state["keys"], state["checks"] = orjson.dumps(self.keys), orjson.dumps(self.checks)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if type(state["keys"]) is bytes:
            state["keys"] = list(map(tuple, orjson.loads(state["keys"])))
            state["checks"] = orjson.loads(state["checks"])
        self.__dict__.update(state)


def prepare(
    entities: list[Entity], rules: dict[str, EntityRules], stamp: int | None = None
) -> PreparedBatch:
    """Check the keys, shape, render and check each entity against its blueprint (pure: run
    it anywhere before the transaction); ``stamp``: when ``rules`` were read."""
    failed, valid = check_keys(entities, rules)
    batch = PreparedBatch(rules, failed=failed, size=len(entities), stamp=stamp)
    for index, entity in valid:
        key = (entity["blueprint"], entity["identifier"])
        body, check, whole = _shaped_and_checked(entity, rules[key[0]])
        try:
            text = dumps(body)
            if whole is not None:
                batch.sent[len(batch.texts)] = dumps(whole)
        except (RecursionError, TypeError, ValueError) as error:  # nested ~1,000 deep, say
            batch.failed.append(_unstorable(index, key, error))
            continue
        batch.indexes.append(index)
        batch.keys.append(key)
        batch.texts.append(text)
        batch.checks.append(check)
    batch.failed.sort(key=attrgetter("index"))
    return batch


def _unstorable(index: int, key: EntityKey, error: BaseException) -> WriteOutcome:
    reason = "it is nested too deeply" if isinstance(error, RecursionError) else str(error)
    message = f"the entity's body cannot be stored as JSON ({reason}): send a flatter body"
    return WriteOutcome(index, key[1], key[0], "failed", error=message)


def prepared_again(
    batch: PreparedBatch, rules: dict[str, EntityRules], stamp: int | None
) -> PreparedBatch:
    """``batch`` checked again against ``rules`` (read at ``stamp``, after those it was
    prepared by): its body texts stay (what is rendered does not depend on the rules),
    each is checked as that JSON; an entity whose blueprint is gone fails. Those whose key
    failed keep their outcome: it failed for itself, or for a blueprint missing when it
    was prepared."""
    again = PreparedBatch(rules, failed=list(batch.failed), size=batch.size, stamp=stamp)
    for place, (index, key, text) in enumerate(
        zip(batch.indexes, batch.keys, batch.texts, strict=True)
    ):
        rule = rules.get(key[0])
        if rule is None:
            outcome = WriteOutcome(index, key[1], key[0], "failed", error=_no_blueprint(key[0]))
            again.failed.append(outcome)
            continue
        whole = batch.sent.get(place, text)  # as sent: what the rules now define kept
        body = loads(whole)
        kept = rule.defined(body, computed=True)
        if kept is not body:
            again.sent[len(again.texts)] = whole
        again.indexes.append(index)
        again.keys.append(key)
        again.texts.append(whole if kept is body else dumps(kept))
        again.checks.append(rule.checked(kept))
    again.failed.sort(key=attrgetter("index"))
    return again


def loads(text: str | bytes) -> Any:
    """A stored body's JSON as the values it holds, read by the standard library: orjson
    reads integers beyond 64 bits as floats, and a body merged or checked again would be
    written back rounded (it also refuses the NaN and lone surrogates that :func:`dumps`'s
    fallback writes). A regex that routed only long digit runs to it cost more (6.9 µs a
    700-character body) than reading every body so (2.3 µs; orjson 0.8 µs)."""
    return json.loads(text)


def _shaped_and_checked(
    entity: Entity, rules: EntityRules
) -> tuple[dict[str, Any], Checked, dict[str, Any] | None]:
    """An entity's body and its verdict (for the usual entity one generated pass does
    both), and its whole body when the body dropped what the blueprint does not define."""
    plain = rules.plain(entity)
    if plain is not None:
        return plain[0], ([], plain[1]), None
    whole = body_of(entity)
    body = rules.defined(whole, computed=True)
    try:
        checked = rules.problems(body), rules.edges(body)
    except RecursionError:  # (a value ~1,000 deep: its text cannot be made either, said so)
        checked = ["the entity's body is nested too deeply: send a flatter body"], []
    return body, checked, None if body is whole else whole


def joined(batches: list[PreparedBatch]) -> PreparedBatch | None:
    """One batch of several prepared one after the other (their entities in order), or
    None if they were prepared against different rules. The parts are consumed."""
    if not batches or any(batch.rules is not batches[0].rules for batch in batches):
        return None
    return concatenated(batches, batches[0].rules)


def concatenated(batches: list[PreparedBatch], rules: dict[str, EntityRules]) -> PreparedBatch:
    """Several batches as one, their entities in order, under ``rules`` (the parts are
    consumed): the catalog's process joins what it prepared with what was sent to it."""
    stamps = {batch.stamp for batch in batches}
    whole = PreparedBatch(rules, stamp=stamps.pop() if len(stamps) == 1 else None)
    for batch in batches:
        whole.sent |= {place + len(whole.texts): text for place, text in batch.sent.items()}
        whole.indexes += [index + whole.size for index in batch.indexes]
        for outcome in batch.failed:
            outcome.index += whole.size
        whole.keys += batch.keys
        whole.texts += batch.texts
        whole.checks += batch.checks
        whole.failed += batch.failed
        whole.size += batch.size
    return whole


def body_of(entity: Entity) -> dict[str, Any]:
    return {name: entity[name] for name in BODY_FIELDS if name in entity}  # type: ignore[literal-required]


def merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Port's ``merge=true``: the sent body's fields replace, properties and relations merge
    key-wise (a sent value that is not an object replaces, and its check says why it is
    wrong)."""
    result = {**old, **new}
    for name in ("properties", "relations"):
        sent, had = new.get(name), old.get(name)
        if isinstance(sent, dict) and isinstance(had, dict):
            result[name] = {**had, **sent}
    return result


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers beyond 64 bits
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def entity_from_body(body: str) -> Entity:
    return entity_of(loads(body))


def entity_of(stored: dict[str, Any]) -> Entity:
    """A stored body's fields with Port's defaults."""
    return {
        "title": stored.get("title"),
        "icon": stored.get("icon"),
        "team": stored.get("team") or [],
        "properties": stored.get("properties") or {},
        "relations": stored.get("relations") or {},
    }


def shaped(blueprint: str, identifier: str, body: str, created: str, updated: str) -> Entity:
    """A stored entity as Port shapes it in responses."""
    return {
        "identifier": identifier,
        "blueprint": blueprint,
        **entity_from_body(body),
        "createdAt": created,
        "updatedAt": updated,
    }


def versioned(
    outcomes: list[WriteOutcome], stored: dict[EntityKey, int], written: int
) -> WriteOutcomes:
    """Set each successful outcome's version: the write's, or the stored one if unchanged
    (the write's if the key was written in this batch: a copy sent twice)."""
    changed = {(o.blueprint, o.identifier) for o in outcomes if o.status in ("created", "updated")}
    for outcome in outcomes:
        if outcome.status == "failed":
            continue
        key = (outcome.blueprint, outcome.identifier)
        if key in changed:
            outcome.version = written
        elif outcome.status == "unchanged":
            outcome.version = stored.get(key)
    return WriteOutcomes(outcomes)


_PICKLED = ("index", "identifier", "blueprint", "status", "error", "version", "unavailable")


class WriteOutcomes(list[WriteOutcome]):
    """A bulk write's outcomes, pickled as one list per field (an object each would cost
    more than the write when they cross back from the catalog's process), and ``made``:
    the placeholders the write made for missing relation targets (with
    ``create_missing_related``), which have no outcome of their own."""

    def __init__(self, outcomes: Iterable[WriteOutcome] = (), made: Iterable[EntityKey] = ()):
        super().__init__(outcomes)
        self.made = list(made)

    def __reduce__(self) -> tuple[Any, ...]:
        fields = [[getattr(outcome, name) for outcome in self] for name in _PICKLED]
        return (_outcomes, (self.made, *fields))


def _outcomes(made: list[EntityKey], *fields: list[Any]) -> WriteOutcomes:
    return WriteOutcomes((WriteOutcome(*values) for values in zip(*fields, strict=True)), made)


def made_by(outcomes: list[WriteOutcome]) -> list[EntityKey]:
    """The placeholders a write made (none known for outcomes of another kind of list)."""
    return outcomes.made if isinstance(outcomes, WriteOutcomes) else []
