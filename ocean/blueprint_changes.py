"""What an edited ``blueprints.json`` changes in a blueprint the catalog already has (pure).

A change is *safe* when no stored entity can be broken or lose data by it: a new property
or relation, a title, icon, description or other text, a wider enum, a property or
relation no longer required. Everything else is *unsafe* while the blueprint has entities:
a property's type, format or items changing, enum values going, a property or relation
removed (its values with it), a relation's target or cardinality changing, a property or
relation becoming required. A blueprint without entities takes every change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_SHAPE = ("type", "format", "items")
"""What a property's values must look like: changing any of them may break stored values."""
_COMPUTED = {
    "calculationProperties": "calculation",
    "mirrorProperties": "mirror",
    "aggregationProperties": "aggregation",
}


@dataclass
class BlueprintChange:
    """How a stored blueprint differs from the folder's definition of it."""

    identifier: str
    safe: list[str] = field(default_factory=list)
    """The safe differences, one phrase each."""
    unsafe: list[str] = field(default_factory=list)
    """The unsafe differences, one phrase each."""
    patch: dict[str, Any] = field(default_factory=dict)
    """Top-level keys to merge into the stored blueprint to apply only the safe ones."""
    whole: dict[str, Any] = field(default_factory=dict)
    """Top-level keys to merge to make it exactly the folder's (the unsafe ones too)."""


def compare(stored: dict[str, Any], wanted: dict[str, Any], *, entities: int) -> BlueprintChange:
    """The differences from ``stored`` to ``wanted``; with ``entities == 0`` all are safe."""
    change = BlueprintChange(str(wanted.get("identifier")))
    keys = (set(stored) | set(wanted)) - {"identifier", "schema", "relations"}
    keys -= {key for key in keys if key not in wanted}  # a key left out keeps its value
    for key in sorted(keys):
        if stored.get(key) != wanted.get(key):
            change.safe.append(f"{key} changed")
            change.patch[key] = change.whole[key] = wanted[key]
    _schema(change, stored.get("schema") or {}, wanted.get("schema") or {})
    _relations(change, stored.get("relations") or {}, wanted.get("relations") or {})
    if entities == 0:
        change.safe += change.unsafe
        change.unsafe = []
        change.patch = dict(change.whole)
    else:
        _computed_over_kept(change, stored)
    return change


def _computed_over_kept(change: BlueprintChange, stored: dict[str, Any]) -> None:
    """Hold back from the patch a computed property that takes the name of a stored one
    whose removal the patch leaves out (a blueprint cannot hold both): it waits with that
    removal, as unsafe, rather than making the patch one the catalog refuses."""
    schema = change.patch.get("schema", stored.get("schema")) or {}
    kept = set(schema.get("properties") or {})
    for key, kind in _COMPUTED.items():
        wanted, before = change.patch.get(key), stored.get(key) or {}
        if not isinstance(wanted, dict) or not isinstance(before, dict):
            continue
        new = sorted(name for name in wanted if name in kept and name not in before)
        if not new:
            continue
        change.unsafe += [f"property {name!r} becomes a {kind} property" for name in new]
        held = {name: value for name, value in wanted.items() if name not in new}
        if held == before:  # nothing else of it changed
            del change.patch[key]
            change.safe.remove(f"{key} changed")
        else:
            change.patch[key] = held


def _schema(change: BlueprintChange, stored: dict[str, Any], wanted: dict[str, Any]) -> None:
    before, after = stored.get("properties") or {}, wanted.get("properties") or {}
    kept, noted = dict(before), len(change.safe) + len(change.unsafe)
    for name, definition in after.items():
        old = before.get(name)
        if old is None:
            change.safe.append(f"property {name!r} added")
            kept[name] = definition
        elif not _same_property(old, definition):
            unsafe = _property_problems(name, old, definition)
            change.unsafe += unsafe
            if not unsafe:
                change.safe.append(f"property {name!r} retitled or redescribed")
                kept[name] = definition
    for name in before.keys() - after.keys():
        change.unsafe.append(f"property {name!r} removed (its values with it)")
    was, will = list(stored.get("required") or ()), list(wanted.get("required") or ())
    change.unsafe += [f"property {name!r} becomes required" for name in will if name not in was]
    freed = [name for name in was if name not in will]
    if freed:
        change.safe.append(f"properties {freed} no longer required")
    if len(change.safe) + len(change.unsafe) > noted:
        change.whole["schema"] = wanted
    safe = {**stored, "properties": kept}
    if was:
        safe["required"] = [name for name in was if name in will]
    if safe != stored:
        change.patch["schema"] = safe


def _same_property(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether a property is unchanged: the same shape and enum, and the same value for
    every other key the folder sets (a catalog may add keys of its own)."""
    if any(_shape(old, key) != _shape(new, key) for key in (*_SHAPE, "enum")):
        return False
    return all(old.get(key) == value for key, value in new.items())


def _shape(definition: dict[str, Any], key: str) -> Any:
    return definition.get(key, "string") if key == "type" else definition.get(key)


def _property_problems(name: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    problems = [
        f"property {name!r} {key} changes from {_shape(old, key)!r} to {_shape(new, key)!r}"
        for key in _SHAPE
        if _shape(old, key) != _shape(new, key)
    ]
    gone = [value for value in old.get("enum") or [] if value not in (new.get("enum") or [])]
    if "enum" in new and gone:
        problems.append(f"property {name!r} loses the enum values {gone!r}")
    elif "enum" in new and "enum" not in old:
        problems.append(f"property {name!r} gains an enum (stored values may be outside it)")
    return problems


def _relations(change: BlueprintChange, stored: dict[str, Any], wanted: dict[str, Any]) -> None:
    kept, noted = dict(stored), len(change.safe) + len(change.unsafe)
    for name, definition in wanted.items():
        old = stored.get(name)
        if old is None:
            change.safe.append(f"relation {name!r} added")
            kept[name] = definition
            continue
        if _same_relation(old, definition):
            continue
        unsafe = [
            f"relation {name!r} {key} changes from {_relation(old, key)!r} to "
            f"{_relation(definition, key)!r}"
            for key in ("target", "many")
            if _relation(old, key) != _relation(definition, key)
        ]
        if definition.get("required") and not old.get("required"):
            unsafe.append(f"relation {name!r} becomes required")
        change.unsafe += unsafe
        if not unsafe:
            change.safe.append(f"relation {name!r} retitled or no longer required")
            kept[name] = definition
    for name in stored.keys() - wanted.keys():
        change.unsafe.append(f"relation {name!r} removed (its values with it)")
    if len(change.safe) + len(change.unsafe) > noted:
        change.whole["relations"] = wanted
    if kept != stored:
        change.patch["relations"] = kept


def _same_relation(old: dict[str, Any], new: dict[str, Any]) -> bool:
    keys = {"target", "many", "required", *new}
    return all(_relation(old, key) == _relation(new, key) for key in keys)


def _relation(definition: dict[str, Any], key: str) -> Any:
    """A relation's setting, ``many`` and ``required`` false when left out."""
    return bool(definition.get(key)) if key in ("many", "required") else definition.get(key)
