"""Reading, round two: whatever a parser raises on one file, row or record, that capture is one
problem line and every other capture is kept; one budget bounds every format (sizes before and
after decompression, header lines, fields, nesting, digits); text stored is valid UTF-8."""
from __future__ import annotations

import gzip
import io
import json
import os
import random
import string

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from support import EXAMPLES, read_jsonl, run_cli, run_measured

GOOD = (EXAMPLES / "000_8c6bb47f4d0febb6.txt").read_text(encoding="utf-8")
OTHER = (EXAMPLES / "003_ecce10f60d867970.txt").read_text(encoding="utf-8")
MAX_RSS_MIB = 512  # as tests/test_hostile.py: the imports take ~180 MiB


def row(rid: str, text: str = GOOD, **fields) -> str:
    return json.dumps({"id": rid, "text": text, **fields})


def short(capture: str) -> str:
    """A capture's name without its folder: `good.txt`, `feed.warc#https://…`, a row id."""
    path, mark, uri = capture.partition("#")
    return os.path.basename(path) + mark + uri


def problems(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("newsfold: ")]


def ingest_export(tmp_path, *paths, workers: int = 2):
    """(the ingest's process, the exported rows) of the real CLI."""
    db, out = tmp_path / "nf.db", tmp_path / "out.jsonl"
    done = run_cli("ingest", *paths, "--db", db, "--workers", workers, "--quiet", check=False)
    rows = read_jsonl(out) if run_cli("export", "--db", db, "--out", out, check=False).returncode == 0 else []
    return done, rows


def warc_record(uri: str | None, html: bytes) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
    rec = writer.create_warc_record(uri or "https://example.org/x", "response", payload=io.BytesIO(html),
                                    http_headers=http)
    if uri is None:
        rec.rec_headers.remove_header("WARC-Target-URI")
    writer.write_record(rec)
    return buf.getvalue()


def page(title: str, body: str) -> bytes:
    paras = "".join(f"<p>{p}</p>" for p in body.split("\n\n")[1:] if p.strip())
    return f"<!doctype html><html><body><article><h1>{title}</h1>{paras}</article></body></html>".encode()


def parquet_with_invalid_utf8(path) -> None:
    """A string column whose second value is not UTF-8 (written by a careless producer)."""
    raw = pa.array([GOOD.encode(), OTHER.encode().replace(b" said ", b" sa\xffid ", 1)], pa.binary())
    text = pa.Array.from_buffers(pa.string(), len(raw), raw.buffers()[:3])
    pq.write_table(pa.table({"id": ["pq-good", "pq-bad-utf8"], "text": text}), path)


@pytest.fixture
def hostile_rows(tmp_path):
    """A folder of good captures beside files that made parsers raise errors of four types."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "deep.jsonl").write_text('{"id": "deep", "text": ' + "[" * 5000 + "]" * 5000 + "}\n"
                                       + row("after-deep", OTHER) + "\n")
    (folder / "digits.jsonl").write_text('{"id": "digits", "text": "x", "n": ' + "9" * 5000 + "}\n"
                                         + row("after-digits", OTHER) + "\n")
    (folder / "nouri.warc").write_bytes(warc_record(None, page("No Address", GOOD))
                                        + warc_record("https://example.org/kept", page("Kept Record", OTHER)))
    parquet_with_invalid_utf8(folder / "rows.parquet")
    return folder


def test_any_parser_error_is_one_problem_line_and_the_rest_is_kept(tmp_path, hostile_rows):
    done, rows = ingest_export(tmp_path, hostile_rows)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    lines = problems(done.stderr)
    assert len(lines) == 3, lines
    assert any("deep.jsonl:1: " in line and "nested deeper than" in line for line in lines), lines
    assert any("digits.jsonl:1: " in line and "digits" in line for line in lines), lines
    assert any("nouri.warc" in line and "WARC-Target-URI" in line for line in lines), lines
    captures = {short(r["capture"]) for r in rows}
    assert {"after-deep", "after-digits", "pq-good", "pq-bad-utf8", "good.txt",
            "nouri.warc#https://example.org/kept"} <= captures
    bad = [r for r in rows if r["capture"] == "pq-bad-utf8"]
    assert bad and "sa\ufffdid" in "".join(r["text"] for r in bad)  # the row is kept, the bad byte marked


def test_extract_survives_the_same_files(hostile_rows):
    done = run_cli("extract", hostile_rows, check=False)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert len(problems(done.stderr)) == 3
    assert {"after-deep", "after-digits"} <= {json.loads(line)["capture"] for line in done.stdout.splitlines()}


def test_lone_surrogates_are_stored_as_replacement_characters(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "a\\ud800", "title": "t\\udc00", "text": ' + json.dumps(GOOD)[:-1] + ' \\udfff"}\n')
    done, rows = ingest_export(tmp_path, feed)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert {r["capture"] for r in rows} == {"a\ufffd"}


def test_a_file_name_that_is_not_utf8_is_stored_and_shown_escaped(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    raw = os.fsencode(folder)
    with open(raw + b"/caf\xe9.txt", "w", encoding="utf-8") as fh:
        fh.write(GOOD)
    open(raw + b"/vide\xe9.txt", "w").close()
    done, rows = ingest_export(tmp_path, folder)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert {short(r["capture"]) for r in rows} == {"caf\\xe9.txt"}
    assert problems(done.stderr) == [f"newsfold: {folder}/vide\\xe9.txt: empty file"]


def test_a_parquet_row_over_the_capture_limit_is_refused_in_bounded_memory(tmp_path):
    """A small zstd file holding one 64 MiB row (it expands ~10,000 times), and a 21 MiB row of
    text that does not compress: each one problem line, the other rows kept, in bounded memory."""
    bomb = tmp_path / "bomb.parquet"
    pq.write_table(pa.table({"id": ["big"], "text": ["Headline\n\n" + "a word " * (64 << 20 >> 3)]}), bomb,
                   compression="zstd")
    rng = random.Random(1)
    big = "".join(rng.choices(string.ascii_letters + " ", k=21 << 20))
    pq.write_table(pa.table({"id": ["small", "huge", "after"], "text": [GOOD, big, OTHER]}), tmp_path / "rows.parquet")
    del big
    assert bomb.stat().st_size < 1 << 20
    done, rss = run_measured("ingest", bomb, tmp_path / "rows.parquet", "--db", tmp_path / "nf.db", "--quiet")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    lines = problems(done.stderr)
    assert len(lines) == 2 and all("limit" in line for line in lines), lines
    assert any("bomb.parquet" in line for line in lines) and any("rows.parquet:2" in line for line in lines)
    out = read_jsonl_of(tmp_path)
    assert {r["capture"] for r in out} == {"small", "after"}
    assert rss < MAX_RSS_MIB, f"peak RSS {rss} MiB"


def read_jsonl_of(tmp_path) -> list[dict]:
    run_cli("export", "--db", tmp_path / "nf.db", "--out", tmp_path / "out.jsonl")
    return read_jsonl(tmp_path / "out.jsonl")


def test_a_warc_header_line_over_the_limit_is_refused_in_bounded_memory(tmp_path):
    """A .warc.gz whose second record opens with a 256 MiB header line: one problem line, the
    first record kept, the line never held."""
    path = tmp_path / "long.warc.gz"
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(warc_record("https://example.org/first", page("First Record", GOOD)))
        fh.write(b"WARC/1.0\r\nWARC-Type: response\r\nX-Padding: ")
        chunk = b"a" * (1 << 20)
        for _ in range(256):
            fh.write(chunk)
        fh.write(b"\r\n\r\n")
    done, rss = run_measured("ingest", path, "--db", tmp_path / "nf.db", "--quiet")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    lines = problems(done.stderr)
    assert len(lines) == 1 and "header line longer than" in lines[0], lines
    assert [short(r["capture"]) for r in read_jsonl_of(tmp_path)] == ["long.warc.gz#https://example.org/first"]
    assert rss < MAX_RSS_MIB, f"peak RSS {rss} MiB"


def test_a_text_file_named_warc_is_one_clear_line(tmp_path):
    path = tmp_path / "notes.warc"
    path.write_text("Minutes of the meeting\nAttendees: five\n" * 80)
    done = run_cli("ingest", path, "--db", tmp_path / "nf.db", "--quiet", check=False)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == f"newsfold: {path}: not a WARC file (it starts with 'Minutes of the meeting')"
    assert len(done.stderr.splitlines()) == 3 and "rejected: 1" in done.stderr  # the line, the summary, the reasons


def test_a_row_with_a_ten_megabyte_id_gets_a_short_problem_line(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(row("x" * (10 << 20)) + "\n" + row("kept", OTHER) + "\n")
    done, rows = ingest_export(tmp_path, feed)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    lines = problems(done.stderr)
    assert len(lines) == 1 and "feed.jsonl:1: " in lines[0] and "'id'" in lines[0], lines
    assert len(done.stderr) < 1000
    assert {r["capture"] for r in rows} == {"kept"}


def test_what_warcio_repairs_is_kept_quietly(tmp_path):
    """A target URI with spaces is percent-encoded by warcio, which logs it: no stray stderr line."""
    path = tmp_path / "spaces.warc"
    path.write_bytes(warc_record("https://example.org/a page", page("Spaced Address", GOOD)))
    done, rows = ingest_export(tmp_path, path)
    assert done.returncode == 0 and done.stderr.splitlines()[0].startswith("files read: 1"), done.stderr
    assert [short(r["capture"]) for r in rows][:1] == ["spaces.warc#https://example.org/a%20page"]


def test_many_bad_rows_are_all_counted_in_bounded_memory(tmp_path):
    """A report keeps the first 10,000 problems and counts all (a file of ten million bad rows
    must not hold ten million problems)."""
    from newsfold import Store

    feed = tmp_path / "bad.jsonl"
    # a good row first: a file none of whose first rows has text is refused whole, in one line
    feed.write_text(row("kept") + "\n" + '{"id": "r", "text": 42}\n' * 12_000)
    with Store(tmp_path / "nf.db") as store:
        report = store.ingest([feed], progress=False, on_problem=lambda p: None)
    assert report.rejected == 12_000 and len(report.problems) == 10_000
    assert report.reasons == {"no text in field 'text/body/content'": 12_000} and report.captures == 1
