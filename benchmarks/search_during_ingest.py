#!/usr/bin/env python3
"""Searches while a big ingest writes to the same store (issue 19: readers never wait on the
writer). A store is filled with a base corpus (search index built), then a big corpus is
ingested into it with the real CLI while searches run against it the whole time, two ways:

- api: `newsfold.Store(db, readonly=True)` opened, one search, closed (a program's search);
- cli: `newsfold search WORD --db DB` in a new process (a person's search: interpreter start and
  imports included).

Prints p50/p95/p99/max latency per kind and every failure (there must be none); writes
benchmarks/results/search_during_ingest.json. Usage:

    python3 benchmarks/search_during_ingest.py --base /work/data/c100k.jsonl --big /work/data/c1m.jsonl \
        --db /tmp/sdi.db
"""
from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NEWSFOLD = HERE.parent / ".venv" / "bin" / "newsfold"
sys.path.insert(0, str(HERE.parent / "src"))

from newsfold import Store  # noqa: E402


def query_words(corpus: Path, n: int, seed: int) -> list[str]:
    """Words of five letters or more from the headlines of the corpus's first 20,000 rows."""
    words = set()
    with corpus.open(encoding="utf-8") as fh:
        for k, line in enumerate(fh):
            if k >= 20_000:
                break
            words.update(w.lower() for w in re.findall(r"[A-Za-z]{5,}", json.loads(line).get("title", ""))[:2])
    return random.Random(seed).sample(sorted(words), min(n, len(words)))


def percentiles(ms: list[float]) -> dict:
    if not ms:
        return {"n": 0}
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {"n": len(ms), "p50": round(q[49], 1), "p95": round(q[94], 1), "p99": round(q[98], 1), "max": round(max(ms), 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=Path, required=True, help="corpus the store holds before (indexed)")
    ap.add_argument("--big", type=Path, required=True, help="corpus ingested while the searches run")
    ap.add_argument("--db", type=Path, required=True, help="a new store file")
    ap.add_argument("--pause", type=float, default=0.2, help="seconds between one searcher's searches")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.db.exists():
        sys.exit(f"{args.db} exists: give a new store file")
    t = time.perf_counter()
    subprocess.run([str(NEWSFOLD), "ingest", str(args.base), "--db", str(args.db), "--quiet"], check=True)
    print(f"base ingested and indexed in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    words = query_words(args.base, 500, args.seed)
    lat = {"api": [], "cli": []}
    failures: list[str] = []
    hits = {"api": 0, "cli": 0}
    done = threading.Event()

    def api_searcher() -> None:
        rng = random.Random(args.seed)
        while not done.is_set():
            word = rng.choice(words)
            t0 = time.perf_counter()
            try:
                with Store(args.db, readonly=True) as store:
                    found = store.search(word, limit=20)
            except Exception as err:  # noqa: BLE001 - counted: there must be none
                failures.append(f"api {word}: {type(err).__name__}: {err}")
                continue
            lat["api"].append((time.perf_counter() - t0) * 1000)
            hits["api"] += bool(found)
            time.sleep(args.pause)

    def cli_searcher() -> None:
        rng = random.Random(args.seed + 1)
        while not done.is_set():
            word = rng.choice(words)
            t0 = time.perf_counter()
            proc = subprocess.run([str(NEWSFOLD), "search", word, "--db", str(args.db), "--limit", "20"],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                failures.append(f"cli {word}: exit {proc.returncode}: {proc.stderr.strip()[:200]}")
                continue
            lat["cli"].append((time.perf_counter() - t0) * 1000)
            hits["cli"] += bool(proc.stdout.strip())
            time.sleep(args.pause)

    searchers = [threading.Thread(target=f) for f in (api_searcher, cli_searcher)]
    t = time.perf_counter()
    ingest = subprocess.Popen([str(NEWSFOLD), "ingest", str(args.big), "--db", str(args.db), "--quiet"],
                              stderr=subprocess.PIPE, text=True)
    for s in searchers:
        s.start()
    _, err = ingest.communicate()
    seconds = time.perf_counter() - t
    done.set()
    for s in searchers:
        s.join()
    out = {"base": str(args.base), "big": str(args.big), "ingest_seconds": round(seconds, 1),
           "ingest_exit": ingest.returncode, "ingest_summary": err.strip().splitlines()[-2:],
           "api": percentiles(lat["api"]), "cli": percentiles(lat["cli"]), "hits": hits, "failures": failures,
           "when": time.strftime("%Y-%m-%d %H:%M")}
    print(json.dumps(out, indent=1))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "search_during_ingest.json").write_text(json.dumps(out, indent=1) + "\n")
    return 0 if not failures and ingest.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
