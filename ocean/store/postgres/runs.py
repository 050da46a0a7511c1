"""The runs the PostgreSQL catalog records: written as a resync starts and ends, read back
(``ocean catalog runs``, ``--id``, ``ocean catalog resync``), as :mod:`ocean.store.sqlite.runs`."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from ocean.store.base import RunRecord
from ocean.store.postgres.nuls import as_jsonb, without_nuls
from ocean.store.writes import dumps

_COLUMNS = "id, integration, trigger, started_at, ended_at, status, report"
_REPORT = as_jsonb("report")
"""A report as ``jsonb``: one recorded before its NULs were written as text (see
:func:`_text`) fails no later resync."""


async def record(pool: asyncpg.Pool, run: RunRecord) -> int:
    """Record a new run (its id), or a recorded one's end (``run.id``), in one statement."""
    if run.id is not None:
        await pool.execute(
            "UPDATE runs SET ended_at = $1, status = $2, report = $3 WHERE id = $4",
            run.ended_at, run.status, _text(run.report), run.id,
        )  # fmt: skip
        return run.id
    return int(
        await pool.fetchval(
            "INSERT INTO runs(integration, trigger, started_at, ended_at, status, report) "
            "VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
            run.integration,
            run.trigger,
            run.started_at,
            run.ended_at,
            run.status,
            _text(run.report),
        )  # fmt: skip
    )


async def listed(pool: asyncpg.Pool, limit: int, integration: str | None) -> list[RunRecord]:
    """The ``limit`` latest runs (of ``integration`` only, if given), newest first."""
    if integration is None:  # (one query with `$2 IS NULL OR` could not use the index)
        rows = await pool.fetch(f"SELECT {_COLUMNS} FROM runs ORDER BY id DESC LIMIT $1", limit)
    else:
        rows = await pool.fetch(
            f"SELECT {_COLUMNS} FROM runs WHERE integration = $2 ORDER BY id DESC LIMIT $1",
            limit,
            integration,
        )
    return [_run(row) for row in rows]


async def last_completed(pool: asyncpg.Pool, integration: str) -> RunRecord | None:
    """The newest full resync of ``integration`` that completed (recorded with its
    kinds: not a state a client of the Port API recorded)."""
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM runs WHERE integration = $1 AND status = 'completed' "
        f"AND coalesce({_REPORT} ->> 'mode', 'full') = 'full' "
        f"AND jsonb_typeof({_REPORT} -> 'kinds') = 'array' ORDER BY id DESC LIMIT 1",
        integration,
    )
    return None if row is None else _run(row)


async def get(pool: asyncpg.Pool, run_id: int) -> RunRecord | None:
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM runs WHERE id = $1", run_id)
    return None if row is None else _run(row)


async def integrations(pool: asyncpg.Pool) -> list[str]:
    rows = await pool.fetch("SELECT DISTINCT integration FROM runs ORDER BY 1")
    return [row[0] for row in rows]


def _run(row: asyncpg.Record) -> RunRecord:
    return RunRecord(row[1], row[2], row[3], row[4], row[5], report=orjson.loads(row[6]), id=row[0])


def _text(report: dict[str, Any]) -> str:
    """A report's JSON text, its NULs (in an exception's message, say) written as the text
    ``\\u0000``: the catalog reads reports as ``jsonb``, which holds none."""
    return without_nuls(dumps(report))
