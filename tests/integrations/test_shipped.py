"""The integrations shipped in integrations/ sync cleanly and converge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.sail import prepare
from ocean.store.sqlite.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[2] / "integrations"


async def _sail(name: str, catalog: Path, environ: dict[str, str]):  # type: ignore[no-untyped-def]
    prepared = prepare(ROOT / name, environ=environ, overrides={})
    store = await SQLiteStore.open(catalog)
    try:
        return await run_once(prepared, store, SilentObserver())
    finally:
        await store.close()


async def test_fake_integration_syncs_related_org_data_and_reruns_unchanged(tmp_path: Path) -> None:
    environ = {
        "OCEAN__INTEGRATION__CONFIG__ENTITY_AMOUNT": "200",
        "OCEAN__INTEGRATION__CONFIG__THIRD_PARTY_BATCH_SIZE": "50",
    }

    first = await _sail("fake", tmp_path / "c.db", environ)
    again = await _sail("fake", tmp_path / "c.db", environ)

    assert first.status == "completed", first.kinds
    counts = {kind.kind: kind.created for kind in first.kinds}
    assert counts == {"office": 5, "department": 8, "team": 20, "person": 200, "project": 10}
    assert again.total("created") + again.total("updated") + again.deleted == 0
    store = await SQLiteStore.open(tmp_path / "c.db")
    person = (await store.get_entities("fakePerson", ["person-7"]))["person-7"]
    await store.close()
    assert person["relations"] == {"team": "team-7", "office": "office-2"}


async def test_fake_integration_shrinking_deletes_the_vanished(tmp_path: Path) -> None:
    environ = {"OCEAN__INTEGRATION__CONFIG__ENTITY_AMOUNT": "100"}
    await _sail("fake", tmp_path / "c.db", environ)

    shrunk = await _sail(
        "fake", tmp_path / "c.db", {"OCEAN__INTEGRATION__CONFIG__ENTITY_AMOUNT": "90"}
    )

    assert {k.kind: k.deleted for k in shrunk.kinds}["person"] == 10


async def test_python_packages_integration_maps_dependencies_as_relations(tmp_path: Path) -> None:
    report = await _sail("python-packages", tmp_path / "c.db", {})

    assert report.status == "completed"
    store = await SQLiteStore.open(tmp_path / "c.db")
    httpx = (await store.get_entities("pythonPackage", ["httpx"]))["httpx"]
    await store.close()
    assert "httpcore" in httpx["relations"]["dependsOn"]
    assert httpx["properties"]["version"]


def test_fake_integration_with_a_seed_gives_the_same_data_in_every_process(
    tmp_path: Path,
) -> None:
    """A second process of the same settings finds nothing to change (its tags were
    ``hash`` of text, which differs by process)."""
    environ = os.environ | {
        "OCEAN__INTEGRATION__CONFIG__ENTITY_AMOUNT": "30",
        "OCEAN__INTEGRATION__CONFIG__SEED": "other",
        "PYTHONHASHSEED": "random",
    }
    command = [sys.executable, "-m", "ocean", "sail", str(ROOT / "fake"), "--once", "--quiet"]
    command += ["--catalog", f"sqlite:///{tmp_path / 'c.db'}", "--report", str(tmp_path / "r.json")]
    reports = []
    for _ in range(2):
        subprocess.run(command, env=environ, check=True, timeout=120)
        reports.append(json.loads((tmp_path / "r.json").read_text()))

    changed = [kind["kind"] for kind in reports[1]["kinds"] if kind["created"] or kind["updated"]]
    assert reports[0]["status"] == reports[1]["status"] == "completed"
    assert changed == []
