"""The runs the catalog records: written as a resync starts and ends, read back (``ocean
catalog runs``, ``--id``, ``ocean catalog resync``), beside :mod:`ocean.store.sqlite.catalog`."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from ocean.store.base import RunRecord
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.writes import dumps

_COLUMNS = "id, integration, trigger, started_at, ended_at, status, report"
_SELECT = f"SELECT {_COLUMNS} FROM runs"
LAST_COMPLETED = (
    "WHERE integration = ?1 AND status = 'completed' "
    "AND coalesce(json_extract(report, '$.mode'), 'full') = 'full' "
    "AND json_type(report, '$.kinds') = 'array' ORDER BY id DESC LIMIT 1"
)


def record(catalog: SQLiteCatalog, run: RunRecord) -> int:
    """Record a new run (its id), or a recorded one's end (``run.id``), in one statement."""

    def write(db: sqlite3.Connection) -> int:
        if run.id is not None:
            db.execute(
                "UPDATE runs SET ended_at = ?, status = ?, report = ? WHERE id = ?",
                (run.ended_at, run.status, dumps(run.report), run.id),
            )
            return run.id
        cursor = db.execute(
            f"INSERT INTO runs({_COLUMNS.removeprefix('id, ')}) VALUES (?,?,?,?,?,?)",
            (run.integration, run.trigger, run.started_at, run.ended_at, run.status,
             dumps(run.report)),
        )  # fmt: skip
        return int(cursor.lastrowid or 0)

    return catalog.read(write)


def latest(catalog: SQLiteCatalog, limit: int, integration: str | None) -> list[RunRecord]:
    """The ``limit`` latest runs (of ``integration`` only, if given), newest first."""

    def read(db: sqlite3.Connection) -> list[RunRecord]:
        if integration is None:  # (one query with `?2 IS NULL OR` could not use the index)
            rows = db.execute(f"{_SELECT} ORDER BY id DESC LIMIT ?", (limit,))
        else:
            sql = f"{_SELECT} WHERE integration = ? ORDER BY id DESC LIMIT ?"
            rows = db.execute(sql, (integration, limit))
        return [_run(r) for r in rows]

    return catalog.read(read)


def last_completed(catalog: SQLiteCatalog, integration: str) -> RunRecord | None:
    """The newest full resync of ``integration`` that completed (recorded with its
    kinds: not a state a client of the Port API recorded)."""

    def read(db: sqlite3.Connection) -> RunRecord | None:
        r = db.execute(f"{_SELECT} {LAST_COMPLETED}", (integration,)).fetchone()
        return None if r is None else _run(r)

    return catalog.read(read)


def get_run(catalog: SQLiteCatalog, run_id: int) -> RunRecord | None:
    """The run ``run_id``, if recorded."""

    def read(db: sqlite3.Connection) -> RunRecord | None:
        r = db.execute(f"{_SELECT} WHERE id = ?", (run_id,)).fetchone()
        return None if r is None else _run(r)

    return catalog.in_transaction(read)


def run_integrations(catalog: SQLiteCatalog) -> list[str]:
    """The integrations that recorded runs, sorted."""

    def read(db: sqlite3.Connection) -> list[str]:
        rows = db.execute("SELECT DISTINCT integration FROM runs ORDER BY integration")
        return [str(row[0]) for row in rows]

    return catalog.in_transaction(read)


def _run(r: tuple[Any, ...]) -> RunRecord:
    return RunRecord(r[1], r[2], r[3], r[4], r[5], report=orjson.loads(r[6]), id=r[0])
