"""The embedded catalog on a full disk (a small tmpfs of the test's own, filled; skipped
where it cannot be mounted): ``ocean sail`` fails saying the disk is full and what to do,
deletes nothing, leaves the file sound, and the next run with room converges."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import TEAMS, Workspace, fill, services, small_disk

ROOT = Path(__file__).resolve().parents[3]


def _sail(workspace: Workspace) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **workspace.environ, "PYTHONPATH": str(ROOT)}
    env["OCEAN__RESYNC_LEASE_SECONDS"] = "3"  # a lease the failed run keeps lapses soon
    return subprocess.run(
        [sys.executable, "-m", "ocean", "sail", str(workspace.folder), "--once", "--quiet",
         "--catalog", str(workspace.catalog)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _entities(catalog: Path) -> list[tuple[str, str]]:
    with contextlib.closing(sqlite3.connect(catalog)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return db.execute("SELECT blueprint, identifier FROM entities ORDER BY 1, 2").fetchall()


def test_a_full_disk_fails_the_resync_naming_it_deletes_nothing_and_the_next_run_converges(
    workspace: Workspace, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk", 16) as disk:
        workspace.catalog = disk / "catalog.db"
        workspace.set_data(services=[services(3000)], teams=TEAMS)
        assert _sail(workspace).returncode == 0
        before = _entities(workspace.catalog)
        filler = fill(disk, 64 * 1024)  # the rerun's writes cannot all fit

        # a shrinking rerun changing every entity it keeps
        workspace.set_data(services=[services(2000, stars=2)], teams=TEAMS)
        full = _sail(workspace)

        assert full.returncode != 0
        assert str(workspace.catalog) in full.stderr, full.stderr
        assert "the disk holding the catalog's file is full" in full.stderr, full.stderr
        assert "free space on it, then retry" in full.stderr
        assert _entities(workspace.catalog) == before  # nothing deleted

        filler.unlink()
        deadline = time.monotonic() + 30
        while "another resync" in (again := _sail(workspace)).stderr:
            assert time.monotonic() < deadline, again.stderr
            time.sleep(1)  # the lease the failed run could not give up lapses
        assert again.returncode == 0, again.stderr
        converged = _entities(workspace.catalog)

    clean = Workspace(tmp_path / "clean")
    clean.set_data(services=[services(2000, stars=2)], teams=TEAMS)
    assert _sail(clean).returncode == 0
    assert converged == _entities(clean.catalog)
