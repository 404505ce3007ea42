"""Concurrency: two ingests into one store at once end as if run one after the other (the
second waits, saying so); an export while an ingest writes always reads a consistent store."""
from __future__ import annotations

import json
import multiprocessing
import shutil
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest

from newsfold import Store
from newsfold.engines.local import ingest_lock
from support import NEWSFOLD, SHARED, read_jsonl, run_cli

DEVSET = SHARED / "devset" / "captures"
SUBSET = 300  # devset captures used: enough for stories with copies in both halves, and quick
WAITING = "another ingest is writing to"

pytestmark = pytest.mark.skipif(not DEVSET.is_dir(), reason="needs the devset in /work/shared")


def partition(rows: list[dict]) -> set[frozenset]:
    groups: dict[str, set] = {}
    for r in rows:
        groups.setdefault(r["story"], set()).add((Path(r["capture"]).name, r["position"]))
    return {frozenset(g) for g in groups.values()}


def start_ingest(folder: Path, db: Path, stderr=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen([*NEWSFOLD, "ingest", str(folder), "--db", str(db), "--workers", "2", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=stderr, text=True)


def wait_for(condition, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def captures() -> list[Path]:
    return sorted(DEVSET.iterdir())[:SUBSET]


@pytest.fixture(scope="module")
def halves(captures, tmp_path_factory) -> tuple[Path, Path]:
    """The captures dealt into two folders, so many stories have copies in both."""
    a, b = tmp_path_factory.mktemp("A"), tmp_path_factory.mktemp("B")
    for i, f in enumerate(captures):
        shutil.copyfile(f, (a if i % 2 == 0 else b) / f.name)
    return a, b


@pytest.fixture(scope="module")
def subset(captures, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("subset")
    for f in captures:
        shutil.copyfile(f, folder / f.name)
    return folder


def test_two_ingests_at_once_end_as_one_after_the_other(halves, captures, tmp_path):
    a, b = halves
    db = tmp_path / "both.db"
    logs = {folder: tmp_path / f"{folder.name}.err" for folder in (a, b)}
    Store(db).close()  # created beforehand: see test_a_new_store_opened_by_several_processes_at_once
    # hold the store's ingest lock until both have started and are waiting: they surely overlap
    with closing(sqlite3.connect(db)) as conn, ingest_lock(conn):
        procs = {}
        for folder in (a, b):
            with logs[folder].open("w") as err:
                procs[folder] = start_ingest(folder, db, stderr=err)
        wait_for(lambda: all(WAITING in log.read_text() for log in logs.values()))
    for folder, p in procs.items():
        assert p.wait(timeout=300) == 0, logs[folder].read_text()
        assert "Traceback" not in logs[folder].read_text()

    run_cli("export", "--db", db, "--out", tmp_path / "both.jsonl")
    rows = read_jsonl(tmp_path / "both.jsonl")
    keys = [(Path(r["capture"]).name, r["position"]) for r in rows]
    assert len(keys) == len(set(keys)), "an article was stored twice"
    assert {name for name, _ in keys} == {f.name for f in captures}
    assert all(r["story"] for r in rows)

    # the same folders ingested one after the other, in the order the lock let them in
    with closing(sqlite3.connect(db)) as conn:
        first_name = conn.execute("SELECT name FROM captures ORDER BY id LIMIT 1").fetchone()[0]
    order = (a, b) if Path(first_name).parent == a else (b, a)
    seq = tmp_path / "seq.db"
    for folder in order:
        run_cli("ingest", folder, "--db", seq, "--workers", "2", "--quiet")
    run_cli("export", "--db", seq, "--out", tmp_path / "seq.jsonl")
    assert partition(rows) == partition(read_jsonl(tmp_path / "seq.jsonl"))


def test_export_during_an_ingest_never_fails(tmp_path):
    db = tmp_path / "store.db"
    Store(db).close()  # an existing store: see test_a_new_store_opened_by_several_processes_at_once
    ingest = start_ingest(DEVSET, db)
    during = 0
    while ingest.poll() is None:
        out = tmp_path / f"export{during}.jsonl"
        done = run_cli("export", "--db", db, "--out", out, check=False)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]  # whole lines only
        keys = [(r["capture"], r["position"]) for r in rows]
        assert len(keys) == len(set(keys))
        during += 1
    _, err = ingest.communicate()
    assert ingest.returncode == 0, err
    assert during >= 2, "the ingest ended before the exports could overlap it"


def _open_store(db: str) -> str:
    try:
        Store(db).close()
        return "ok"
    except sqlite3.OperationalError as err:
        return str(err)


def test_a_new_store_opened_by_several_processes_at_once(tmp_path):
    ctx = multiprocessing.get_context("spawn")  # fresh processes, as separate commands would be
    with ctx.Pool(3) as pool:
        for n in range(20):
            db = str(tmp_path / f"new{n}.db")
            assert pool.map(_open_store, [db] * 3) == ["ok"] * 3
