"""`newsfold watch`: captures are read once whole, each once, across restarts."""
import os
import shutil
import sqlite3
import time

from newsfold.watch import Settling

from support import EXAMPLES, Served, run_cli


def test_a_file_is_ready_once_it_held_still_for_the_settle_time():
    s = Settling(settle=1.0)
    s.saw("a.txt", (10, 1), now=0.0)
    states = {"a.txt": (10, 1)}
    assert s.ready(0.5, states.get) == []
    states["a.txt"] = (20, 2)  # still growing: the clock starts again
    assert s.ready(0.9, states.get) == []
    assert s.ready(1.5, states.get) == []
    assert s.ready(2.0, states.get) == ["a.txt"]
    assert s.ready(5.0, states.get) == []  # handed out once
    s.saw("b.txt", (5, 1), now=0.0)
    assert s.ready(2.0, {}.get) == []  # gone before it settled: forgotten


def stored(db):
    with sqlite3.connect(db) as conn:
        return sorted(r[0] for r in conn.execute("SELECT name FROM captures"))


def test_watch_reads_what_lands_once_whole_and_nothing_twice_across_restarts(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(EXAMPLES / "000_8c6bb47f4d0febb6.txt", inbox / "early.txt")  # there before the watcher
    db = tmp_path / "w.db"
    # a generous settle time: the writer below pauses 0.1 s between pieces, even on a busy machine
    watcher = Served("watch", inbox, "--db", db, "--settle", "2")
    try:
        assert "captures: 1 new" in watcher.read_line("captures:")
        # a download: written as .part, renamed when whole
        text = (EXAMPLES / "003_ecce10f60d867970.txt").read_text(encoding="utf-8")
        part = inbox / "landed.txt.part"
        with open(part, "w", encoding="utf-8") as fh:
            fh.write(text[: len(text) // 2])
            fh.flush()
            time.sleep(0.3)  # a slow writer: the .part name keeps it unread meanwhile
            fh.write(text[len(text) // 2:])
        part.rename(inbox / "landed.txt")
        # a file written in place, in pieces: read only once its size holds still
        grown = inbox / "sub" / "grown.txt"
        grown.parent.mkdir()
        big = (EXAMPLES / "004_7ab83e06146d686d.txt").read_text(encoding="utf-8")
        with open(grown, "w", encoding="utf-8") as fh:
            for i in range(0, len(big), len(big) // 3 + 1):
                fh.write(big[i:i + len(big) // 3 + 1])
                fh.flush()
                time.sleep(0.1)
        (inbox / "notes.tmp").write_text("scratch", encoding="utf-8")
        deadline = time.monotonic() + 30
        while len(stored(db)) < 3 and time.monotonic() < deadline:
            watcher.read_line("captures:", timeout=max(1, deadline - time.monotonic()))
        expected = sorted(os.path.join(str(inbox), n) for n in ("early.txt", "landed.txt", os.path.join("sub", "grown.txt")))
        assert stored(db) == expected
    finally:
        said = watcher.stop()
    assert "stopped; 3 captures are committed" in said
    export = run_cli("export", "--db", db).stdout
    assert export.count('"title": "Iraq Forms Security Crisis Cell to Coordinate with Syria"') == 3  # each read whole
    again = Served("watch", inbox, "--db", db, "--settle", "0.2")
    try:
        assert "captures: 0 new, 3 already stored" in again.read_line("captures:")
    finally:
        again.stop()
    assert stored(db) == expected and run_cli("export", "--db", db).stdout == export


def test_watch_refuses_a_folder_that_is_not_there(tmp_path):
    out = run_cli("watch", tmp_path / "nope", "--db", tmp_path / "w.db", check=False)
    assert out.returncode == 2 and out.stderr.strip().endswith("nope: not a folder")


def _captures(db) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*) FROM captures").fetchone()[0]
    except sqlite3.Error:  # not made yet
        return 0


def test_ctrl_c_during_an_ingest_stops_once_the_file_in_hand_is_stored(tmp_path, shared):
    # a Ctrl-C lands in the middle of reading a feed: the feed is read to its end, every row of
    # it committed once, and the watcher then stops and says so
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    db = tmp_path / "w.db"
    feed = shared / "corpus" / "reuters21578.jsonl"
    rows = sum(1 for line in feed.open(encoding="utf-8") if line.strip())
    watcher = Served("watch", inbox, "--db", db, "--settle", "0.2")
    try:
        watcher.read_line("watching")
        shutil.copy(feed, inbox / "feed.jsonl.part")
        (inbox / "feed.jsonl.part").rename(inbox / "feed.jsonl")
        deadline = time.monotonic() + 60
        while not 0 < _captures(db) < rows and time.monotonic() < deadline:
            time.sleep(0.02)
        assert 0 < _captures(db) < rows  # interrupted mid-feed
    finally:
        said = watcher.stop()
    assert f"captures: {rows:,} new" in said or f"captures: {rows} new" in said
    assert said.rstrip().endswith(f"stopped; {rows} captures are committed in {db}.")
    assert _captures(db) == rows
