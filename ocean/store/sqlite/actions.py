"""The embedded catalog's actions and action runs (:class:`~ocean.actions.catalog.ActionsCatalog`),
run on the catalog's thread or process like the rest of
:class:`~ocean.store.sqlite.catalog.SQLiteCatalog`: each operation is one write transaction,
so a claim or an acknowledgement is atomic across every process sharing the file. Times of
claims and leases are the catalog's clock (``time.time()``, one machine)."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import orjson

from ocean.actions.catalog import LAPSED, StoredActions, check_action
from ocean.actions.run import FAILURE, ended, patched
from ocean.errors import ActionError, RunAlreadyAcknowledgedError
from ocean.store.base import now_iso
from ocean.store.sqlite.catalog import SQLiteCatalog

_RUN = "SELECT body FROM action_runs WHERE id = ?"
_LAPSED = (
    "SELECT id, body, visibility FROM action_runs WHERE installation = ? AND "
    "status = 'IN_PROGRESS' AND lease_until IS NOT NULL AND lease_until < ?"
)
_CLAIMABLE = (
    "SELECT id, body FROM action_runs WHERE installation = ? AND status = 'IN_PROGRESS' "
    "AND acked_at IS NULL AND (claim_until IS NULL OR claim_until <= ?) "
    "AND action NOT IN (SELECT value FROM json_each(?)) ORDER BY seq LIMIT ?"
)
_ACK = (
    "UPDATE action_runs SET acked_at = ?, lease_until = ?, visibility = coalesce(?, visibility), "
    "body = json_set(body, '$.startedAt', ?) "
    "WHERE id = ? AND acked_at IS NULL AND status = 'IN_PROGRESS'"
)
_WRITE = (
    "UPDATE action_runs SET body = ?, status = ?, external_run_id = ?, lease_until = CASE "
    "WHEN ? = 'IN_PROGRESS' AND ? IS NULL THEN lease_until END WHERE id = ?"
)
"""A run that ended, or waits for its external run, holds no lease."""
_RENEW = (
    "UPDATE action_runs SET lease_until = ?, visibility = ? WHERE id = ? AND "
    "status = 'IN_PROGRESS' AND acked_at IS NOT NULL AND lease_until IS NOT NULL"
)
_DROP = "UPDATE action_runs SET lease_until = NULL WHERE id = ?"
_HOLD = (
    "UPDATE action_runs SET claim_until = ?, visibility = ? WHERE id = ? AND "
    "status = 'IN_PROGRESS' AND acked_at IS NULL AND claim_until > ?"
)
"""A claimed run not yet acknowledged keeps its claim while it is still claimed (its
runner queues it: see :meth:`~ocean.actions.catalog.ActionsCatalog.lease_run`)."""
_LOG = "INSERT INTO action_run_logs(run, level, message, created_at) VALUES (?, ?, ?, ?)"


def _json(text: str | bytes) -> dict[str, Any]:
    value: dict[str, Any] = orjson.loads(text)
    return value


def save_action(catalog: SQLiteCatalog, action: dict[str, Any], replace: bool) -> dict[str, Any]:
    def write(db: sqlite3.Connection) -> dict[str, Any]:
        at = now_iso()
        row = db.execute(
            "SELECT created_at FROM actions WHERE identifier = ?", (action["identifier"],)
        ).fetchone()
        if row is not None and not replace:
            raise ActionError(
                f"action {action['identifier']!r} exists already; PUT /v1/actions/"
                f"{action['identifier']} replaces it",
                409,
            )
        stored = dict(action, createdAt=row[0] if row else at, updatedAt=at)
        db.execute(
            "INSERT INTO actions(identifier, body, created_at, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(identifier) DO UPDATE SET body = excluded.body, "
            "updated_at = excluded.updated_at",
            (action["identifier"], orjson.dumps(stored).decode(), stored["createdAt"], at),
        )
        return stored

    return catalog.in_transaction(write)


def list_actions(catalog: SQLiteCatalog) -> list[dict[str, Any]]:
    rows = catalog.read(lambda db: db.execute("SELECT body FROM actions ORDER BY identifier"))
    return [_json(body) for (body,) in rows]


def get_action(catalog: SQLiteCatalog, identifier: str) -> dict[str, Any] | None:
    def read(db: sqlite3.Connection) -> dict[str, Any] | None:
        row = db.execute("SELECT body FROM actions WHERE identifier = ?", (identifier,))
        found = row.fetchone()
        return None if found is None else _json(found[0])

    return catalog.read(read)


def delete_action(catalog: SQLiteCatalog, identifier: str) -> bool:
    def write(db: sqlite3.Connection) -> bool:
        return db.execute("DELETE FROM actions WHERE identifier = ?", (identifier,)).rowcount > 0

    return catalog.in_transaction(write)


def insert_run(catalog: SQLiteCatalog, body: dict[str, Any], installation: str) -> None:
    def write(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO action_runs(id, action, installation, status, body, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (body["id"], body["action"]["identifier"], installation, body["status"],
             orjson.dumps(body).decode(), body["createdAt"]),
        )  # fmt: skip

    catalog.in_transaction(write)


def claim(
    catalog: SQLiteCatalog,
    installation: str,
    limit: int,
    visibility: float,
    exclude: list[str],
) -> list[dict[str, Any]]:
    def write(db: sqlite3.Connection) -> list[dict[str, Any]]:
        now = time.time()
        _end_lapsed(db, installation, now)
        rows = db.execute(
            _CLAIMABLE, (installation, now, orjson.dumps(exclude).decode(), limit)
        ).fetchall()
        db.executemany(
            "UPDATE action_runs SET claim_until = ?, visibility = ? WHERE id = ?",
            [(now + visibility, visibility, run_id) for run_id, _ in rows],
        )
        return [_json(body) for _, body in rows]

    return catalog.in_transaction(write)


def _end_lapsed(db: sqlite3.Connection, installation: str, now: float) -> None:
    for run_id, body, visibility in db.execute(_LAPSED, (installation, now)).fetchall():
        fresh = ended(_json(body), FAILURE)
        external = fresh.get("externalRunId")
        db.execute(_WRITE, (orjson.dumps(fresh).decode(), FAILURE, external, FAILURE, external,
                            run_id))  # fmt: skip
        db.execute(_LOG, (run_id, "ERROR", LAPSED.format(seconds=visibility or 60), now_iso()))


def ack(catalog: SQLiteCatalog, run_id: str, lease_seconds: float | None) -> None:
    leased = lease_seconds if lease_seconds else None  # 0: none

    def write(db: sqlite3.Connection) -> None:
        at = now_iso()
        until = None if leased is None else time.time() + leased
        if db.execute(_ACK, (at, until, leased, at, run_id)).rowcount:
            return
        if db.execute(_RUN, (run_id,)).fetchone() is None:
            raise ActionError(f"action run {run_id!r} does not exist", 404)
        raise RunAlreadyAcknowledgedError(
            f"action run {run_id} was acknowledged already (another runner has it, or it ended)"
        )

    catalog.in_transaction(write)


def lease(catalog: SQLiteCatalog, run_id: str, seconds: float) -> None:
    def write(db: sqlite3.Connection) -> None:
        if seconds > 0:
            now = time.time()
            if not db.execute(_RENEW, (now + seconds, seconds, run_id)).rowcount:
                db.execute(_HOLD, (now + seconds, seconds, run_id, now))
        else:
            db.execute(_DROP, (run_id,))

    catalog.in_transaction(write)


def patch_row(catalog: SQLiteCatalog, run_id: str, change: dict[str, Any]) -> dict[str, Any]:
    def write(db: sqlite3.Connection) -> dict[str, Any]:
        row = db.execute(_RUN, (run_id,)).fetchone()
        if row is None:
            raise ActionError(f"action run {run_id!r} does not exist", 404)
        fresh = patched(_json(row[0]), change)
        status, external = fresh["status"], fresh.get("externalRunId")
        db.execute(_WRITE, (orjson.dumps(fresh).decode(), status, external, status, external,
                            run_id))  # fmt: skip
        return fresh

    return catalog.in_transaction(write)


def add_log(catalog: SQLiteCatalog, run_id: str, message: str, level: str) -> None:
    def write(db: sqlite3.Connection) -> None:
        if db.execute(_RUN, (run_id,)).fetchone() is None:
            raise ActionError(f"action run {run_id!r} does not exist", 404)
        db.execute(_LOG, (run_id, level, message, now_iso()))

    catalog.in_transaction(write)


def get_run(catalog: SQLiteCatalog, run_id: str) -> dict[str, Any] | None:
    found = catalog.read(lambda db: db.execute(_RUN, (run_id,)).fetchone())
    return None if found is None else _json(found[0])


def list_runs(
    catalog: SQLiteCatalog,
    action: str | None,
    external_run_id: str | None,
    active: bool | None,
    limit: int,
) -> list[dict[str, Any]]:
    query, params = "SELECT body FROM action_runs WHERE 1 = 1", list[str]()
    if action is not None:
        query, params = query + " AND action = ?", [*params, action]
    if external_run_id is not None:
        query, params = query + " AND external_run_id = ?", [*params, external_run_id]
    if active is not None:
        query += " AND status = 'IN_PROGRESS'" if active else " AND status != 'IN_PROGRESS'"
    rows = catalog.read(
        lambda db: db.execute(f"{query} ORDER BY seq DESC LIMIT ?", (*params, limit))
    )
    return [_json(body) for (body,) in rows]


def logs(catalog: SQLiteCatalog, run_id: str) -> list[dict[str, Any]]:
    rows = catalog.read(
        lambda db: db.execute(
            "SELECT level, message, created_at FROM action_run_logs WHERE run = ? ORDER BY seq",
            (run_id,),
        ).fetchall()
    )
    return [{"level": lvl, "message": msg, "createdAt": at} for lvl, msg, at in rows]


class SQLiteActions(StoredActions):
    """Actions in the embedded catalog's file."""

    def _call(self) -> Any:
        return self.store._call  # type: ignore[attr-defined]

    async def save_action(self, action: dict[str, Any], *, replace: bool) -> dict[str, Any]:
        stored: dict[str, Any] = await self._call()(save_action, check_action(action), replace)
        return stored

    async def list_actions(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self._call()(list_actions)
        return found

    async def get_action(self, identifier: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self._call()(get_action, identifier)
        return found

    async def delete_action(self, identifier: str) -> bool:
        return bool(await self._call()(delete_action, identifier))

    async def _insert_run(self, body: dict[str, Any], installation: str) -> None:
        await self._call()(insert_run, body, installation)

    async def claim_runs(
        self, installation: str, limit: int, visibility_seconds: float, exclude: list[str]
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self._call()(
            claim, installation, limit, visibility_seconds, exclude
        )
        return found

    async def ack_run(self, run_id: str, lease_seconds: float | None = None) -> None:
        await self._call()(ack, run_id, lease_seconds)

    async def lease_run(self, run_id: str, seconds: float) -> None:
        await self._call()(lease, run_id, seconds)

    async def patch_run(self, run_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        fresh: dict[str, Any] = await self._call()(patch_row, run_id, patch)
        return fresh

    async def add_log(self, run_id: str, message: str, level: str = "INFO") -> None:
        await self._call()(add_log, run_id, message, level)

    async def get_run(self, run_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self._call()(get_run, run_id)
        return found

    async def list_runs(
        self,
        *,
        action: str | None = None,
        external_run_id: str | None = None,
        active: bool | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self._call()(
            list_runs, action, external_run_id, active, limit
        )
        return found

    async def run_logs(self, run_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self._call()(logs, run_id)
        return found
