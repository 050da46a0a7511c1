"""``GET /v1/audit-log``: the catalog's audit log as Port serves it, with Port's filters
(``identifier``, ``entity``, ``blueprint``, ``origin``, ``InstallationId``, ``resources``,
``action``, ``status``, ``from``, ``to``, ``limit``, ``includes``), newest first."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ocean.errors import RequestError
from ocean.server.responses import JSON, listed
from ocean.store.audit import (
    ACTIONS,
    RESOURCES,
    STATUSES,
    AuditEntry,
    AuditFilter,
    KeepsAudit,
    audit_moment,
)
from ocean.store.base import Store

_DEFAULT_LIMIT, _MOST = 10000, 100000
_FIELDS = (
    "identifier",
    "action",
    "resourceType",
    "status",
    "trigger",
    "context",
    "diff",
    "message",
    "additionalData",
)


_log = logging.getLogger(__name__)

PRUNE_EVERY = 3600.0
"""Seconds between two prunings of the log's expired entries (the first at the first write)."""
PRUNE_BATCH = 10_000
"""The most entries one pruning transaction deletes (a long backlog goes in several)."""


class AuditLog:
    """Where the server's writes are logged: ``store``'s audit log, when it keeps one. With
    a ``retention``, the entries older than that are deleted beside the writes, in the
    background, at most once every :data:`PRUNE_EVERY` seconds."""

    def __init__(
        self,
        store: Store,
        retention: dt.timedelta | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store if isinstance(store, KeepsAudit) else None
        self._retention, self._clock = retention, clock
        self._next_pruning = clock()
        self._pruning: asyncio.Task[None] | None = None

    @property
    def keeping(self) -> bool:
        """Whether the store keeps an audit log (else :meth:`record` records nothing)."""
        return self._store is not None

    async def record(self, entries: list[AuditEntry]) -> None:
        if self._store is None or not entries:
            return
        await self._store.record_audit(entries)
        if self._retention is not None and self._clock() >= self._next_pruning:
            if self._pruning is None or self._pruning.done():
                self._next_pruning = self._clock() + PRUNE_EVERY
                self._pruning = asyncio.create_task(self._prune(self._store, self._retention))

    @staticmethod
    async def _prune(store: KeepsAudit, retention: dt.timedelta) -> None:
        try:
            cutoff = dt.datetime.now(dt.UTC) - retention
        except OverflowError:  # (before year 1: nothing is that old)
            return
        before = audit_moment(cutoff.isoformat(), "before")
        try:
            while await store.prune_audit(before, PRUNE_BATCH) == PRUNE_BATCH:
                await asyncio.sleep(0)  # (the writes between two batches go on)
        except Exception as error:  # tried again at the next pruning
            _log.warning("the audit log's entries older than %s were not all deleted: %s; "
                         "tried again in an hour", retention, error)  # fmt: skip


class AuditRoutes:
    def __init__(self, store: Store) -> None:
        self.store = store

    def routes(self) -> list[Route]:
        return [Route("/v1/audit-log", self.audit_log, methods=["GET"])]

    async def audit_log(self, request: Request) -> Response:
        """The audit log of writes, newest first, filtered (every filter combined with AND)."""
        wanted = audit_filter(request)
        includes = listed(request, "includes")
        if includes is not None and (wrong := sorted(set(includes) - set(_FIELDS))):
            raise RequestError(f"includes: unknown fields {wrong}; choose from {list(_FIELDS)}")
        if not isinstance(self.store, KeepsAudit):
            return JSON({"ok": True, "audits": []})
        entries = [entry.shaped() for entry in await self.store.audit_log(wanted)]
        if includes is not None:
            entries = [{k: v for k, v in e.items() if k in includes} for e in entries]
        return JSON({"ok": True, "audits": entries})


def audit_filter(request: Request) -> AuditFilter:
    """The filters of the query string, each checked (422 naming a wrong one)."""
    query = request.query_params
    action, status = query.get("action"), query.get("status")
    if action is not None and action.upper() not in ACTIONS:
        raise RequestError(f"action must be one of {list(ACTIONS)}, got {action!r:.40}")
    if status is not None and status.upper() not in STATUSES:
        raise RequestError(f"status must be one of {list(STATUSES)}, got {status!r:.40}")
    resources = tuple(listed(request, "resources") or ())
    if wrong := sorted(set(resources) - set(RESOURCES)):
        raise RequestError(f"resources: this catalog logs only {list(RESOURCES)}, got {wrong}")
    origins = [*(listed(request, "origin") or []), *(listed(request, "InstallationId") or [])]
    return AuditFilter(
        identifier=query.get("identifier"),
        entity=query.get("entity"),
        blueprint=query.get("blueprint"),
        origins=tuple(origins),
        resources=resources,
        action=action.upper() if action else None,
        status=status.upper() if status else None,
        since=_moment(query.get("from"), "from"),
        until=_moment(query.get("to"), "to"),
        limit=_limit(query.get("limit")),
    )


def _moment(value: str | None, name: str) -> str | None:
    """An ISO-8601 time as the log stamps it (:func:`audit_moment`)."""
    if value is None:
        return None
    try:
        return audit_moment(value, name)
    except ValueError as error:
        raise RequestError(str(error)) from None


def _limit(value: str | None) -> int:
    if value is None:
        return _DEFAULT_LIMIT
    try:
        number = float(value)
    except ValueError:
        number = -1
    if not 1 <= number <= _MOST:
        raise RequestError(f"limit must be a number from 1 to {_MOST:,}, got {value!r:.40}")
    return int(number)
