"""The audit log: one entry per write made through the catalog server (who, what, when).

Who is the credential whose token the request carried and the datasource it wrote as;
what is the resource (an entity or a blueprint), the action (``CREATE``, ``UPDATE``,
``DELETE``), whether it succeeded, and a summary of the change (the dot-paths added,
removed and changed); when is the server's time. Entries are served as Port serves them
(``GET /v1/audit-log``) and listed by ``ocean catalog audit``. Both SQL catalogs keep them
(:class:`KeepsAudit`); the filters are built here once for both.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ocean.store.base import now_iso

ACTIONS = ("CREATE", "UPDATE", "DELETE")
STATUSES = ("SUCCESS", "FAILURE")
RESOURCES = ("entity", "blueprint")
_COMPARED = ("title", "icon", "team")
_NESTED = ("properties", "relations")


def audit_moment(value: str, name: str) -> str:
    """An ISO-8601 time as the log stamps it (UTC, milliseconds, ``Z``; a time without a
    zone is UTC), to compare with its entries; :class:`ValueError` naming ``name`` (the
    filter as the caller knows it) when ``value`` is no such time."""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        stamp = moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")
    except (ValueError, OverflowError):
        raise ValueError(
            f"{name} must be an ISO-8601 time such as 2022-04-23T18:25:43.511Z, got {value!r:.40}"
        ) from None
    return stamp.replace("+00:00", "Z")


def _new_identifier() -> str:
    return f"audit_{uuid.uuid4().hex}"


@dataclass(frozen=True)
class AuditEntry:
    """One write as the audit log keeps it."""

    action: str
    resource_type: str
    blueprint: str
    entity: str | None
    credential: str | None
    datasource: str
    origin: str
    status: str = "SUCCESS"
    diff: dict[str, Any] = field(default_factory=dict)
    message: str | None = None
    at: str = field(default_factory=now_iso)
    identifier: str = field(default_factory=_new_identifier)

    def shaped(self) -> dict[str, Any]:
        """The entry as Port's audit-log route answers it."""
        context: dict[str, Any] = {"blueprint": self.blueprint}
        if self.entity is not None:
            context["entity"] = self.entity
        return {
            "identifier": self.identifier,
            "action": self.action,
            "resourceType": self.resource_type,
            "status": self.status,
            "trigger": {
                "at": self.at,
                "origin": self.origin,
                "by": {"clientId": self.credential, "datasource": self.datasource},
            },
            "context": context,
            "diff": self.diff,
            "message": self.message,
        }


@dataclass(frozen=True)
class AuditFilter:
    """Port's audit-log query parameters, combined with AND (None: not filtered)."""

    identifier: str | None = None
    entity: str | None = None
    blueprint: str | None = None
    origins: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    action: str | None = None
    status: str | None = None
    since: str | None = None
    until: str | None = None
    credential: str | None = None
    limit: int = 10000


_EQUAL = ("identifier", "entity", "blueprint", "action", "status", "credential")


def where(wanted: AuditFilter, placeholder: Callable[[int], str]) -> tuple[str, list[Any]]:
    """The SQL ``WHERE`` clause (or ``""``) and its parameters for ``wanted``;
    ``placeholder(n)`` writes the n-th parameter (``?`` for SQLite, ``$n`` for PostgreSQL)."""
    clauses: list[str] = []
    params: list[Any] = []

    def add(sql: str, value: Any) -> None:
        params.append(value)
        clauses.append(sql.format(placeholder(len(params))))

    for name in _EQUAL:
        value = getattr(wanted, name)
        if value is not None:
            add(f"{name} = {{}}", value)
    for column, values in (("origin", wanted.origins), ("resource_type", wanted.resources)):
        if values:
            marks = []
            for value in values:
                params.append(value)
                marks.append(placeholder(len(params)))
            clauses.append(f"{column} IN ({', '.join(marks)})")
    if wanted.since is not None:
        add("at >= {}", wanted.since)
    if wanted.until is not None:
        add("at <= {}", wanted.until)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


COLUMNS = (
    "identifier, at, action, resource_type, blueprint, entity, credential, datasource, "
    "origin, status, diff, message"
)


def row_of(entry: AuditEntry, dumps: Callable[[Any], str]) -> tuple[Any, ...]:
    """The entry's values in :data:`COLUMNS` order."""
    return (
        entry.identifier,
        entry.at,
        entry.action,
        entry.resource_type,
        entry.blueprint,
        entry.entity,
        entry.credential,
        entry.datasource,
        entry.origin,
        entry.status,
        dumps(entry.diff),
        entry.message,
    )


def entry_of(row: tuple[Any, ...] | Any, loads: Callable[[str], Any]) -> AuditEntry:
    """An entry from a row read in :data:`COLUMNS` order."""
    ident, at, action, resource, blueprint, entity, credential, datasource = row[:8]
    origin, status, diff, message = row[8:12]
    return AuditEntry(
        action=action,
        resource_type=resource,
        blueprint=blueprint,
        entity=entity,
        credential=credential,
        datasource=datasource,
        origin=origin,
        status=status,
        diff=loads(diff),
        message=message,
        at=at,
        identifier=ident,
    )


@runtime_checkable
class KeepsAudit(Protocol):
    """A catalog that keeps the audit log (SQLite, PostgreSQL)."""

    async def record_audit(self, entries: list[AuditEntry]) -> None:
        """Append ``entries`` (one transaction)."""
        ...

    async def audit_log(self, wanted: AuditFilter) -> list[AuditEntry]:
        """The entries ``wanted`` selects, newest first, at most ``wanted.limit``."""
        ...

    async def prune_audit(self, before: str, most: int) -> int:
        """Delete at most ``most`` of the entries stamped before ``before`` (an
        :func:`audit_moment`), the oldest first, in one transaction; how many."""
        ...


def diff_summary(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """What a write changed, as dot-paths: ``{"added": [...], "removed": [...],
    "changed": [...]}`` (``properties.url``, ``relations.team``, ``title``)."""
    old, new = _flat(before or {}), _flat(after or {})
    return {
        "added": sorted(new.keys() - old.keys()),
        "removed": sorted(old.keys() - new.keys()),
        "changed": sorted(path for path in old.keys() & new.keys() if old[path] != new[path]),
    }


def _flat(entity: dict[str, Any]) -> dict[str, Any]:
    """The compared fields of an entity, nulls left out (a null field is no field)."""
    flat = {name: entity[name] for name in _COMPARED if entity.get(name) not in (None, [])}
    for section in _NESTED:
        values = entity.get(section)
        if isinstance(values, dict):
            flat.update({f"{section}.{k}": v for k, v in values.items() if v is not None})
    return flat
