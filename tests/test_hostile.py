"""Hostile input: a folder of broken, huge, booby-trapped and oddly encoded files is ingested
without a traceback, with one clear line per bad file (or bad record), in bounded memory, and
the good captures in it still become stories."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import hostile_corpus
from newsfold.model import Problem
from support import NEWSFOLD, SHARED, read_jsonl, run_cli

# Peak RSS of the ingest (parent and workers, largest process): the imports take ~180 MiB; the
# 100 MB line, the 1 GiB gzip bomb or a 20 MiB record held whole and decoded would pass this.
MAX_RSS_MIB = 512

# Runs the ingest as its only child and reports the children's peak RSS (KiB on Linux).
_MEASURE = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print("peak-rss-kib", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""

pytestmark = pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="needs the seeds in /work/shared")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """The hostile folder, ingested once by the real CLI with two workers."""
    tmp = tmp_path_factory.mktemp("hostile")
    corpus = hostile_corpus.build(tmp / "in")
    db = tmp / "store.db"
    cmd = [sys.executable, "-c", _MEASURE, *NEWSFOLD, "ingest", str(corpus.folder), "--db", str(db), "--workers", "2",
           "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    (corpus.folder / "huge_line.jsonl").unlink()  # 100 MB: pytest keeps its last temp folders
    run_cli("export", "--db", db, "--out", tmp / "out.jsonl")
    return corpus, done, read_jsonl(tmp / "out.jsonl")


def problem_lines(stderr: str, folder: Path, name: str) -> list[str]:
    """The problem lines naming one input file: `newsfold: PATH[:LINE|#RECORD]: reason`."""
    path = re.escape(str(folder / name))
    return [line for line in stderr.splitlines() if re.match(rf"newsfold: {path}([:#][^:]*)?: ", line)]


def test_hostile_folder_ingests_without_a_traceback(ingested):
    _, done, _ = ingested
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("name", sorted(hostile_corpus.BAD))
def test_each_bad_file_gets_its_own_clear_lines(ingested, name):
    corpus, done, _ = ingested
    expect = corpus.bad.get(name)
    if expect is None:
        pytest.skip(f"{name} is not bad for this user (root reads through chmod 000)")
    lines = problem_lines(done.stderr, corpus.folder, name)
    assert len(lines) == expect.lines, "\n".join(lines) or done.stderr
    assert all(expect.reason in line for line in lines), lines


def test_every_stderr_line_is_a_problem_or_the_summary(ingested):
    corpus, done, _ = ingested
    for line in done.stderr.splitlines():
        assert line.startswith(("newsfold: ", "files read:", "rejected:", "peak-rss-kib")), line


def test_good_and_oddly_encoded_files_become_stories(ingested):
    corpus, _, rows = ingested
    by_file: dict[str, list[dict]] = {}
    for r in rows:
        by_file.setdefault(Path(r["capture"].split("#")[0]).name, []).append(r)
    for name in corpus.good:
        assert by_file.get(name) and all(r["story"] for r in by_file[name]), name
    for name, word in corpus.readable.items():
        texts = " ".join(r["text"] for r in by_file.get(name, []))
        assert word in texts, f"{name}: {word!r} did not survive decoding"
    # the readable parts of damaged containers are kept too
    assert "corrupt.warc" in by_file and "jsonl-good" in {r["capture"] for r in rows}


def test_peak_memory_stays_bounded(ingested):
    _, done, _ = ingested
    kib = int(re.search(r"peak-rss-kib (\d+)", done.stderr).group(1))
    print(f"peak RSS of the hostile ingest: {kib >> 10} MiB (bound {MAX_RSS_MIB} MiB)")
    assert kib >> 10 < MAX_RSS_MIB


def test_a_jsonl_file_cut_short_under_the_workers_is_a_problem_not_a_crash(tmp_path):
    """Workers read their blocks of a plain JSONL file from the file itself: one that changed
    meanwhile gives a problem line for the block's rows, and the rows still there are ingested."""
    from newsfold import pipeline, read

    path = tmp_path / "feed.jsonl"
    rows = [f'{{"id": "r{i}", "text": "Row {i} of a feed that is cut short while it is read."}}' for i in range(200)]
    path.write_text("\n".join(rows) + "\n")
    spans = [block.span() for block in read.read_path(path, None, blocks=True)]
    assert [s.first_lineno for s in spans] == [1, 65, 129, 193] and spans[0].offset == 0
    with open(path, "r+b") as fh:  # another program rewrites the file: now shorter
        fh.truncate(spans[2].offset + 10)
    got = list(pipeline._each(spans))
    assert [r.lineno for r in got[:128]] == list(range(1, 129))
    assert got[128:] == [Problem(str(path), "the file changed while it was being read", 129),
                         Problem(str(path), "the file changed while it was being read", 193)]
    other = tmp_path / "other.jsonl"  # another file put in its place, as a download that finishes does
    other.write_text("\n".join(rows) + "\n")
    other.replace(path)
    read.rows._span_file = None  # a worker that had not read it yet
    assert list(pipeline._each(spans[:1])) == [Problem(str(path), "the file was replaced while it was being read", 1)]


def test_odd_datelines_are_dated_or_left_undated_never_a_crash(tmp_path):
    """A dateline is matched by a pattern that takes misspelt months ("Sepember"): the ingest
    reads its month from its first letters, and lines that only look like datelines stay undated."""
    rows = [("LONDON, Sepember 5 - Shares fell sharply as traders sold the banks.", "--09-05"),
            ("HOUSTON, Marchx 3 - Oil prices rose on supply worries, traders said.", None),
            ("X" * 62 + ", March 3 - A place name too long for a dateline.", None),
            ("NEW YORK, 3 june 1987 (Reuter) -- Stocks closed higher on the day.", "1987-06-03")]
    feed = tmp_path / "wire.jsonl"
    feed.write_text("".join(json.dumps({"id": f"w{i}", "title": f"Story {i}", "text": text}) + "\n"
                            for i, (text, _) in enumerate(rows)))
    done = run_cli("ingest", feed, "--db", tmp_path / "s.db", "--quiet")
    assert "Traceback" not in done.stderr
    run_cli("export", "--db", tmp_path / "s.db", "--out", tmp_path / "out.jsonl")
    exported = {r["capture"]: r["published"] for r in read_jsonl(tmp_path / "out.jsonl")}
    assert exported == {f"w{i}": published for i, (_, published) in enumerate(rows)}
