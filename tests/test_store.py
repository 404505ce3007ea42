"""The store and the CLI around it: ingest, re-ingest, incremental ingest, stories, show, search, export."""
import gzip
import json
import os
import shutil
import sqlite3
import subprocess

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataclasses import replace

from newsfold import Store, config
from newsfold.store import Checkpointer
from newsfold.store.schema import BULK_INDEXES

from support import EXAMPLES, FIXTURES, NEWSFOLD as NEWSFOLD_CMD, read_jsonl, run_cli, score


def partition(rows):
    """Story relation as a set of frozensets of (capture file name, position)."""
    groups = {}
    for r in rows:
        groups.setdefault(r["story"], set()).add((r["capture"].split("/")[-1], r["position"]))
    return {frozenset(g) for g in groups.values()}


def test_seeds_score_perfectly(tmp_path, examples_copy, shared):
    db = tmp_path / "nf.db"
    run_cli("ingest", examples_copy, "--db", db)
    run_cli("export", "--db", db, "--out", tmp_path / "out.jsonl")
    m = score(FIXTURES / "seeds_truth.jsonl", tmp_path / "out.jsonl")
    assert m["segmentation_precision"] == m["segmentation_recall"] == 1.0
    assert m["title_accuracy"] == 1.0 and m["story_pair_f1"] == 1.0
    assert m["text_precision"] >= 0.99 and m["text_recall"] >= 0.99


def test_ingesting_twice_changes_nothing(tmp_path, examples_copy):
    db = tmp_path / "nf.db"
    run_cli("ingest", examples_copy, "--db", db)
    first = run_cli("export", "--db", db).stdout
    again = run_cli("ingest", examples_copy, "--db", db)
    assert "3 already stored" in again.stderr
    assert run_cli("export", "--db", db).stdout == first


def test_incremental_ingest_joins_existing_stories(tmp_path, examples_copy):
    batch_db, inc_db = tmp_path / "batch.db", tmp_path / "inc.db"
    run_cli("ingest", examples_copy, "--db", batch_db)
    files = sorted(examples_copy.iterdir())
    run_cli("ingest", files[0], "--db", inc_db)
    before = {r["story"] for r in read_jsonl_text(run_cli("export", "--db", inc_db).stdout)}
    out = run_cli("ingest", *files[1:], "--db", inc_db)
    assert "occurrences folded: 2" in out.stderr
    inc = read_jsonl_text(run_cli("export", "--db", inc_db).stdout)
    batch = read_jsonl_text(run_cli("export", "--db", batch_db).stdout)
    assert partition(inc) == partition(batch)
    # and names them alike: a story's id comes from its canonical body, however it was placed
    assert sorted(r["story"] for r in inc) == sorted(r["story"] for r in batch)
    iraq = [r for r in inc if r["title"].startswith("Iraq Forms")]
    assert len(iraq) == 3 and len({r["story"] for r in iraq}) == 1
    assert iraq[0]["story"] in before  # the story id of the first capture is kept


def read_jsonl_text(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_show_explains_each_merge(tmp_path, examples_copy):
    db = tmp_path / "nf.db"
    run_cli("ingest", examples_copy, "--db", db)
    listing = run_cli("stories", "--db", db).stdout.splitlines()[1:]  # under the header
    top = listing[0].split()
    assert top[1] == "3" and "Iraq Forms Security Crisis Cell" in listing[0]
    shown = run_cli("show", top[0], "--db", db).stdout
    assert shown.count("[merged]") == 2 and shown.count("[canonical]") == 1
    assert "containment 1.00" in shown and "shared: \"Iraq has established" in shown
    assert run_cli("show", "nosuchstory", "--db", db, check=False).returncode == 1


def test_search_groups_hits_by_story(tmp_path, examples_copy):
    db = tmp_path / "nf.db"
    run_cli("ingest", examples_copy, "--db", db)
    with Store(db) as store:
        groups = store.search("crisis cell")
        assert len(groups) == 1 and [h["copies"] for h in groups[0]["hits"]] == [3]  # three copies, one passage
        assert store.search('Sharaa AND Berlin')[0]["title"].startswith("Syria's Leader")
        assert store.search('unbalanced "quote') == []  # bad FTS syntax is searched as a phrase
    assert "[crisis] [cell]" in run_cli("search", "crisis cell", "--db", db).stdout


def test_export_parquet_and_unique(tmp_path, examples_copy):
    db = tmp_path / "nf.db"
    run_cli("ingest", examples_copy, "--db", db)
    run_cli("export", "--db", db, "--format", "parquet", "--out", tmp_path / "all.parquet")
    table = pq.read_table(tmp_path / "all.parquet")
    assert table.num_rows == 8
    assert table.column_names == ["capture", "position", "title", "caption", "credit", "text", "story", "canonical",
                                  "url", "published", "captured"]
    run_cli("export", "--db", db, "--unique", "--out", tmp_path / "u.jsonl")
    unique = read_jsonl(tmp_path / "u.jsonl")
    assert len(unique) == 6 and all(r["canonical"] for r in unique)


def test_jsonl_parquet_and_gzip_rows_are_captures(tmp_path):
    rows = []
    for f in sorted(EXAMPLES.iterdir()):
        rows.append({"id": f.stem, "text": f.read_text(encoding="utf-8"), "url": f"https://example.org/{f.stem}"})
    with gzip.open(tmp_path / "caps.jsonl.gz", "wt", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    pq.write_table(pa.Table.from_pylist([{"id": r["id"] + "-pq", "content": r["text"]} for r in rows]),
                   tmp_path / "caps.parquet")
    db = tmp_path / "nf.db"
    run_cli("ingest", tmp_path / "caps.jsonl.gz", tmp_path / "caps.parquet", "--db", db)
    out = read_jsonl_text(run_cli("export", "--db", db).stdout)
    assert {r["capture"] for r in out} == {r["id"] for r in rows} | {r["id"] + "-pq" for r in rows}
    assert len(out) == 16
    assert len({r["story"] for r in out}) == 6  # the same six stories, each capture read twice


def test_warc_response_records_are_read(tmp_path):
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    html = (FIXTURES / "two_articles.html").read_bytes()
    with open(tmp_path / "page.warc.gz", "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        rec = writer.create_warc_record("https://example.org/live", "response", payload=BytesIO(html), http_headers=headers)
        writer.write_record(rec)
    db = tmp_path / "nf.db"
    run_cli("ingest", tmp_path / "page.warc.gz", "--db", db)
    out = read_jsonl_text(run_cli("export", "--db", db).stdout)
    assert [r["title"] for r in out] == ["Museum Returns Stolen Painting to Owner's Family", "Rail Operator Orders Forty New Trains"]


def test_bad_files_beside_good_ones(tmp_path, examples_copy):
    (examples_copy / "empty.txt").write_bytes(b"")
    (examples_copy / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(2000) + bytes(range(256)) * 20)
    good = json.dumps({"id": "g", "title": "Port strike ends", "text": "Dock workers voted to end the strike. " * 20})
    (examples_copy / "broken.jsonl").write_text(good + '\n{"id": "a", "text": "x"\nnot json\n[1, 2]\n', encoding="utf-8")
    with gzip.open(examples_copy / "cut.jsonl.gz", "wb") as fh:
        fh.write(json.dumps({"id": "z", "text": "A headline here\n\nSome body text " * 200}).encode() * 50)
    data = (examples_copy / "cut.jsonl.gz").read_bytes()
    (examples_copy / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    db = tmp_path / "nf.db"
    proc = run_cli("ingest", examples_copy, "--db", db)
    err = proc.stderr
    assert "Traceback" not in err
    assert "empty.txt: empty file" in err
    assert "image.txt: binary file" in err
    assert "broken.jsonl:2: malformed JSON" in err and "broken.jsonl:3: malformed JSON" in err
    assert "broken.jsonl:4: a JSON list, not an object" in err
    assert "cut.jsonl.gz: truncated gzip stream" in err
    assert "stories: 7" in err


def test_nothing_ingestible_exits_2(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    proc = run_cli("ingest", tmp_path / "empty.txt", tmp_path / "missing.txt", "--db", tmp_path / "nf.db", check=False)
    assert proc.returncode == 2
    assert "missing.txt: no such file or directory" in proc.stderr and "Traceback" not in proc.stderr


def test_extract_command_needs_no_store(tmp_path):
    out = run_cli("extract", FIXTURES / "metadata_dump.txt", cwd=tmp_path).stdout
    rows = read_jsonl_text(out)
    assert [r["title"] for r in rows] == ["Drought Cuts Wheat Harvest Forecast", "City Council Approves New Cycle Lanes"]
    assert "story" not in rows[0] and rows[0]["position"] == 0
    assert not list(tmp_path.iterdir())


def test_reading_a_store_never_waits_for_the_writer(tmp_path, examples_copy):
    """Opening a store to read it (search, show, export) must not need the write lock that a
    running ingest holds."""
    path = tmp_path / "nf.db"
    run_cli("ingest", examples_copy, "--db", path)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # an ingest in progress
    try:
        with Store(path) as store:  # would wait for the lock, then fail, if it tried to write
            store.conn.execute("PRAGMA busy_timeout=500")
            assert len(store.stories()) == 6
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_file_that_is_not_a_store_of_this_version_is_refused_untouched(tmp_path, examples_copy):
    """Another program's SQLite file, a store of another schema version, or made with other
    fingerprint settings: one line naming the file and the reason, exit 2, and no byte written."""
    def altered(name: str, sql: str, store: bool = True):
        path = tmp_path / name
        if store:
            run_cli("ingest", examples_copy, "--db", path)
        conn = sqlite3.connect(path)
        conn.execute(sql)
        conn.commit()
        conn.close()  # the last connection out copies the WAL into the file
        return path

    other = altered("other.db", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)", store=False)
    newer = altered("newer.db", "PRAGMA user_version=99")
    resettled = altered("settings.db", "UPDATE meta SET value = '{\"bins\": 64}' WHERE key = 'settings'")
    for path, reason in ((other, "not a newsfold store"), (newer, "schema version 99"),
                         (resettled, "other fingerprint settings")):
        before = path.read_bytes()
        for args in (("ingest", examples_copy), ("stories",), ("export",)):
            out = run_cli(*args, "--db", path, check=False)
            assert out.returncode == 2, (path, args, out.stderr)
            assert out.stderr.count("\n") == 1 and reason in out.stderr and str(path) in out.stderr
        assert path.read_bytes() == before
    with sqlite3.connect(other) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]
    missing = tmp_path / "missing.db"
    out = run_cli("stories", "--db", missing, check=False)
    assert out.returncode == 2 and "no such store" in out.stderr and not missing.exists()



def test_a_long_ingest_keeps_the_wal_short_and_loses_nothing(tmp_path, shared, monkeypatch):
    """Checkpoints run beside the writer; a writer that never pauses would never let the WAL
    start over (it grew to gigabytes at 1M articles). Small batches, a small WAL bound and a slow
    checkpoint stand in for a big ingest on a slow disk: each time the WAL is past the bound, the
    writer waits for a checkpoint of all it committed, and the WAL starts over; every article is
    stored once. The writer is paced at 20 ms a batch, so that the ingest outlasts several
    checkpoint rounds however fast the machine (unpaced, 2,225 articles took 0.25 s: a single wait)."""
    import time

    from newsfold.engines import local

    write_batch = local._write_batch

    def paced(*args, **kwargs):
        time.sleep(0.02)
        return write_batch(*args, **kwargs)

    monkeypatch.setattr(local, "_write_batch", paced)
    # so a batch is 100 rows, not a whole task's
    monkeypatch.setattr(config, "SETTINGS", replace(config.SETTINGS, batch_articles=100, chunk_rows=50))
    monkeypatch.setattr(Checkpointer, "MAX_WAL_PAGES", 16)  # 256 KiB: less than a batch (~500 KiB)
    checkpoint, nudge = Checkpointer._checkpoint, Checkpointer.after_commit
    wal = tmp_path / "nf.db-wal"
    nudges = []  # (WAL past the bound before it, all committed checkpointed after it, WAL's start-overs)

    def slow_disk(self, conn):  # the writer outruns its checkpoints, as at scale
        time.sleep(0.05)
        return checkpoint(self, conn)

    def watched(self):
        full = self.wal_pages >= self.MAX_WAL_PAGES
        nudge(self)
        # the WAL header's checkpoint sequence number goes up each time the WAL starts over
        nudges.append((full, self.finished >= self.requested, int.from_bytes(wal.read_bytes()[12:16], "big")))

    monkeypatch.setattr(Checkpointer, "_checkpoint", slow_disk)
    monkeypatch.setattr(Checkpointer, "after_commit", watched)
    with Store(tmp_path / "nf.db") as store:
        report = store.ingest([shared / "corpus" / "bbc.jsonl"], text_field="body", progress=False, workers=1)
        n = store.conn.execute("SELECT count(*), count(DISTINCT capture_id) FROM articles").fetchone()
        autocheckpoint = store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    assert report.captures == 2225 and n == (2225, 2225)
    waits = [k for k, (full, _, _) in enumerate(nudges) if full]
    assert len(nudges) >= 15 and len(waits) >= 2, nudges  # the ingest outlasts a few slow rounds
    for k in waits:  # past the bound: back only once all was copied, and the next batch starts the WAL over
        assert nudges[k][1], nudges
        if k + 1 < len(nudges):
            assert nudges[k + 1][2] > nudges[k][2], nudges
    assert autocheckpoint == 1000  # the writer has its own checkpoints back after the ingest


def test_a_bulk_ingest_builds_its_lookup_indexes_at_the_end(tmp_path, examples_copy):
    """An ingest into an empty store drops the lookup indexes it never reads and builds them at its
    end. One killed before that end leaves them missing: readers still work (and never build them:
    they must not take the write lock), and the next ingest builds them first."""
    def indexes(db):
        with sqlite3.connect(db) as c:
            return {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='index'")}

    db = tmp_path / "nf.db"
    run_cli("ingest", examples_copy, "--db", db)
    assert set(BULK_INDEXES) <= indexes(db)
    stories = run_cli("stories", "--db", db).stdout
    with sqlite3.connect(db) as c:  # as a bulk ingest killed before its end leaves the store
        for name in BULK_INDEXES:
            c.execute(f"DROP INDEX {name}")
    assert run_cli("stories", "--db", db).stdout == stories
    story = stories.splitlines()[1].split()[0]
    assert run_cli("show", story, "--db", db).returncode == 0
    assert not set(BULK_INDEXES) & indexes(db)  # the readers built nothing
    shutil.copy(FIXTURES / "dateline_dump.txt", examples_copy / "more.txt")
    run_cli("ingest", examples_copy, "--db", db)
    assert set(BULK_INDEXES) <= indexes(db)


def test_a_bulk_ingest_drops_the_lookup_indexes_at_its_start_and_builds_them_at_its_end(tmp_path, shared,
                                                                                        monkeypatch):
    """An ingest into an empty store maintains no lookup index while it writes (it reads none:
    its exact copies are found in memory) and ends with all of them; an ingest into a store that
    holds articles keeps them, and finds the copies of stored articles through them."""
    from newsfold.engines import local

    dropped = []
    drop = local.drop_bulk_indexes
    monkeypatch.setattr(local, "drop_bulk_indexes", lambda conn: (dropped.append(True), drop(conn)))
    db = tmp_path / "nf.db"
    bbc = shared / "corpus" / "bbc.jsonl"
    with Store(db) as store:
        first = store.ingest([bbc], text_field="body", progress=False, workers=1)
        names = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert dropped == [True] and set(BULK_INDEXES) <= names
    # the same rows again under other names: every article is an exact copy of a stored one
    copies = tmp_path / "copies.jsonl"
    with open(bbc, encoding="utf-8") as f, open(copies, "w", encoding="utf-8") as out:
        for i, line in enumerate(f):
            row = json.loads(line)
            row["id"] = f"copy-{i}"
            out.write(json.dumps(row) + "\n")
    with Store(db) as store:
        again = store.ingest([copies], text_field="body", progress=False, workers=1)
        assert dropped == [True]  # a store with articles keeps its indexes
        n_stories = store.conn.execute("SELECT count(*) FROM stories").fetchone()[0]
    assert first.articles > 1000 and again.articles == first.articles
    assert again.new_stories == 0 and n_stories == first.stories  # every copy folded into its story


def test_a_reader_holding_the_wal_never_stalls_the_ingest(tmp_path, shared, monkeypatch):
    """A reader in the middle of a long read pins the WAL; the writer's checkpoints must let the
    WAL grow then, never wait for the reader (SQLite's busy timeout is 60 s a batch)."""
    import time

    monkeypatch.setattr(config, "SETTINGS", replace(config.SETTINGS, batch_articles=100))
    monkeypatch.setattr(Checkpointer, "MAX_WAL_PAGES", 64)
    nudge, waits = Checkpointer.after_commit, []

    def timed(self):
        t = time.monotonic()
        nudge(self)
        waits.append(time.monotonic() - t)

    monkeypatch.setattr(Checkpointer, "after_commit", timed)
    db = tmp_path / "nf.db"
    with Store(db) as store:
        store.ingest([EXAMPLES], progress=False)  # something for the reader to read
        reader = sqlite3.connect(db)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM articles").fetchone()  # a read transaction, held open
        try:
            report = store.ingest([shared / "corpus" / "bbc.jsonl"], text_field="body", progress=False, workers=1)
        finally:
            reader.close()
    assert report.captures == 2225
    assert len(waits) >= 12 and max(waits) < 10


def test_an_ingest_gives_the_garbage_collector_back_as_it_found_it(tmp_path, examples_copy):
    # an ingest freezes what is alive and collects less often while it runs: a program using the
    # API must get its own settings back, also when the ingest fails
    import gc

    saved = gc.get_threshold()
    gc.set_threshold(1234, 7, 3)
    try:
        with Store(tmp_path / "nf.db") as store:
            store.ingest([examples_copy], progress=False)
            assert gc.get_threshold() == (1234, 7, 3) and gc.get_freeze_count() == 0
            with pytest.raises(TypeError):
                store.ingest([examples_copy], progress=False, on_problem=None, workers="two")
            assert gc.get_threshold() == (1234, 7, 3) and gc.get_freeze_count() == 0
    finally:
        gc.set_threshold(*saved)


def _articles_with_late_versions(shared, path):
    """A JSONL of 400 BBC articles followed by 120 versions of the first of them (briefs of their
    first paragraphs, updates with a paragraph added, exact copies): each version's partner is
    hundreds of articles back."""
    bbc = [json.loads(line) for line in (shared / "corpus" / "bbc.jsonl").open(encoding="utf-8")][:400]
    rows = [{"title": r["title"], "text": r["body"]} for r in bbc]
    for i, r in enumerate(bbc[:120]):
        paras = r["body"].split("\n\n")
        body = ["\n\n".join(paras[:2]), r["body"] + "\n\n" + bbc[-1 - i]["body"].split("\n\n")[0], r["body"]][i % 3]
        rows.append({"title": r["title"], "text": body})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_partners_that_left_the_recent_window_are_verified_from_the_spilled_sets(tmp_path, shared, monkeypatch):
    """An ingest keeps its last articles' verification sets in memory; older ones go to an
    anonymous spill file, read back when a later version needs them, and only if that fails are
    they made again from the stored texts. Whichever way the sets come, the stories, merges and
    edges are the same, and nothing is left next to the store."""
    from newsfold.engines import local_match, set_cache

    corpus = _articles_with_late_versions(shared, tmp_path / "versions.jsonl")
    remade = []
    from_texts = local_match.LocalMatcher._sets_from_texts
    monkeypatch.setattr(local_match.LocalMatcher, "_sets_from_texts",
                        lambda self, ids: (remade.extend(ids), from_texts(self, ids))[1])

    def ingest(name):
        remade.clear()
        folder = tmp_path / name
        folder.mkdir()
        with Store(folder / "run.db") as store:
            store.ingest([corpus], text_field="text", progress=False, workers=1)
            tables = [store.conn.execute(q).fetchall() for q in (
                "SELECT id, canonical_id, size FROM stories ORDER BY id",
                "SELECT * FROM merges ORDER BY article_id", "SELECT * FROM edges ORDER BY a, b")]
        assert sorted(p.name for p in folder.iterdir()) == ["run.db", "run.db-lock"]
        return tables, len(remade)

    in_memory, n_remade = ingest("in_memory")
    assert n_remade == 0
    assert len(in_memory[1]) >= 110  # the versions were folded into their stories

    monkeypatch.setattr(config, "SETTINGS", replace(config.SETTINGS, batch_articles=50))
    monkeypatch.setattr(local_match, "RECENT_ARTICLES", 50)
    assert ingest("spilled") == (in_memory, 0)

    def disk_full(fd, data, offset):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(set_cache.os, "pwrite", disk_full)
    from_texts, n_remade = ingest("from_texts")
    assert from_texts == in_memory and n_remade >= 110


def _blobs(ids):
    return [f"sets of {i} ".encode() * (i % 7 + 1) for i in ids]


def test_the_set_spill_serves_what_it_wrote_and_what_is_still_being_written(tmp_path, monkeypatch):
    import threading

    from newsfold.engines.set_cache import SetSpill

    spill = SetSpill(str(tmp_path))
    gate = threading.Event()
    write = SetSpill._write
    monkeypatch.setattr(SetSpill, "_write", lambda self, data, offset: (gate.wait(10), write(self, data, offset)))
    first, second = np.arange(100, 150), np.arange(150, 170)
    spill.add(first, _blobs(first.tolist()))
    spill.add(second, _blobs(second.tolist()))
    assert spill.written == 0  # both writes wait: their sets come from the bytes handed to them
    wanted = [99, 100, 149, 150, 169, 170, 5000]
    expected = {i: b for i, b in zip(range(100, 170), _blobs(range(100, 170))) if i in wanted}
    assert spill.take(wanted) == (expected, [99, 170, 5000])
    gate.set()
    spill.thread.shutdown(wait=True)
    spill.writes.clear()  # from the file alone now
    assert spill.written > 0 and spill.take(wanted) == (expected, [99, 170, 5000])
    spill.close()
    assert list(tmp_path.iterdir()) == []


def test_the_set_spill_stops_at_a_failed_write_or_a_nearly_full_disk(tmp_path, monkeypatch):
    from newsfold.engines import set_cache

    calls = []
    pwrite = set_cache.os.pwrite

    def second_write_fails(fd, data, offset):
        calls.append(offset)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return pwrite(fd, data, offset)

    monkeypatch.setattr(set_cache.os, "pwrite", second_write_fails)
    spill = set_cache.SetSpill(str(tmp_path))
    for lo in (0, 10, 20):
        ids = np.arange(lo, lo + 10)
        spill.add(ids, _blobs(ids.tolist()))
        spill.thread.submit(lambda: None).result()  # this write done
    spill.writes.clear()
    found, missing = spill.take(list(range(30)))
    assert found == dict(zip(range(10), _blobs(range(10)))) and missing == list(range(10, 30))
    assert len(calls) == 2  # nothing written after the failure
    spill.close()

    monkeypatch.setattr(set_cache, "SPILL_MIN_FREE", 1 << 62)  # more than any disk has free
    full = set_cache.SetSpill(str(tmp_path))
    full.add(np.arange(5), _blobs(range(5)))
    assert full.take(list(range(5))) == ({}, list(range(5)))
    full.close()
    in_memory = set_cache.SetSpill(None)  # a store in memory has no disk: nothing is spilled
    in_memory.add(np.arange(5), _blobs(range(5)))
    assert in_memory.file is None and in_memory.take([1]) == ({}, [1])


# --- round two: capture identity, store paths, readers that never write ---

def test_a_capture_is_the_same_however_its_path_is_spelled(tmp_path, examples_copy):
    """`examples`, `./examples`, `/abs/path/examples/` and a symlink to it name the same files:
    ingested once, nothing doubled."""
    db = tmp_path / "nf.db"
    (tmp_path / "link").symlink_to(examples_copy)
    run_cli("ingest", "examples", "--db", db, cwd=tmp_path)
    first = run_cli("export", "--db", db).stdout
    for spelling in ("./examples", f"{examples_copy}/", str(tmp_path / "link")):
        again = run_cli("ingest", spelling, "--db", db, cwd=tmp_path)
        assert "captures: 0 new, 3 already stored" in again.stderr, (spelling, again.stderr)
    assert run_cli("export", "--db", db).stdout == first
    assert {r["capture"] for r in read_jsonl_text(first)} == {str(f) for f in examples_copy.iterdir()}


def test_a_store_made_before_names_were_resolved_is_not_doubled(tmp_path, examples_copy):
    """Stores made until now name a file as it was spelled (relative to where the ingest ran):
    the same spelling still finds them, with no migration."""
    db = tmp_path / "nf.db"
    run_cli("ingest", "examples", "--db", db, cwd=tmp_path)
    with sqlite3.connect(db) as conn:  # as an older newsfold stored them
        conn.execute("UPDATE captures SET name = 'examples/' || substr(name, length(?) + 2)", (str(examples_copy),))
    again = run_cli("ingest", "examples", "--db", db, cwd=tmp_path)
    assert "captures: 0 new, 3 already stored" in again.stderr


def _lines(proc) -> list[str]:
    return proc.stderr.splitlines()


@pytest.fixture(scope="module")
def good_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("good")
    shutil.copytree(EXAMPLES, folder / "examples")
    run_cli("ingest", folder / "examples", "--db", folder / "good.db", "--quiet")
    return folder / "good.db"


@pytest.mark.parametrize("kind", ["folder", "text file", "random bytes", "missing folder", "truncated store"])
def test_each_wrong_kind_of_store_path_is_one_line(tmp_path, good_store, kind):
    """The maker (ingest), a reader (stories; show, search and export open the store the same way)
    and a writer that makes nothing (index): one line naming the path and the reason, exit 2,
    nothing written."""
    path = {"folder": tmp_path / "a-folder", "text file": tmp_path / "notes.txt", "random bytes": tmp_path / "noise.db",
            "missing folder": tmp_path / "no" / "such" / "nf.db", "truncated store": tmp_path / "cut.db"}[kind]
    if kind == "folder":
        path.mkdir()
    elif kind == "text file":
        path.write_text("Remember to buy milk.\n" * 100)
    elif kind == "random bytes":
        path.write_bytes(random_bytes(100_000))
    elif kind == "truncated store":
        path.write_bytes(good_store.read_bytes()[: good_store.stat().st_size // 2])
    reason = {"folder": "a folder, not a store", "text file": "not a SQLite file", "random bytes": "not a SQLite file",
              "missing folder": "no such folder", "truncated store": "damaged"}[kind]
    before = path.read_bytes() if path.is_file() else None
    for args in (("ingest", EXAMPLES), ("stories",), ("index",)):
        out = run_cli(*args, "--db", path, check=False)
        expected = "no such store" if kind == "missing folder" and args[0] != "ingest" else reason
        assert out.returncode == 2 and len(_lines(out)) == 1, (kind, args, out.stderr)
        assert _lines(out)[0].startswith(f"newsfold: {path}: ") and expected in out.stderr, (kind, args, out.stderr)
    assert (path.read_bytes() if path.is_file() else None) == before
    assert not (tmp_path / "no").exists()


def random_bytes(n: int) -> bytes:
    import random

    return random.Random(n).randbytes(n)


def _read_only_mount(folder, *command) -> subprocess.CompletedProcess:
    """Run `command` with `folder` mounted read-only over itself, in a mount namespace of its own
    (skips where that is not allowed)."""
    import shlex

    script = (f"mount --bind {shlex.quote(str(folder))} {shlex.quote(str(folder))} && "
              f"mount -o remount,bind,ro {shlex.quote(str(folder))} && exec {shlex.join(map(str, command))}")
    try:
        probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                f"mount --bind {shlex.quote(str(folder))} {shlex.quote(str(folder))}"],
                               capture_output=True)
    except FileNotFoundError:
        pytest.skip("no unshare")
    if probe.returncode != 0:
        pytest.skip("cannot mount in a namespace of our own here")
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], capture_output=True,
                          text=True)


def test_a_store_on_a_read_only_mount_is_read_and_refused_for_writing(tmp_path, examples_copy):
    from support import NEWSFOLD

    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "nf.db"
    run_cli("ingest", examples_copy, "--db", db, "--quiet")
    stories = run_cli("stories", "--db", db).stdout
    before = db.read_bytes()
    for args, code in ((("stories",), 0), (("search", "crisis cell"), 0), (("export",), 0),
                       (("ingest", examples_copy), 2), (("index",), 2)):
        out = _read_only_mount(folder, *NEWSFOLD, *args, "--db", db)
        assert out.returncode == code and "Traceback" not in out.stderr, (args, out.stderr)
        if code:
            assert _lines(out) == [f"newsfold: {db}: read-only (read-only file system)"], out.stderr
        elif args[0] == "stories":
            assert out.stdout == stories
    assert db.read_bytes() == before


def test_an_ingest_through_a_second_hard_link_is_refused(tmp_path, examples_copy):
    """SQLite keeps a store's journal beside each of its names: two names writing one file corrupt
    it. An ingest refuses a store with several links; readers read it."""
    db, link = tmp_path / "nf.db", tmp_path / "same.db"
    run_cli("ingest", examples_copy, "--db", db, "--quiet")
    os.link(db, link)
    before = run_cli("export", "--db", db).stdout
    shutil.copy(FIXTURES / "dateline_dump.txt", examples_copy / "more.txt")
    for path in (db, link):
        out = run_cli("ingest", examples_copy, "--db", path, check=False)
        assert out.returncode == 2 and _lines(out) == [f"newsfold: {path}: has 2 hard links; an ingest writes "
                                                       "through one name only (remove the others)"], out.stderr
    assert run_cli("export", "--db", link).stdout == before


def test_the_ingest_lock_is_the_files_not_its_names(tmp_path, examples_copy):
    """An ingest through a symlink of the store waits for one through its real name."""
    from contextlib import closing

    from newsfold.engines.local import ingest_lock

    db, link = tmp_path / "nf.db", tmp_path / "link.db"
    Store(db).close()
    link.symlink_to(db)
    with closing(sqlite3.connect(db)) as conn, ingest_lock(conn):
        proc = subprocess.Popen([*NEWSFOLD_CMD, "ingest", str(examples_copy), "--db", str(link), "--quiet"],
                                stderr=subprocess.PIPE, text=True)
        first = proc.stderr.readline()
        assert "another ingest is writing to" in first, first
    assert proc.wait(timeout=120) == 0


def test_readers_never_write(good_store):
    """search, stories, show and export open the store read-only: they run beside a writer that
    holds the write lock, and never change a byte."""
    db = good_store
    story = json.loads(run_cli("stories", "--db", db, "--format", "json").stdout.splitlines()[0])["id"]
    before = db.read_bytes()
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # an ingest in progress
    try:
        for args in (("search", "crisis cell"), ("stories",), ("show", story), ("export",)):
            out = run_cli(*args, "--db", db, timeout=30)
            assert out.stdout and not out.stderr, (args, out.stderr)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert db.read_bytes() == before


def test_the_search_index_is_kept_by_the_ingest_or_built_by_a_command(tmp_path, examples_copy):
    db = tmp_path / "nf.db"
    run_cli("ingest", examples_copy, "--db", db, "--quiet", "--no-search-index")
    behind = run_cli("search", "crisis cell", "--db", db, check=False)
    assert behind.stdout == ""
    assert f"newsfold: 8 articles are not searchable yet; run: newsfold index --db {db}" in behind.stderr
    built = run_cli("index", "--db", db)
    assert "8 articles indexed" in built.stderr
    found = run_cli("search", "crisis cell", "--db", db)
    assert "[crisis] [cell]" in found.stdout and not found.stderr
    shutil.copy(FIXTURES / "dateline_dump.txt", examples_copy / "more.txt")
    run_cli("ingest", examples_copy, "--db", db, "--quiet")  # the default: the ingest keeps it current
    assert not run_cli("search", "crisis cell", "--db", db).stderr


def test_a_query_of_twenty_thousand_terms_is_refused(good_store):
    """Snippets of a query of many terms cost time in their number: a query is bounded."""
    db = good_store
    with Store(db, readonly=True) as store:
        with pytest.raises(ValueError, match="query longer than"):
            store.search(" OR ".join(f"word{i}" for i in range(20_001)))
        assert store.search(" OR ".join(["crisis"] * 200))  # a long query within the bound
    out = run_cli("search", " OR ".join(f"word{i}" for i in range(1_000)), "--db", db, check=False, timeout=30)
    assert out.returncode == 2 and len(_lines(out)) == 1 and "query longer than" in out.stderr, out.stderr


def test_a_store_damaged_past_what_opening_reads_is_one_line(tmp_path, good_store):
    path = tmp_path / "hurt.db"
    data = bytearray(good_store.read_bytes())
    start, end = len(data) // 5 // 16384 * 16384, len(data) * 19 // 20  # all but the schema's first page
    data[start:end] = random_bytes(end - start)
    path.write_bytes(bytes(data))
    out = run_cli("export", "--db", path, check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert _lines(out) == [line for line in _lines(out) if line.startswith(f"newsfold: {path}: a damaged store (")]
    assert len(_lines(out)) == 1, out.stderr


def test_a_search_matching_more_than_it_ranks_ranks_the_newest(tmp_path, examples_copy, monkeypatch):
    """Ranking costs a step per matching article (seconds for a common word in a 1M store), so a
    query matching more than SEARCH_AMONG articles is ranked among its newest SEARCH_AMONG."""
    from newsfold import Store
    from newsfold.store import reads

    db = tmp_path / "nf.db"
    run_cli("ingest", examples_copy, "--db", db, "--quiet")
    with Store(db, readonly=True) as store:
        every = {h["article"] for g in store.search("the", limit=50) for h in g["hits"]}
        assert len(every) >= 4
        monkeypatch.setattr(reads, "SEARCH_AMONG", 2)
        newest = {h["article"] for g in store.search("the", limit=50) for h in g["hits"]}
    assert newest == set(sorted(every)[-2:])
