"""This machine's floor for the fake integration's first sync, beside Ocean's own run.

Usage: .venv/bin/python bench/floor.py [--persons 43600] [--repeat 3] [--check]

The floor is hand-written code doing only what the sync must: generate the fake
integration's items (the same data ``integrations/fake`` produces, pages of 1,000), map
them with its mapping (``.port/resources/port-app-config.yml``) written by hand in Python,
serialise each body with orjson, and write the rows Ocean's embedded catalog keeps (the
entity, its ownership, its relation edges) with ``executemany`` in one transaction into
the same SQLite schema (:mod:`ocean.store.sqlite.migrations`, the same pragmas), then close
the file (which checkpoints the log). Start-up is a fresh interpreter importing sqlite3
and orjson.

The one-core floor is the stages' sum. The two-core floor splits them over two
processes the way a pipeline can: start-up, generate, map and serialise on one side,
the write on the other, overlapped (the larger side; the writer's own start-up is
hidden behind the first side's). ``measured`` runs that split for real: a forked
writer takes each page's rows through a pipe as they are made.

Ocean's run is ``ocean sail integrations/fake --once`` into a fresh SQLite catalog,
launched as ``bench/scale.py`` does (whole process, start-up included): its wall seconds,
and the CPU seconds of the sail and of its catalog's child process (sampled from /proc),
set against the floor's two sides (ours/floor). On a machine shared with other work the
CPU seconds are the steadier figures. Each figure is the median of ``--repeat`` rounds,
the floor and Ocean's run back to back in each, each run starting once the ones before it
are written back (``os.sync``). ``--check`` compares the floor's catalog
with Ocean's, row for row (timestamps and versions aside).
"""

from __future__ import annotations

import argparse
import compileall
import gc
import multiprocessing
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocean.store.sqlite.migrations import migrate

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")

PAGE = 1000
OWNER = ("fake/my-fake-integration/exporter", "port-ocean/fake/0.1.0/my-fake-integration/exporter")
PRAGMAS = (
    "page_size=8192",
    "journal_mode=WAL",
    "synchronous=NORMAL",
    "wal_autocheckpoint=8192",  # 64 MiB of 8 KiB pages, as Ocean's catalog
    "cache_size=-65536",
    "temp_store=MEMORY",
)
FIRST = ["Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Guido", "Radia"]  # fmt: skip
LAST = ["Lovelace", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Rossum", "Perlman"]  # fmt: skip
CITIES = ["Tel Aviv", "New York", "London", "Berlin", "Tokyo"]
DEPARTMENTS = ["Engineering", "Product", "Sales", "Marketing", "Finance", "People", "Support", "Legal"]  # fmt: skip
STATUSES = ["WORKING", "VACATION", "SICK"]
STAGES = ["design", "build", "launch", "maintain"]
BIO = ("lorem ipsum " * (724 // 12 + 1))[:724]  # entityKbSize 1: 1,024 - 300 characters

Item = dict[str, Any]
Edge = tuple[str, str, str]  # (relation, target blueprint, target)
Mapped = tuple[str, str, dict[str, Any], list[Edge]]  # blueprint, identifier, body, edges
Row = tuple[str, str, str, list[Edge]]


# generate: integrations/fake/main.py with its default settings (seed "ocean": tag = i) --


def _pages(count: int, make: Callable[[int], Item]) -> Iterator[list[Item]]:
    for start in range(0, count, PAGE):
        yield [make(i) for i in range(start, min(count, start + PAGE))]


def generate(persons: int) -> Iterator[tuple[str, list[Item]]]:
    """Every kind's pages, in the mapping's order, each made when asked for."""
    teams = max(1, persons // 10)

    def person(i: int) -> Item:
        first, last = FIRST[i % 10], LAST[(i // 10) % 10]
        return {
            "id": f"person-{i}", "first_name": first, "last_name": last,
            "email": f"{first}.{last}.{i}@example.com".lower(), "age": 20 + i % 45,
            "status": STATUSES[i % 3], "bio": BIO, "team_id": f"team-{i % teams}",
            "office_id": f"office-{i % 5}",
        }  # fmt: skip

    def project(i: int) -> Item:
        return {
            "id": f"project-{i}", "name": f"Project {i}",
            "url": f"https://projects.example.com/{i}", "stage": STAGES[i % 4],
            "archived": i % 17 == 16,
            "team_ids": [f"team-{(i + k) % teams}" for k in range(1 + i % 3)],
        }  # fmt: skip

    offices = [
        {"id": f"office-{i}", "name": f"{c} office", "city": c, "capacity": 50 + 10 * i % 400}
        for i, c in enumerate(CITIES)
    ]
    departments = [
        {"id": f"dep-{i}", "name": d, "budget": 100_000 + i % 900_000, "office_id": f"office-{i % 5}"}
        for i, d in enumerate(DEPARTMENTS)
    ]  # fmt: skip
    team_pages = _pages(teams, lambda i: {
        "id": f"team-{i}", "name": f"Team {i}", "size": 3 + i % 9, "department_id": f"dep-{i % 8}",
    })  # fmt: skip
    yield "office", offices
    yield "department", departments
    yield from (("team", page) for page in team_pages)
    yield from (("person", page) for page in _pages(persons, person))
    yield from (("project", page) for page in _pages(max(1, persons // 20), project))


# map: the fake integration's mapping, by hand (bodies as Ocean stores them) -------------


def _office(o: Item) -> Mapped:
    body = {"title": o["name"], "properties": {"city": o["city"], "capacity": o["capacity"]}}
    return "fakeOffice", o["id"], body, []


def _department(d: Item) -> Mapped:
    office = d["office_id"]
    body = {"title": d["name"], "properties": {"budget": d["budget"]}, "relations": {"office": office}}  # fmt: skip
    return "fakeDepartment", d["id"], body, [("office", "fakeOffice", office)]


def _team(t: Item) -> Mapped:
    i, department = t["id"], t["department_id"]
    body = {
        "title": t["name"], "properties": {"size": t["size"], "slack": f"#{i}"},
        "relations": {"department": department},
    }  # fmt: skip
    return "fakeTeam", i, body, [("department", "fakeDepartment", department)]


def _person(p: Item) -> Mapped:
    team, office = p["team_id"], p["office_id"]
    body = {
        "title": f"{p['first_name']} {p['last_name']}",
        "properties": {
            "email": p["email"], "age": p["age"], "status": p["status"] or "WORKING",
            "bio": p["bio"],
        },
        "relations": {"team": team, "office": office},
    }  # fmt: skip
    edges = [("team", "fakeTeam", team), ("office", "fakeOffice", office)]
    return "fakePerson", p["id"], body, edges


def _project(p: Item) -> Mapped:
    teams = list(p["team_ids"])
    body = {
        "title": p["name"], "properties": {"url": p["url"], "stage": p["stage"]},
        "relations": {"teams": teams},
    }  # fmt: skip
    return "fakeProject", p["id"], body, [("teams", "fakeTeam", t) for t in teams]


MAPPERS: dict[str, Callable[[Item], Mapped]] = {
    "office": _office, "department": _department, "team": _team,
    "person": _person, "project": _project,
}  # fmt: skip


def map_page(kind: str, page: list[Item]) -> list[Mapped]:
    mapper = MAPPERS[kind]
    if kind == "project":  # selector: .archived | not
        return [mapper(item) for item in page if not item["archived"]]
    return [mapper(item) for item in page]


def serialise(page: list[Mapped]) -> list[Row]:
    """Each body as the text the catalog stores (kept as bytes, orjson's buffers would
    fragment the heap: a few KiB held per body)."""
    dumps = orjson.dumps
    return [(bp, ident, dumps(body).decode(), edges) for bp, ident, body, edges in page]


# write: one transaction of executemany into the catalog's schema -----------------------


def open_catalog(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        db.execute(f"PRAGMA {pragma}")
    migrate(db)
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO owners(key, datasource) VALUES (?, ?)", OWNER)
    return db


def write_rows(db: sqlite3.Connection, rows: list[Row], stamp: str) -> None:
    db.executemany(
        "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at, version) "
        "VALUES (?, ?, ?, ?, ?, 1)",
        [(bp, ident, body, stamp, stamp) for bp, ident, body, _ in rows],
    )
    db.executemany(
        "INSERT INTO ownership(owner, blueprint, identifier) VALUES (1, ?, ?)",
        [(bp, ident) for bp, ident, _, _ in rows],
    )
    db.executemany(
        "INSERT OR IGNORE INTO relations(target_blueprint, target, blueprint, identifier, "
        "relation) VALUES (?, ?, ?, ?, ?)",
        [(tbp, t, bp, ident, rel) for bp, ident, _, edges in rows for rel, tbp, t in edges],
    )


def close_catalog(db: sqlite3.Connection) -> None:
    db.execute("COMMIT")
    db.close()


# the floor, stage by stage ---------------------------------------------------------------

Times = tuple[float, float]
"""Wall and CPU seconds."""


def startup() -> Times:
    """A fresh interpreter that imports sqlite3 and orjson."""
    started, before = time.perf_counter(), os.times()
    subprocess.run([sys.executable, "-c", "import sqlite3, orjson"], check=True)
    after = os.times()
    cpu = after.children_user + after.children_system
    return time.perf_counter() - started, cpu - before.children_user - before.children_system


def _timed(stages: dict[str, Times], name: str, work: Callable[..., Any], *args: Any) -> Any:
    started, cpu = time.perf_counter(), time.process_time()
    value = work(*args)
    wall, used = stages.get(name, (0.0, 0.0))
    stages[name] = (wall + time.perf_counter() - started, used + time.process_time() - cpu)
    return value


def one_core(persons: int, path: Path) -> tuple[dict[str, Times], int]:
    """Each stage's times in this process, page after page (start-up's in a fresh
    process), and the entities written. The cycle collector is off, as a script that
    knows it makes no cycles would have it."""
    stages: dict[str, Times] = {"start-up": startup()}
    stages |= dict.fromkeys(("generate", "map", "serialise", "write"), (0.0, 0.0))
    stamp, items, pages = (
        time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        0,
        generate(persons),
    )
    gc.disable()
    try:
        db = _timed(stages, "write", open_catalog, path)
        while (page := _timed(stages, "generate", next, pages, None)) is not None:
            mapped = _timed(stages, "map", map_page, *page)
            rows = _timed(stages, "serialise", serialise, mapped)
            _timed(stages, "write", write_rows, db, rows, stamp)
            items += len(rows)
        _timed(stages, "write", close_catalog, db)
    finally:
        gc.enable()
    return stages, items


def _writer(path: Path, pages: Any) -> None:
    db, stamp = open_catalog(path), time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    while (rows := pages.recv()) is not None:
        write_rows(db, rows, stamp)
    close_catalog(db)


def two_processes(persons: int, path: Path) -> float:
    """Wall seconds of the two-core split run for real, start-up included: a fresh
    interpreter's start-up, then this process generates, maps and serialises each page and
    sends its rows to a forked writer."""
    receiving, sending = multiprocessing.Pipe(duplex=False)
    started = time.perf_counter()
    writer = multiprocessing.get_context("fork").Process(target=_writer, args=(path, receiving))
    writer.start()
    gc.disable()
    try:
        for kind, page in generate(persons):
            sending.send(serialise(map_page(kind, page)))
        sending.send(None)
        writer.join()
    finally:
        gc.enable()
    return time.perf_counter() - started + startup()[0]


# Ocean's run ------------------------------------------------------------------------------


def _cpu_by_pid(root: int, seen: dict[int, float]) -> None:
    """Add the CPU seconds so far of ``root``'s descendants to ``seen`` (by pid)."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS)
    tree = {root}
    for _ in range(3):  # the sail, its catalog's child, and any they start
        tree |= {pid for pid, (parent, _) in stats.items() if parent in tree}
    seen.update({pid: stats[pid][1] for pid in tree - {root} if pid in stats})


def ours(persons: int, folder: Path) -> dict[str, float]:
    """``ocean sail integrations/fake --once`` into a fresh catalog, as bench/scale.py runs
    it: wall seconds, CPU seconds in all, and those of the children (the catalog's
    process) sampled from /proc every 10 ms (the sail's own are the rest)."""
    report = folder / "report.json"
    env = os.environ | {
        "OCEAN__INTEGRATION__CONFIG__ENTITY_AMOUNT": str(persons),
        "OCEAN__INTEGRATION__CONFIG__THIRD_PARTY_BATCH_SIZE": str(PAGE),
    }
    command = [sys.executable, "-m", "ocean", "sail", str(ROOT / "integrations" / "fake")]
    command += ["--once", "--quiet", "--catalog", f"sqlite:///{folder / 'ocean.db'}"]
    started = time.perf_counter()
    process = subprocess.Popen([*command, "--report", str(report)], env=env, cwd=ROOT)
    children: dict[int, float] = {}
    while not (waited := os.wait4(process.pid, os.WNOHANG))[0]:
        _cpu_by_pid(process.pid, children)
        time.sleep(0.01)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(waited[1]) != 0:
        raise SystemExit("ocean sail failed")
    usage = waited[2]
    cpu = usage.ru_utime + usage.ru_stime
    items = sum(int(kind["mapped"]) for kind in orjson.loads(report.read_bytes())["kinds"])
    return {"wall": wall, "cpu": cpu, "catalog": sum(children.values()), "items": items}


# the comparison ---------------------------------------------------------------------------


def check(folder: Path) -> None:
    """The floor's catalog holds what Ocean's does (timestamps and versions aside)."""
    db = sqlite3.connect(folder / "ocean.db")
    db.execute(f"ATTACH '{folder / 'floor.db'}' AS floor")
    for table, columns in (
        ("entities", "blueprint, identifier, body"),
        ("ownership", "blueprint, identifier"),
        ("relations", "target_blueprint, target, blueprint, identifier, relation"),
    ):
        for a, b in (("main", "floor"), ("floor", "main")):
            query = f"SELECT count(*) FROM (SELECT {columns} FROM {a}.{table} EXCEPT SELECT {columns} FROM {b}.{table})"
            (differ,) = db.execute(query).fetchone()
            if differ:
                raise SystemExit(f"{table}: {differ} rows of {a} are not in {b}")
    db.close()
    print("check: the floor's catalog equals Ocean's (entities, ownership, relations)")


def one_round(persons: int, verify: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        os.sync()  # each run starts once the ones before it are written back
        stages, items = one_core(persons, folder / "floor.db")
        os.sync()
        measured = two_processes(persons, folder / "floor2.db")
        os.sync()
        ocean = ours(persons, folder)
        if verify:
            check(folder)
    if ocean["items"] != items:
        raise SystemExit(f"the floor made {items} entities, Ocean {ocean['items']}")
    return {"stages": stages, "measured": measured, "ours": ocean, "items": items}


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _row(name: str, wall: float | None, cpu: float | None, ratio: str = "") -> None:
    cells = [f"{value:>7.3f}" if value is not None else f"{'':>7}" for value in (wall, cpu)]
    print(f"{name:<38} {cells[0]} {cells[1]} {ratio:>10}")


def table(rounds: list[dict[str, Any]]) -> None:
    """The floor stage by stage, its one-core and two-core sums, Ocean's run beside them
    and each ours/floor (x): Ocean's two processes against the floor's two sides."""
    names = list(rounds[0]["stages"])
    wall = {n: _median([r["stages"][n][0] for r in rounds]) for n in names}
    cpu = {n: _median([r["stages"][n][1] for r in rounds]) for n in names}
    first = ("start-up", "generate", "map", "serialise")
    side_wall = [sum(wall[n] for n in first), wall["write"]]
    side_cpu = [sum(cpu[n] for n in first), cpu["write"]]
    ocean = {k: _median([r["ours"][k] for r in rounds]) for k in ("wall", "cpu", "catalog")}
    sail, catalog = ocean["cpu"] - ocean["catalog"], ocean["catalog"]
    two_wall, two_cpu = max(side_wall), max(side_cpu)
    measured = _median([r["measured"] for r in rounds])
    print(f"{rounds[0]['items']} entities, medians of {len(rounds)} rounds (seconds)")
    print(f"{'floor stage':<38} {'wall':>7} {'CPU':>7} {'ours/floor':>10}")
    for n in names:
        _row(n, wall[n], cpu[n])
    _row("one-core floor (sum)", sum(wall.values()), sum(cpu.values()))
    _row("two-core: start-up..serialise", side_wall[0], side_cpu[0])
    _row("two-core: write", side_wall[1], side_cpu[1])
    _row("two-core floor (the larger side)", two_wall, two_cpu)
    _row("two-core floor measured (2 processes)", measured, None)
    _row("ocean sail, whole process", ocean["wall"], ocean["cpu"])
    _row("  the sail: extract, map, prepare", None, sail, f"{sail / side_cpu[0]:.2f}x")
    _row("  catalog process: map, write", None, catalog, f"{catalog / side_cpu[1]:.2f}x")
    print(
        f"ours/floor: wall / two-core floor {ocean['wall'] / two_wall:.2f}x "
        f"(/ measured {ocean['wall'] / measured:.2f}x); larger process's CPU / two-core "
        f"floor's CPU {max(sail, catalog) / two_cpu:.2f}x; CPU / one-core floor "
        f"{ocean['cpu'] / sum(cpu.values()):.2f}x"
    )


def compiled_ahead() -> None:
    """Write the bytecode of Ocean and the fake integration, as an installed package has it:
    with PYTHONDONTWRITEBYTECODE set (as on some CI machines) every run would compile them
    again, a third of a second of start-up that no user pays."""
    for folder in ("ocean", "integrations/fake"):
        compileall.compile_dir(ROOT / folder, quiet=1)


def main() -> None:
    compiled_ahead()
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=43600, help="about 50k entities")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    table([one_round(args.persons, args.check) for _ in range(args.repeat)])


if __name__ == "__main__":
    main()
