"""The runs the catalog records: written as a resync starts and ends, read back (``ocean
catalog runs``, ``--id``, ``ocean catalog resync``), beside :mod:`ocean.store.sqlite.catalog`."""

from __future__ import annotations

import sqlite3

import orjson

from ocean.store.base import RunRecord
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.writes import dumps

_COLUMNS = "id, integration, trigger, started_at, ended_at, status, report"


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


def latest(catalog: SQLiteCatalog, limit: int) -> list[RunRecord]:
    """The ``limit`` latest runs, newest first."""

    def read(db: sqlite3.Connection) -> list[RunRecord]:
        rows = db.execute(f"SELECT {_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        return [
            RunRecord(r[1], r[2], r[3], r[4], r[5], report=orjson.loads(r[6]), id=r[0])
            for r in rows
        ]

    return catalog.read(read)


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
