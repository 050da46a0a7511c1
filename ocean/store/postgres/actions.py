"""The PostgreSQL catalog's actions and action runs
(:class:`~ocean.actions.catalog.ActionsCatalog`). Claims take their rows with
``FOR UPDATE SKIP LOCKED`` (concurrent pollers never get the same run, nor wait on each
other); an acknowledgement is one conditional ``UPDATE``. Times of claims and leases are the
database server's clock, so replicas on several machines agree on when they lapse."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from ocean.actions.catalog import LAPSED, StoredActions, check_action
from ocean.actions.run import FAILURE, ended, patched
from ocean.errors import ActionError, RunAlreadyAcknowledgedError
from ocean.store.base import Store, now_iso
from ocean.store.postgres.connections import guarded

_LAPSED = (
    "SELECT id, body, visibility FROM action_runs WHERE installation = $1 AND "
    "status = 'IN_PROGRESS' AND lease_until IS NOT NULL AND lease_until < now() FOR UPDATE"
)
_CLAIM = (
    "UPDATE action_runs SET claim_until = now() + make_interval(secs => $3), visibility = $3 "
    "WHERE id IN (SELECT id FROM action_runs WHERE installation = $1 AND status = 'IN_PROGRESS' "
    "AND acked_at IS NULL AND (claim_until IS NULL OR claim_until <= now()) "
    "AND NOT (action = ANY($4::text[])) ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED) "
    "RETURNING seq, body"
)
_ACK = (
    "UPDATE action_runs SET acked_at = $2, lease_until = CASE WHEN $3::float8 > 0 THEN "
    "now() + make_interval(secs => $3::float8) END, visibility = CASE WHEN $3::float8 > 0 "
    "THEN $3::float8 ELSE visibility END, "
    "body = body || jsonb_build_object('startedAt', $2::text) "
    "WHERE id = $1 AND acked_at IS NULL AND status = 'IN_PROGRESS'"
)
_WRITE = (
    "UPDATE action_runs SET body = $2::jsonb, status = $3, external_run_id = $4, lease_until = "
    "CASE WHEN $3 = 'IN_PROGRESS' AND $4::text IS NULL THEN lease_until END WHERE id = $1"
)
"""A run that ended, or waits for its external run, holds no lease."""
_RENEW = (
    "UPDATE action_runs SET lease_until = now() + make_interval(secs => $2), visibility = $2 "
    "WHERE id = $1 AND status = 'IN_PROGRESS' AND acked_at IS NOT NULL "
    "AND lease_until IS NOT NULL"
)
_DROP = "UPDATE action_runs SET lease_until = NULL WHERE id = $1"
_HOLD = (
    "UPDATE action_runs SET claim_until = now() + make_interval(secs => $2), visibility = $2 "
    "WHERE id = $1 AND status = 'IN_PROGRESS' AND acked_at IS NULL AND claim_until > now()"
)
"""A claimed run not yet acknowledged keeps its claim while it is still claimed (its
runner queues it: see :meth:`~ocean.actions.catalog.ActionsCatalog.lease_run`)."""
_LOG = "INSERT INTO action_run_logs(run, level, message, created_at) VALUES ($1, $2, $3, $4)"


def _json(text: str | bytes) -> dict[str, Any]:
    value: dict[str, Any] = orjson.loads(text)
    return value


def _text(value: Any) -> str:
    return orjson.dumps(value).decode()


@guarded
class PostgresActions(StoredActions):
    """Actions in the PostgreSQL catalog's schema; a call that cannot reach it fails as the
    store's calls do (:func:`~ocean.store.postgres.connections.guarded`)."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.url: str = store.url  # type: ignore[attr-defined]

    async def failed_over(self) -> None:
        await self.store.failed_over()  # type: ignore[attr-defined]

    @property
    def _pool(self) -> asyncpg.Pool:
        pool: asyncpg.Pool = self.store._pool  # type: ignore[attr-defined]
        return pool

    async def save_action(self, action: dict[str, Any], *, replace: bool) -> dict[str, Any]:
        check_action(action)
        async with self._pool.acquire() as db, db.transaction():
            created = await db.fetchval(
                "SELECT created_at FROM actions WHERE identifier = $1 FOR UPDATE",
                action["identifier"],
            )
            if created is not None and not replace:
                raise ActionError(
                    f"action {action['identifier']!r} exists already; PUT /v1/actions/"
                    f"{action['identifier']} replaces it",
                    409,
                )
            at = now_iso()
            stored = dict(action, createdAt=created or at, updatedAt=at)
            await db.execute(
                "INSERT INTO actions(identifier, body, created_at, updated_at) "
                "VALUES ($1, $2::jsonb, $3, $4) ON CONFLICT (identifier) DO UPDATE SET "
                "body = excluded.body, updated_at = excluded.updated_at",
                action["identifier"], _text(stored), stored["createdAt"], at,
            )  # fmt: skip
            return stored

    async def list_actions(self) -> list[dict[str, Any]]:
        rows = await self._pool.fetch("SELECT body::text FROM actions ORDER BY identifier")
        return [_json(row[0]) for row in rows]

    async def get_action(self, identifier: str) -> dict[str, Any] | None:
        body = await self._pool.fetchval(
            "SELECT body::text FROM actions WHERE identifier = $1", identifier
        )
        return None if body is None else _json(body)

    async def delete_action(self, identifier: str) -> bool:
        status = await self._pool.execute("DELETE FROM actions WHERE identifier = $1", identifier)
        return str(status) != "DELETE 0"

    async def _insert_run(self, body: dict[str, Any], installation: str) -> None:
        await self._pool.execute(
            "INSERT INTO action_runs(id, action, installation, status, body, created_at) "
            "VALUES ($1, $2, $3, $4, $5::jsonb, $6)",
            body["id"], body["action"]["identifier"], installation, body["status"],
            _text(body), body["createdAt"],
        )  # fmt: skip

    async def claim_runs(
        self, installation: str, limit: int, visibility_seconds: float, exclude: list[str]
    ) -> list[dict[str, Any]]:
        async with self._pool.acquire() as db, db.transaction():
            for run_id, body, visibility in await db.fetch(_LAPSED, installation):
                fresh = ended(_json(body), FAILURE)
                await db.execute(_WRITE, run_id, _text(fresh), FAILURE, fresh.get("externalRunId"))
                message = LAPSED.format(seconds=visibility or 60)
                await db.execute(_LOG, run_id, "ERROR", message, now_iso())
            rows = await db.fetch(_CLAIM, installation, limit, visibility_seconds, exclude)
        return [_json(body) for _, body in sorted(rows, key=lambda row: int(row[0]))]

    async def ack_run(self, run_id: str, lease_seconds: float | None = None) -> None:
        lease = None if lease_seconds is None else float(lease_seconds)
        status = await self._pool.execute(_ACK, run_id, now_iso(), lease)
        if str(status) != "UPDATE 0":
            return
        if await self.get_run(run_id) is None:
            raise ActionError(f"action run {run_id!r} does not exist", 404)
        raise RunAlreadyAcknowledgedError(
            f"action run {run_id} was acknowledged already (another runner has it, or it ended)"
        )

    async def lease_run(self, run_id: str, seconds: float) -> None:
        if seconds > 0:
            if str(await self._pool.execute(_RENEW, run_id, float(seconds))) == "UPDATE 0":
                await self._pool.execute(_HOLD, run_id, float(seconds))
        else:
            await self._pool.execute(_DROP, run_id)

    async def patch_run(self, run_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        async with self._pool.acquire() as db, db.transaction():
            body = await db.fetchval(
                "SELECT body::text FROM action_runs WHERE id = $1 FOR UPDATE", run_id
            )
            if body is None:
                raise ActionError(f"action run {run_id!r} does not exist", 404)
            fresh = patched(_json(body), patch)
            await db.execute(
                _WRITE, run_id, _text(fresh), fresh["status"], fresh.get("externalRunId")
            )
            return fresh

    async def add_log(self, run_id: str, message: str, level: str = "INFO") -> None:
        if await self.get_run(run_id) is None:
            raise ActionError(f"action run {run_id!r} does not exist", 404)
        await self._pool.execute(_LOG, run_id, level, message, now_iso())

    async def get_run(self, run_id: str) -> dict[str, Any] | None:
        body = await self._pool.fetchval("SELECT body::text FROM action_runs WHERE id = $1", run_id)
        return None if body is None else _json(body)

    async def list_runs(
        self,
        *,
        action: str | None = None,
        external_run_id: str | None = None,
        active: bool | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        rows = await self._pool.fetch(
            "SELECT body::text FROM action_runs WHERE ($1::text IS NULL OR action = $1) "
            "AND ($2::text IS NULL OR external_run_id = $2) AND ($3::boolean IS NULL OR "
            "(status = 'IN_PROGRESS') = $3) ORDER BY seq DESC LIMIT $4",
            action, external_run_id, active, limit,
        )  # fmt: skip
        return [_json(row[0]) for row in rows]

    async def run_logs(self, run_id: str) -> list[dict[str, Any]]:
        rows = await self._pool.fetch(
            "SELECT level, message, created_at FROM action_run_logs WHERE run = $1 ORDER BY seq",
            run_id,
        )
        return [{"level": r[0], "message": r[1], "createdAt": r[2]} for r in rows]
