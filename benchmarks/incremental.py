#!/usr/bin/env python3
"""Incremental ingest into a big store: time `newsfold ingest` of N new documents into an
existing store (e.g. the 1M benchmark store kept with `run.py --keep-work`), with peak RSS.

The new documents are built by make_corpus.py with another seed, their ids prefixed so they
are new captures. The store is copied first (the copy is what grows), so the command can be run
again on the same store and measures the same thing. Usage:

    python benchmarks/incremental.py --db benchmarks/data/work/newsfold-1000000/run.db --n 1000
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NEWSFOLD = HERE.parent / ".venv" / "bin" / "newsfold"


def new_documents(n: int, out: Path) -> None:
    raw, truth = out.with_suffix(".raw.jsonl"), out.with_suffix(".truth.jsonl")
    subprocess.run([sys.executable, str(HERE / "make_corpus.py"), str(n), "--out", str(raw), "--truth", str(truth),
                    "--seed", "987654"], check=True, capture_output=True)
    with raw.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for line in src:
            row = json.loads(line)
            row["id"] = "inc-" + row["id"]
            dst.write(json.dumps(row) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--newsfold", type=Path, default=NEWSFOLD)
    args = ap.parse_args()
    docs = HERE / "data" / f"incremental-{args.n}.jsonl"
    docs.parent.mkdir(parents=True, exist_ok=True)
    new_documents(args.n, docs)
    store = HERE / "data" / "work" / "incremental" / "run.db"
    store.parent.mkdir(parents=True, exist_ok=True)
    for stale in store.parent.glob("run.db*"):
        stale.unlink()
    shutil.copyfile(args.db, store)  # the kept store itself stays as the 1M run left it
    # a store at rest is on disk: without this the timed ingest shares the disk with the write-back
    # of the gigabytes just copied (10.8 s against 5.5 when measured on 2026-12-01)
    os.sync()
    start = time.perf_counter()
    # as the store was made (benchmarks/run.py): no full-text index, which would otherwise be
    # brought up to date for all its articles at the end of this ingest
    proc = subprocess.run([str(args.newsfold), "ingest", str(docs), "--db", str(store), "--text-field", "text",
                           "--quiet", "--no-search-index"], capture_output=True, text=True)
    wall = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "")
    print(f"{args.n} new documents into a copy of {args.db}: {wall:.1f} s, peak RSS {rss:.0f} MB, "
          f"exit {proc.returncode}")


if __name__ == "__main__":
    main()
