#!/usr/bin/env python3
"""Latency of the desk's pages on a big store, with a real HTTP client: `newsfold serve` in its
own process, CLIENTS concurrent clients (threads, each with its own connection) asking for the
stories, story and search pages, first with the store at rest, then while ingests write new
documents into the same store (batches of --batch documents, one after another, as
`newsfold watch` would). Prints p50/p95/max per page and phase, and the errors (there must be
none); writes benchmarks/results/desk_latency.json.

The other orders of the stories page (growing, largest) are measured apart, at rest. The
store is copied first (the copy is what the ingests grow), unless --in-place. Usage:

    python3 benchmarks/desk_latency.py --db /work/data/c1m.db --seconds 30
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
NEWSFOLD = HERE.parent / ".venv" / "bin" / "newsfold"
sys.path.insert(0, str(HERE))

from incremental import new_documents  # noqa: E402


def sample_targets(db: Path, n: int, seed: int) -> tuple[list[str], list[str]]:
    """Random story ids and search words (from random headlines) of the store."""
    rng = random.Random(seed)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    stories = set()
    while len(stories) < n:
        row = conn.execute("SELECT id FROM stories WHERE id >= ? ORDER BY id LIMIT 1", (f"{rng.getrandbits(64):016x}",)).fetchone()
        if row:
            stories.add(row[0])
    top = conn.execute("SELECT max(id) FROM articles").fetchone()[0]
    words = set()
    while len(words) < n:
        row = conn.execute("SELECT title FROM articles WHERE id = ?", (rng.randint(1, top),)).fetchone()
        if row:
            words.update(w.lower() for w in re.findall(r"[A-Za-z]{5,}", row[0])[:2])
    conn.close()
    return sorted(stories), sorted(words)[:n]


def pages(stories: list[str], words: list[str], rng: random.Random) -> dict[str, callable]:
    """The pages measured under load: the stories page (newest first, one of its first five
    pages), a random story, a search for a word of a random headline."""
    return {
        "stories": lambda: f"/stories?page={rng.randint(1, 5)}",
        "story": lambda: f"/story/{rng.choice(stories)}",
        "search": lambda: f"/search?q={rng.choice(words)}",
    }


def other_orders(rng: random.Random) -> dict[str, callable]:
    """The stories page's other orders, measured apart, at rest."""
    return {
        "stories, growing": lambda: "/stories?sort=growing",
        "stories, largest": lambda: f"/stories?sort=largest&page={rng.randint(1, 5)}",
    }


def measure(base: str, targets: dict, clients: int, seconds: float, stop: threading.Event | None = None) -> dict:
    """Each client asks for the pages in turn until `seconds` pass (or `stop` is set)."""
    results: dict[str, list[float]] = {name: [] for name in targets}
    errors: dict[str, list[str]] = {name: [] for name in targets}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    names = list(targets)

    def client(k: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            i = k
            while time.monotonic() < deadline and not (stop and stop.is_set()):
                name = names[i % len(names)]
                i += 1
                url = targets[name]()
                start = time.perf_counter()
                try:
                    r = c.get(url)
                    ok = r.status_code == 200
                    why = f"{url}: {r.status_code}"
                except httpx.HTTPError as err:
                    ok, why = False, f"{url}: {err!r}"
                took = time.perf_counter() - start
                with lock:
                    (results[name].append(took) if ok else errors[name].append(why))

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = {}
    for name in targets:
        xs = sorted(results[name])
        q = statistics.quantiles(xs, n=100, method="inclusive") if len(xs) >= 2 else xs * 99
        out[name] = {"n": len(xs), "p50_ms": round(1000 * statistics.median(xs), 1) if xs else None,
                     "p95_ms": round(1000 * q[94], 1) if xs else None, "max_ms": round(1000 * xs[-1], 1) if xs else None,
                     "errors": len(errors[name]), "first_errors": errors[name][:3]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--batch", type=int, default=1000, help="documents per concurrent ingest")
    ap.add_argument("--batches", type=int, default=20, help="new-document batches made for the ingests")
    ap.add_argument("--ingest-workers", type=int, default=1, help="worker processes of each concurrent ingest")
    ap.add_argument("--in-place", action="store_true", help="grow the store given, not a copy")
    ap.add_argument("--newsfold", type=Path, default=NEWSFOLD)
    args = ap.parse_args()
    work = HERE / "data" / "work" / "desk"
    work.mkdir(parents=True, exist_ok=True)
    store = args.db
    if not args.in_place:
        store = work / "store.db"
        for stale in work.glob("store.db*"):
            stale.unlink()
        shutil.copyfile(args.db, store)
        os.sync()
    nf = str(args.newsfold)
    print("building the full-text index (once) ...", flush=True)
    subprocess.run([nf, "search", "the", "--db", str(store), "--limit", "1"], check=True, capture_output=True)
    docs = work / f"new-{args.batch * args.batches}.jsonl"
    if not docs.exists():
        new_documents(args.batch * args.batches, docs)
    lines = docs.read_text(encoding="utf-8").splitlines(keepends=True)
    batches = []
    for b in range(args.batches):
        path = work / f"batch-{b}.jsonl"
        path.write_text("".join(lines[b * args.batch:(b + 1) * args.batch]), encoding="utf-8")
        batches.append(path)

    stories, words = sample_targets(store, 200, seed=1)
    server = subprocess.Popen([nf, "serve", "--db", str(store), "--port", "0"], stderr=subprocess.PIPE, text=True)
    try:
        base = re.search(r"(http://\S+?)/? ", server.stderr.readline()).group(1)
        rng = random.Random(2)
        targets = pages(stories, words, rng)
        measure(base, targets, args.clients, 3)  # warm: the page cache, the server's threads
        at_rest = measure(base, targets, args.clients, args.seconds)
        stop = threading.Event()
        ingested = []

        def ingest_loop() -> None:
            for path in batches:
                if stop.is_set():
                    return
                start = time.perf_counter()
                p = subprocess.run([nf, "ingest", str(path), "--db", str(store), "--quiet", "--workers",
                                    str(args.ingest_workers)], capture_output=True, text=True)
                ingested.append((path.name, p.returncode, round(time.perf_counter() - start, 2),
                                 p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""))

        writer = threading.Thread(target=ingest_loop)
        writer.start()
        time.sleep(1)  # the first ingest is under way
        while_ingesting = measure(base, targets, args.clients, args.seconds)
        stop.set()
        writer.join()
        orders = measure(base, other_orders(rng), args.clients, args.seconds / 2)
    finally:
        server.terminate()
        server.wait()
    report = {"store": str(args.db), "clients": args.clients, "seconds": args.seconds,
              "at_rest": at_rest, "while_ingesting": while_ingesting, "other_orders_at_rest": orders,
              "ingests": ingested, "ingest_workers": args.ingest_workers, "load_average": os.getloadavg(),
              "cpu": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "desk_latency.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"{args.clients} clients, {args.seconds:.0f} s a phase; ingests during the second phase: "
          f"{len(ingested)} of {args.batch} documents ({args.ingest_workers} worker each), "
          f"exits {sorted({i[1] for i in ingested})}, {[i[2] for i in ingested]} s each")
    print(f"| page | at rest: n | p50 ms | p95 ms | max ms | errors | ingesting: n | p50 ms | p95 ms | max ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in at_rest:
        a, b = at_rest[name], while_ingesting[name]
        print(f"| {name} | {a['n']} | {a['p50_ms']} | {a['p95_ms']} | {a['max_ms']} | {a['errors']} "
              f"| {b['n']} | {b['p50_ms']} | {b['p95_ms']} | {b['max_ms']} | {b['errors']} |")
    for name, r in orders.items():
        print(f"| {name} | {r['n']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | {r['errors']} | – | – | – | – | – |")
    print("load average after: %.1f %.1f %.1f" % os.getloadavg())
    for phase in (at_rest, while_ingesting, orders):
        for name, r in phase.items():
            for e in r["first_errors"]:
                print("error:", name, e)


if __name__ == "__main__":
    main()
