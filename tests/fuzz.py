"""A seeded mutation fuzzer over every input format: mutated files, each beside good
neighbours, are ingested by the real CLI; no run may end in a traceback, a hang or a memory
peak over the bound, and every good neighbour must be stored.

    python tests/fuzz.py --inputs 10000 --seed 1          # the long run (README): 30 min on 2 busy cores
    python tests/fuzz.py --inputs 70 --seed 1 --keep DIR  # keep the failing batches' files

Seeds are real captures (the bundled examples) in each format: text, HTML, JSONL (plain and
gzip), Parquet, WARC (plain and gzip). A mutation is one or more of: bytes flipped, inserted,
deleted, repeated or cut off; a splice of two seeds; a hostile token (deep brackets, a long
number, a lone surrogate escape, NUL bytes, thousands of tags, a WARC header) put somewhere;
for the compressed formats, the plain bytes are mutated and compressed again, or the compressed
bytes are mutated. `tests/test_fuzz.py` runs a small batch in CI.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NEWSFOLD = [sys.executable, "-m", "newsfold.cli"]
FORMATS = ("txt", "html", "jsonl", "jsonl.gz", "parquet", "warc", "warc.gz")
MAX_RSS_MIB = 512  # largest process of the ingest (imports ~180 MiB), as tests/test_hostile.py
BATCH = 500  # mutated files per ingest
BATCH_SECONDS = 900  # a batch that runs longer hangs (each capture's bound is 30 s of CPU)
MAX_INPUT_BYTES = 4 << 20  # a mutated file is cut to this (mutations that repeat can grow one)

_MEASURE = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print("peak-rss-kib", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""

HOSTILE_TOKENS = [
    b"[" * 5000, b"{\"a\":" * 3000, b"9" * 5000, b"\\ud800", b"\\udfff\\ud800", b"\x00" * 64, b"\xff\xfe",
    b"<article><h1>x</h1><p>y</p></article>" * 2000, b"<div>" * 20000, b"WARC/1.0\r\nWARC-Type: response\r\n",
    b"Content-Length: 99999999999\r\n", b"\r\n\r\n", b"<!doctype html><html><body>", b"\xef\xbb\xbf",
    "\u202e\u009b".encode(), b"NaN", b"1e999999", b"\"id\": \"" + b"x" * 10000 + b"\"",
]


# --- seeds ---

def _texts() -> list[tuple[str, str]]:
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.iterdir()) if p.suffix == ".txt"]


def _html(title: str, text: str) -> str:
    import html

    paras = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n")[1:] if p.strip())
    return (f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body><nav><a href='/'>Home</a>"
            f"</nav><article><h1>{html.escape(title)}</h1>{paras}</article></body></html>")


def _jsonl(texts: list[tuple[str, str]]) -> bytes:
    return "".join(json.dumps({"id": name, "title": text.split("\n", 1)[0], "text": text}) + "\n"
                   for name, text in texts).encode()


def _parquet(texts: list[tuple[str, str]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"id": [n for n, _ in texts], "text": [t for _, t in texts],
                             "url": [f"https://example.org/{n}" for n, _ in texts]}), buf,
                   compression=random.Random(len(texts)).choice(["zstd", "snappy", "none"]))
    return buf.getvalue()


def _warc(texts: list[tuple[str, str]]) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    for name, text in texts:
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        rec = writer.create_warc_record(f"https://example.org/{name}", "response",
                                        payload=io.BytesIO(_html(text.split("\n", 1)[0], text).encode()),
                                        http_headers=http)
        writer.write_record(rec)
    return buf.getvalue()


def seeds() -> dict[str, list[bytes]]:
    """Valid files of each format (the plain bytes for the gzip formats)."""
    texts = _texts()
    return {
        "txt": [t.encode() for _, t in texts],
        "html": [_html(t.split("\n", 1)[0], t).encode() for _, t in texts],
        "jsonl": [_jsonl(texts), _jsonl(texts[:1])],
        "jsonl.gz": [_jsonl(texts)],
        "parquet": [_parquet(texts), _parquet(texts[:2])],
        "warc": [_warc(texts), _warc(texts[1:])],
        "warc.gz": [_warc(texts)],
    }


# --- mutations ---

def mutate(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    """One to four random mutations of `data`."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(8)
        at = rng.randrange(len(data) + 1)
        if op == 0 and data:  # flip bytes
            for _ in range(rng.randint(1, 16)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif op == 1:  # insert random bytes
            data[at:at] = rng.randbytes(rng.randint(1, 64))
        elif op == 2 and data:  # delete a span
            del data[at : at + rng.randint(1, max(1, len(data) // 8))]
        elif op == 3 and data:  # repeat a span
            span = bytes(data[at : at + rng.randint(1, 512)])
            data[at:at] = span * rng.randint(2, 2000)
        elif op == 4:  # cut off
            del data[at:]
        elif op == 5:  # splice another seed in
            other = rng.choice(others)
            cut = rng.randrange(len(other) + 1)
            data[at:] = other[cut:]
        elif op == 6:  # a hostile token
            data[at:at] = rng.choice(HOSTILE_TOKENS)
        else:  # interesting integers in place (lengths, counts)
            data[at : at + 4] = rng.choice([b"\xff\xff\xff\x7f", b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x00\x00\x00\x80"])
    return bytes(data[:MAX_INPUT_BYTES])


def mutated_file(fmt: str, rng: random.Random, pool: dict[str, list[bytes]]) -> bytes:
    seed = rng.choice(pool[fmt])
    others = [s for f in (fmt,) for s in pool[f]]
    if fmt.endswith(".gz"):
        if rng.random() < 0.5:  # the plain bytes mutated, compressed again
            return gzip.compress(mutate(seed, rng, others), compresslevel=1)
        return mutate(gzip.compress(seed, compresslevel=1), rng, [gzip.compress(o, compresslevel=1) for o in others])
    return mutate(seed, rng, others)


# --- runs ---

@dataclass
class Batch:
    first: int  # the number of its first input
    inputs: int
    seconds: float = 0.0
    rss_mib: int = 0
    problems: int = 0
    failures: list[str] = field(default_factory=list)


def write_batch(folder: Path, first: int, count: int, rng: random.Random, pool: dict[str, list[bytes]]) -> list[str]:
    """`count` mutated files and the good neighbours (their names) in `folder`."""
    folder.mkdir(parents=True)
    for k in range(first, first + count):
        fmt = FORMATS[k % len(FORMATS)]
        (folder / f"m{k:05d}.{fmt}").write_bytes(mutated_file(fmt, rng, pool))
    good = []
    for name, text in _texts():
        path = folder / f"good-{first}-{name}.txt"
        path.write_text(text, encoding="utf-8")
        good.append(path.name)
    return good


def run_batch(folder: Path, good: list[str], batch: Batch) -> Batch:
    db = folder.parent / f"{folder.name}.db"
    start = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-c", _MEASURE, *NEWSFOLD, "ingest", str(folder), "--db", str(db),
                               "--workers", "2", "--quiet"], capture_output=True, text=True, timeout=BATCH_SECONDS)
    except subprocess.TimeoutExpired:
        batch.failures.append(f"hang: no end after {BATCH_SECONDS} s")
        return batch
    batch.seconds = time.monotonic() - start
    match = re.search(r"peak-rss-kib (\d+)", done.stderr)
    batch.rss_mib = int(match.group(1)) >> 10 if match else 0
    lines = [line for line in done.stderr.splitlines() if not line.startswith("peak-rss-kib")]
    batch.problems = sum(line.startswith("newsfold: ") for line in lines)
    if done.returncode != 0:
        batch.failures.append(f"exit {done.returncode}")
    if "Traceback" in done.stderr:
        batch.failures.append("traceback:\n" + done.stderr[done.stderr.index("Traceback"):][-3000:])
    stray = [line for line in lines if not line.startswith(("newsfold: ", "files read:", "rejected:"))]
    if stray:
        batch.failures.append(f"{len(stray)} stray stderr lines, first: {stray[0][:300]!r}")
    if batch.rss_mib >= MAX_RSS_MIB:
        batch.failures.append(f"peak RSS {batch.rss_mib} MiB (bound {MAX_RSS_MIB})")
    if done.returncode == 0:
        out = subprocess.run([*NEWSFOLD, "export", "--db", str(db)], capture_output=True, text=True, timeout=300)
        stored = {Path(json.loads(line)["capture"].split("#")[0]).name for line in out.stdout.split("\n") if line}
        missing = sorted(set(good) - stored)
        if out.returncode != 0 or missing:
            batch.failures.append(f"good neighbours not stored: {missing or out.stderr[-500:]}")
    return batch


def fuzz(inputs: int, seed: int, work: Path, keep: Path | None = None, log=print) -> list[Batch]:
    rng = random.Random(seed)
    pool = seeds()
    batches = []
    for first in range(0, inputs, BATCH):
        count = min(BATCH, inputs - first)
        folder = work / f"batch{first:05d}"
        good = write_batch(folder, first, count, rng, pool)
        batch = run_batch(folder, good, Batch(first, count))
        batches.append(batch)
        log(f"inputs {first}-{first + count - 1}: {batch.seconds:.0f} s, peak RSS {batch.rss_mib} MiB, "
            f"{batch.problems} problem lines" + (f", FAILED: {'; '.join(batch.failures)}" if batch.failures else ""))
        if batch.failures and keep is not None:
            shutil.copytree(folder, keep / folder.name)
        shutil.rmtree(folder)
        for path in work.glob(f"{folder.name}.db*"):
            path.unlink()
    return batches


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, default=None, help="copy the files of failing batches here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsfold-fuzz-") as tmp:
        batches = fuzz(args.inputs, args.seed, Path(tmp), args.keep)
    failed = [b for b in batches if b.failures]
    print(f"{args.inputs} mutated inputs in {len(batches)} ingests: {len(failed)} failed; "
          f"slowest batch {max(b.seconds for b in batches):.0f} s, peak RSS {max(b.rss_mib for b in batches)} MiB "
          f"(bound {MAX_RSS_MIB})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
