"""Reading recorded runs back by id and by integration (``ocean catalog runs --id``,
``ocean catalog resync``), beside :mod:`ocean.store.sqlite.catalog`."""

from __future__ import annotations

import sqlite3

import orjson

from ocean.store.base import RunRecord
from ocean.store.sqlite.catalog import SQLiteCatalog

_COLUMNS = "id, integration, trigger, started_at, ended_at, status, report"


def get_run(catalog: SQLiteCatalog, run_id: int) -> RunRecord | None:
    """The run ``run_id``, if recorded."""

    def read(db: sqlite3.Connection) -> RunRecord | None:
        r = db.execute(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        if r is None:
            return None
        return RunRecord(r[1], r[2], r[3], r[4], r[5], report=orjson.loads(r[6]), id=r[0])

    return catalog.in_transaction(read)


def run_integrations(catalog: SQLiteCatalog) -> list[str]:
    """The integrations that recorded runs, sorted."""

    def read(db: sqlite3.Connection) -> list[str]:
        rows = db.execute("SELECT DISTINCT integration FROM runs ORDER BY integration")
        return [str(row[0]) for row in rows]

    return catalog.in_transaction(read)
