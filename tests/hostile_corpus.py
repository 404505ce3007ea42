"""A folder of hostile inputs, generated at test time (nothing big is committed).

`build(folder)` writes every file and returns a `Corpus` saying what each should do to an ingest:

- `bad`: file name → how many problem lines must name it on stderr (one per bad file, one per
  bad record of a JSONL file), with a word the reason must contain;
- `readable`: files in odd encodings that must be decoded and ingested, with a word that must
  reach the export intact;
- `good`: plain captures copied from the seeds.

Run it as a script to look at the corpus: `python tests/hostile_corpus.py /tmp/hostile`.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from support import SHARED

SEEDS = SHARED / "seeds"
DEVSET = SHARED / "devset" / "captures"

# The decompression guard in read.py lets a small .gz expand to 1 GiB; the bomb goes past that.
BOMB_BYTES = 1088 << 20
HUGE_LINE_BYTES = 100 << 20
NESTING = 100_000


@dataclass(frozen=True)
class Expect:
    lines: int  # problem lines that must name the file
    reason: str  # a word each of those lines contains


@dataclass
class Corpus:
    folder: Path
    bad: dict[str, Expect]
    readable: dict[str, str]  # file name → a word that must survive decoding into the export
    good: list[str]


def _article(name: str) -> str:
    """The text of one devset capture: a real news page, so extraction finds an article."""
    return (DEVSET / name).read_text(encoding="utf-8")


def _with_word(text: str, word: str) -> str:
    """Put `word` into the first body paragraph, where extraction keeps it."""
    marker = " said "
    i = text.index(marker)
    return text[:i] + f" of {word}" + text[i:]


def write_binary(p: Path) -> None:
    p.write_bytes(bytes(range(256)) * 64)


def write_utf16(p: Path) -> None:
    p.write_bytes(_with_word(_article("0000_bef8ae2592401edb.txt"), "Zürichsee").encode("utf-16"))


def write_latin1(p: Path) -> None:
    p.write_bytes(_with_word(_article("0002_e2334d802108f60f.txt"), "Genève").encode("latin-1", "replace"))


def write_invalid_utf8(p: Path) -> None:
    # UTF-8 with two stray bytes (a cut-off "é" and a lone 0xFF): the valid characters must survive.
    text = _with_word(_article("0004_80bec88e0ffd81fc.txt"), "Málaga – Córdoba")
    data = text.encode("utf-8")
    cut = data.index(b"\n\n") + 1
    p.write_bytes(data[:cut] + b"caf\xc3 \xff\n" + data[cut:])


def write_huge_line(p: Path) -> None:
    # One 100 MB JSONL line with no newline: must be skipped in bounded chunks, never held.
    with open(p, "wb") as fh:
        fh.write(b'{"text": "')
        chunk = b"a" * (1 << 20)
        for _ in range(HUGE_LINE_BYTES >> 20):
            fh.write(chunk)


def write_gzip_bomb(p: Path) -> None:
    # Zeros compress ~1000:1; a gzip file may hold many members, so one compressed 64 MiB block
    # written 17 times expands to 1088 MiB from ~1 MB on disk, and costs one compression.
    block = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
    with open(p, "wb") as fh:
        for _ in range(BOMB_BYTES // (64 << 20)):
            fh.write(block)


def write_truncated_gzip(p: Path) -> None:
    row = json.dumps({"id": "cut", "text": _article("0005_d98625ed3afb7bac.txt")}) + "\n"
    data = gzip.compress(row.encode("utf-8"))
    p.write_bytes(data[: len(data) // 2])


def write_corrupt_warc(p: Path) -> None:
    """Two HTML response records; the second one's header is mangled after writing."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    for i, name in enumerate(["0001_90c24b5f5e27d5cd.html", "0003_80457658eee1690b.html"]):
        body = (DEVSET / name).read_bytes()
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        rec = writer.create_warc_record(f"https://example.com/{i}", "response", payload=io.BytesIO(body),
                                        http_headers=http)
        writer.write_record(rec)
    data = buf.getvalue()
    second = data.index(b"WARC/1.0", 10)
    p.write_bytes(data[:second] + b"WARC/9.9\r\nGarbage: \x00\xff\r\nContent-Length: nope\r\n" + data[second + 8:])


BROKEN_JSONL_BAD = 6  # bad lines in write_broken_jsonl


def write_broken_jsonl(p: Path) -> None:
    good = json.dumps({"id": "jsonl-good", "text": _article("0007_91df18a5a3a69853.txt")})
    lines = [
        good,
        '{"text": "unterminated',  # malformed JSON
        "[1, 2, 3]",  # not an object
        '{"text": 42}',  # wrong type
        '{"body": null, "title": ["x"]}',  # no text
        '"just a string"',  # not an object
        "\x00\x01garbage",  # not JSON at all
        "",  # blank lines are fine
    ]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_wrong_parquet(p: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": [1, 2, 3], "b": [0.5, 1.5, 2.5]}), p)


def write_nested_html(p: Path) -> None:
    text = "Deep inside the markup, the council said the budget would pass on Friday."
    p.write_text("<!doctype html><html><body>" + "<div>" * NESTING + f"<p>{text}</p>" + "</div>" * NESTING
                 + "</body></html>", encoding="utf-8")


# What each bad file must print: one line, or one per bad record of a JSONL file.
BAD = {
    "binary.bin": Expect(1, "binary"),
    "empty.txt": Expect(1, "empty"),
    "huge_line.jsonl": Expect(1, "longer than"),
    "bomb.jsonl.gz": Expect(1, "gzip bomb"),
    "truncated.jsonl.gz": Expect(1, "truncated"),
    "corrupt.warc": Expect(1, "corrupt WARC"),
    "broken.jsonl": Expect(BROKEN_JSONL_BAD, ""),
    "wrong_schema.parquet": Expect(1, "no text column"),
    "nested.html": Expect(1, ""),  # 100,000 levels deep: parsed without a crash, no article in it
    "loop.txt": Expect(1, "link"),
    "unreadable.txt": Expect(1, "permission denied"),  # not bad for root, who reads through chmod 000
}


def build(folder: Path) -> Corpus:
    folder.mkdir(parents=True, exist_ok=True)
    writers = {
        "binary.bin": write_binary, "empty.txt": lambda p: p.write_bytes(b""),
        "huge_line.jsonl": write_huge_line, "bomb.jsonl.gz": write_gzip_bomb,
        "truncated.jsonl.gz": write_truncated_gzip, "corrupt.warc": write_corrupt_warc,
        "broken.jsonl": write_broken_jsonl, "wrong_schema.parquet": write_wrong_parquet,
        "nested.html": write_nested_html, "utf16.txt": write_utf16, "latin1.txt": write_latin1,
        "invalid_utf8.txt": write_invalid_utf8,
    }
    for name, write in writers.items():
        write(folder / name)
    os.symlink("loop.txt", folder / "loop.txt")  # a link to itself: ELOOP on open
    good = sorted(p.name for p in SEEDS.glob("*.txt"))[:3]
    for name in good:
        shutil.copyfile(SEEDS / name, folder / name)
    # root reads through chmod 000, so the file only counts as bad for other users
    locked = folder / "unreadable.txt"
    shutil.copyfile(DEVSET / "0009_18558bdc03846a91.txt", locked)
    locked.chmod(0)
    bad = {name: exp for name, exp in BAD.items() if name != "unreadable.txt" or os.geteuid() != 0}
    readable = {"utf16.txt": "Zürichsee", "latin1.txt": "Genève", "invalid_utf8.txt": "Málaga"}
    return Corpus(folder, bad, readable, good)


if __name__ == "__main__":
    corpus = build(Path(sys.argv[1]))
    for name, exp in sorted(corpus.bad.items()):
        print(f"bad       {name}: {exp.lines} line(s) containing {exp.reason!r}")
    for name, word in sorted(corpus.readable.items()):
        print(f"readable  {name}: export contains {word!r}")
    for name in corpus.good:
        print(f"good      {name}")
