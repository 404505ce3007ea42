"""The command line, round two: what reaches a terminal is safe to show, files get the data as
it is; exports replace their file whole or not at all, in bounded memory; arguments that are
not UTF-8 are one more input, never a traceback."""
from __future__ import annotations

import json
import os
import pty
import select
import subprocess

import pyarrow.parquet as pq
import pytest

from newsfold import Store
from newsfold.export import write_export

from support import EXAMPLES, NEWSFOLD, read_jsonl, run_cli

GOOD = (EXAMPLES / "000_8c6bb47f4d0febb6.txt").read_text(encoding="utf-8")
# a CSI (C1 control: it starts an escape sequence on many terminals) and a right-to-left override
HOSTILE_TITLE = "Rates \u009b2J held \u202egnp.exe"


def on_a_terminal(*args) -> tuple[int, str, str]:
    """Run the real CLI with its stdout on a pseudo-terminal: (exit code, what the terminal got, stderr)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*NEWSFOLD, *map(str, args)], stdout=follower, stderr=subprocess.PIPE)
    os.close(follower)
    got = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            part = os.read(leader, 1 << 16)
        except OSError:  # the pty is closed when the process ends
            break
        if not part:
            break
        got += part
    os.close(leader)
    err = proc.stderr.read().decode()
    return proc.wait(timeout=60), got.decode("utf-8", "replace"), err


@pytest.fixture
def hostile_store(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "evil\u202e", "title": HOSTILE_TITLE, "text": "\n\n".join(GOOD.split("\n\n")[1:])})
                    + "\n", encoding="utf-8")
    db = tmp_path / "nf.db"
    run_cli("ingest", feed, "--db", db, "--quiet")
    return feed, db


def test_a_terminal_gets_no_c1_controls_or_bidi_overrides_files_get_the_data(hostile_store, tmp_path):
    feed, db = hostile_store
    for args in (("export", "--db", db), ("extract", feed), ("stories", "--db", db)):
        code, shown, err = on_a_terminal(*args)
        assert code == 0, (args, err)
        assert "\u009b" not in shown and "\u202e" not in shown and "Rates" in shown, (args, shown)
    # exports read back as the same data, escaped (JSON) where a terminal shows them
    code, shown, _ = on_a_terminal("export", "--db", db)
    assert json.loads(shown.splitlines()[0])["title"] == HOSTILE_TITLE
    run_cli("export", "--db", db, "--out", tmp_path / "out.jsonl")
    assert read_jsonl(tmp_path / "out.jsonl")[0]["title"] == HOSTILE_TITLE
    piped = run_cli("export", "--db", db).stdout
    assert "\u009b" in piped and "\u202e" in piped  # a pipe is a file


def test_parquet_refuses_a_terminal(hostile_store):
    _, db = hostile_store
    code, shown, err = on_a_terminal("export", "--db", db, "--format", "parquet")
    assert code == 2 and shown == "" and err == "newsfold: not writing Parquet to a terminal: use --out FILE\n"


def test_an_export_replaces_its_file_whole_or_not_at_all(tmp_path, examples_copy):
    out = tmp_path / "stories.jsonl"
    out.write_text("the previous export\n")

    def rows_then_failure():
        yield {"capture": "a", "position": 0, "title": "t", "caption": "", "credit": "", "text": "x", "story": "s",
               "canonical": True, "url": "", "published": None, "captured": "2026-01-01T00:00:00Z"}
        raise OSError("no space left on device")

    for fmt in ("jsonl", "parquet"):
        with pytest.raises(OSError):
            write_export(rows_then_failure(), str(out), fmt)
        assert out.read_text() == "the previous export\n"
        assert sorted(os.listdir(tmp_path)) == ["examples", "stories.jsonl"]  # nothing left beside it
    db = tmp_path / "nf.db"
    run_cli("ingest", examples_copy, "--db", db, "--quiet")
    run_cli("export", "--db", db, "--out", out)
    assert len(read_jsonl(out)) == 8 and not [p for p in os.listdir(tmp_path) if "partial" in p or "tmp" in p]


def test_parquet_export_streams_in_row_groups(tmp_path, examples_copy, monkeypatch):
    from newsfold import export

    monkeypatch.setattr(export, "PARQUET_ROWS", 3)
    db = tmp_path / "nf.db"
    run_cli("ingest", examples_copy, "--db", db, "--quiet")
    with Store(db, readonly=True) as store:
        assert store.export(tmp_path / "all.parquet", fmt="parquet") == 8
    f = pq.ParquetFile(tmp_path / "all.parquet")
    assert f.metadata.num_rows == 8 and f.num_row_groups == 3


def test_arguments_that_are_not_utf8_are_inputs_not_tracebacks(tmp_path, examples_copy):
    db = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9.db")  # a store's name too
    done = subprocess.run([*map(os.fsencode, NEWSFOLD), b"ingest", os.fsencode(examples_copy), b"--db",
                           os.fsencode(db), b"--quiet"], capture_output=True)
    assert done.returncode == 0 and b"captures: 3 new" in done.stderr, done.stderr
    for args, code in (([b"search", b"caf\xe9 crisis"], 0), ([b"show", b"\xff" * 16], 1)):
        done = subprocess.run([*map(os.fsencode, NEWSFOLD), *args, b"--db", os.fsencode(db)], capture_output=True)
        assert done.returncode == code and b"Traceback" not in done.stderr, done.stderr
    done = subprocess.run([*map(os.fsencode, NEWSFOLD), b"show", b"\xff" * 16, b"--db", os.fsencode(db)],
                          capture_output=True)
    assert done.stderr == b"newsfold: no story \\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\n"


def test_an_export_line_is_one_line_for_every_reader(tmp_path):
    """U+2028, U+2029 and U+0085 are line ends to str.splitlines() (and to JavaScript before
    2019): exports escape them, and read back the same."""
    feed = tmp_path / "feed.jsonl"
    body = "\n\n".join(GOOD.split("\n\n")[1:])
    feed.write_text(json.dumps({"id": "sep\u2029", "title": "Line Separators", "text": body}) + "\n")
    db = tmp_path / "nf.db"
    run_cli("ingest", feed, "--db", db, "--quiet")
    run_cli("export", "--db", db, "--out", tmp_path / "out.jsonl")
    rows = read_jsonl(tmp_path / "out.jsonl")  # str.splitlines() inside
    assert [r["capture"] for r in rows] == ["sep\u2029"]  # an id is kept as it is
    assert [json.loads(line)["capture"] for line in run_cli("extract", feed).stdout.splitlines()] == ["sep\u2029"]
