#!/usr/bin/env python3
"""The local engine beside the Dask engine (a LocalCluster of 2 workers) on one corpus.

    .venv/bin/python benchmarks/engines.py ../data/c100k.jsonl --truth ../data/t100k.jsonl --repeat 3
    .venv/bin/python benchmarks/engines.py ../data/c100k.jsonl --partitions-table 8 32 128

Runs `newsfold ingest` with each engine, alternated (other work on this shared machine drifts
over minutes), from an empty scratch folder each time: wall time, CPU seconds, the peak RSS of
the whole process tree, of the ingesting process and of the largest worker process; then exports
each engine's last store and compares them row by row after sorting (capture, position, story,
canonical, title, caption, credit, text), and scores duplicate pairs against the truth file
(run.py's scoring). `--partitions-table` runs the Dask engine in this process at each number of
partitions and prints each stage's task count and result bytes (the shuffle volume), and the
phase times. Results are appended to benchmarks/results/engines.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from run import evaluate, newsfold_to_clusters  # noqa: E402

NEWSFOLD = REPO / ".venv" / "bin" / "newsfold"
RESULTS = BENCH / "results" / "engines.json"


def measured(cmd: list[str], log: Path) -> dict:
    """Wall time, CPU of the tree, and peak RSS: of the tree (summed), of the root process, and
    of the largest single descendant (a Dask worker), polled every 0.1 s."""
    import psutil

    with open(log, "w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        root = psutil.Process(proc.pid)
        peak_tree = peak_root = peak_child = 0
        cpu: dict[int, float] = {}
        while proc.poll() is None:
            try:
                kids = root.children(recursive=True)
                tree = 0
                for p in [root, *kids]:
                    try:
                        rss = p.memory_info().rss
                        times = p.cpu_times()
                    except psutil.Error:
                        continue
                    cpu[p.pid] = times.user + times.system
                    tree += rss
                    if p.pid == root.pid:
                        peak_root = max(peak_root, rss)
                    else:
                        peak_child = max(peak_child, rss)
                peak_tree = max(peak_tree, tree)
            except psutil.Error:
                pass
            time.sleep(0.1)
        wall = time.perf_counter() - t0
    return {"wall_s": round(wall, 2), "cpu_s": round(sum(cpu.values()), 1), "cpu_main_s": round(cpu.get(proc.pid, 0), 1),
            "rc": proc.returncode,
            "peak_tree_mb": round(peak_tree / 2**20), "peak_main_mb": round(peak_root / 2**20),
            "peak_worker_mb": round(peak_child / 2**20)}


def sorted_export(db: Path, out: Path) -> list[tuple]:
    """The export's rows, sorted: (capture, position, story, canonical, and a 128-bit hash of
    title, caption, credit and text: a million texts would not fit twice in memory)."""
    import hashlib

    subprocess.run([str(NEWSFOLD), "export", "--db", str(db), "--out", str(out)], check=True, capture_output=True)
    rows = []
    with open(out, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts = "\0".join(str(row.get(k)) for k in ("title", "caption", "credit", "text"))
            rows.append((row["capture"], row["position"], row["story"], row["canonical"],
                         hashlib.blake2b(texts.encode("utf-8", "surrogatepass"), digest_size=16).digest()))
    return sorted(rows)


def compare_engines(args) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="nf-engines-", dir=args.scratch))
    engines = {"local": [], "dask": []}
    commands = {"local": [], "dask": ["--engine", "dask", "--workers", str(args.workers)]}
    try:
        for k in range(args.repeat):
            for engine in engines:
                db = scratch / f"{engine}.db"
                for f in scratch.glob(f"{engine}.db*"):
                    f.unlink()
                run = measured([str(NEWSFOLD), "ingest", str(args.corpus), "--db", str(db), "--quiet",
                                *commands[engine]], scratch / f"{engine}.log")
                print(engine, run, flush=True)
                if run["rc"] != 0:
                    raise SystemExit((scratch / f"{engine}.log").read_text()[-2000:])
                engines[engine].append(run)
        exports = {e: sorted_export(scratch / f"{e}.db", scratch / f"{e}.jsonl") for e in engines}
        result = {"corpus": str(args.corpus), "workers": args.workers, "identical_exports": exports["local"] == exports["dask"],
                  "rows": len(exports["local"])}
        if not result["identical_exports"]:
            local, dask = set(exports["local"]), set(exports["dask"])
            result["rows_only_local"], result["rows_only_dask"] = len(local - dask), len(dask - local)
        for engine, runs in engines.items():
            median = sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]
            result[engine] = {**median, "walls_s": [r["wall_s"] for r in runs],
                              "peak_worker_mb": max(r["peak_worker_mb"] for r in runs),
                              "peak_tree_mb": max(r["peak_tree_mb"] for r in runs)}
            if args.truth:
                pred = scratch / f"{engine}.pred.jsonl"
                newsfold_to_clusters(scratch / f"{engine}.jsonl", pred)
                scores = evaluate(Path(args.truth), pred)
                result[engine].update(precision=scores["precision"], recall=scores["recall"])
        result["dask_over_local"] = round(statistics.median(engines["dask"][i]["wall_s"] / engines["local"][i]["wall_s"]
                                                            for i in range(args.repeat)), 2)
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def stage_run(corpus: str, partitions: int, workers: int, db: str) -> None:
    """In this process: one Dask ingest, printing its stage statistics as JSON."""
    from newsfold import store
    from newsfold.engines import dask

    conn = store.connect(db)
    stats: dict = {}
    t0 = time.perf_counter()
    dask.ingest(conn, [corpus], workers=workers, partitions=partitions, progress=False, stats=stats)
    stats["wall_s"] = round(time.perf_counter() - t0, 2)
    print(json.dumps(stats))


SHUFFLES = {  # stage (a task key's prefix) -> what its pieces carry (each piece counted once)
    "band-split": "band keys by key range, body hashes", "cand-split": "candidate pairs by partition",
    "partners": "partners' sketches and sets", "cc-split": "component edges (large-star)",
    "ls-split": "component edges (small-star)", "labels": "labels by partition",
    "place-split": "component articles and edges by label"}


def partitions_table(args) -> list[dict]:
    out = []
    for n in args.partitions_table:
        with tempfile.TemporaryDirectory(dir=args.scratch) as tmp:
            proc = subprocess.run([sys.executable, __file__, "--stage-run", str(args.corpus), str(n), str(args.workers),
                                   str(Path(tmp) / "run.db")], capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-3000:])
        stats = json.loads(proc.stdout.strip().splitlines()[-1])
        stages = {k: v for k, v in stats.items() if isinstance(v, dict) and "tasks" in v}
        row = {"partitions": n, "wall_s": stats["wall_s"], "phases": stats["phases"],
               "rounds": stats["components_rounds"], "tasks": sum(v["tasks"] for v in stages.values()),
               "compute_s": round(sum(v["seconds"].get("compute", 0) for v in stages.values()), 1),
               "shuffle_mb": round(sum(stats.get(k, {}).get("bytes", 0) for k in SHUFFLES) / 2**20, 1),
               "transfers_mb": round(stats["transfers_bytes"] / 2**20, 1), "stages": stages}
        print(json.dumps({k: row[k] for k in ("partitions", "wall_s", "tasks", "compute_s", "shuffle_mb",
                                              "transfers_mb", "rounds")}), flush=True)
        out.append(row)
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--stage-run":
        stage_run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--truth", type=Path)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--partitions-table", type=int, nargs="*")
    ap.add_argument("--scratch", default=os.environ.get("TMPDIR", "/tmp"))
    args = ap.parse_args()
    record = {"when": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{os.cpu_count()} cores"}
    if args.partitions_table:
        record["partitions_table"] = {"corpus": str(args.corpus), "rows": partitions_table(args)}
    else:
        record["engines"] = compare_engines(args)
        print(json.dumps(record["engines"], indent=1))
    RESULTS.parent.mkdir(exist_ok=True)
    history = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    RESULTS.write_text(json.dumps(history + [record], indent=1) + "\n")


if __name__ == "__main__":
    main()
