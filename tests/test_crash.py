"""Crash safety: an ingest killed at any moment and run again ends exactly where an
uninterrupted one ends; Ctrl-C stops it cleanly, saying what was committed.

The full run is a script: `python tests/crash_harness.py --trials 20 --seed 1`.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import time
from pathlib import Path

import pytest

import crash_harness as harness
from support import SHARED

DEVSET = SHARED / "devset" / "captures"
BIG = SHARED / "corpus" / "reuters21578.jsonl"  # 15,292 rows: several write batches, ~10 s
SMALL = 60  # captures in the quick corpus: a clean ingest takes ~2 s

pytestmark = pytest.mark.skipif(not DEVSET.is_dir(), reason="needs the devset in /work/shared")


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("captures")
    for f in sorted(DEVSET.iterdir())[:SMALL]:
        shutil.copyfile(f, folder / f.name)
    return folder


def test_killed_ingest_then_rerun_matches_a_clean_run(small_corpus, tmp_path):
    trials = harness.run_trials(small_corpus, trials=3, seed=1, work=tmp_path, log=lambda _: None)
    assert all(t.identical for t in trials), "\n".join(map(str, trials))
    assert any(t.killed for t in trials)


def test_rerun_after_kill_counts_nothing_twice(small_corpus, tmp_path):
    db = tmp_path / "store.db"
    proc = harness.start_ingest(small_corpus, db)
    harness.kill_after(proc, 1.5)
    proc.communicate()
    harness.run_ingest(small_corpus, db)
    again = harness.run_ingest(small_corpus, db)  # a finished store: everything is already there
    assert f"captures: 0 new, {SMALL} already stored" in again.stderr
    assert harness.committed_captures(db) == SMALL


def test_ctrl_c_stops_cleanly_and_says_what_is_committed(tmp_path):
    if not BIG.is_file():
        pytest.skip(f"needs {BIG}")
    db = tmp_path / "store.db"
    proc = harness.start_ingest(BIG, db)
    end = time.monotonic() + 120
    while harness.committed_captures(db) == 0:  # interrupt after the first batch, mid-run
        assert proc.poll() is None and time.monotonic() < end, "the ingest ended before it could be interrupted"
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C: the parent and its workers
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert all(line.startswith("newsfold: ") for line in err.splitlines()), err  # nothing from the workers
    said = re.search(r"newsfold: interrupted; (\d+) captures are committed in (.+); run the same ingest again", err)
    assert said, err
    assert int(said.group(1)) == harness.committed_captures(db) > 0
    assert said.group(2) == str(db)


def test_workers_of_a_killed_ingest_exit_quietly(tmp_path):
    """SIGKILL to the parent alone: its worker processes see their task pipe close and end,
    without tracebacks, instead of running on as orphans."""
    if not BIG.is_file():
        pytest.skip(f"needs {BIG}")
    db = tmp_path / "store.db"
    proc = harness.start_ingest(BIG, db)
    end = time.monotonic() + 120
    while harness.committed_captures(db) == 0:  # workers are busy by now
        assert proc.poll() is None and time.monotonic() < end, "the ingest ended before it could be killed"
        time.sleep(0.01)
    children = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
    assert len(children) == 2
    proc.kill()
    _, err = proc.communicate(timeout=60)
    deadline = time.monotonic() + 20
    while any(map(running, children)):
        assert time.monotonic() < deadline, "a worker outlived its killed parent"
        time.sleep(0.05)
    assert "Traceback" not in err


def running(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
