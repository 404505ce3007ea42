#!/usr/bin/env python3
"""Judged pairs and the story rules (issue 18), measured on the real ingest.

For each pool (Reuters, BBC) this ingests the pool with the current code (`newsfold ingest`, or
reads stores made before with --stores), exports it, and reads the pairs judged by hand
(tests/data/judged_pairs.jsonl: ids, verdict, kind, and whether the stories before the rules
merged them). It reports:

- the judged wrong merges still merged (the issue's examples apart), the judged misses folded,
  the controls kept (pairs a reader calls one story that were merged before), the exact re-sends
  (same words, case and spacing aside) folded;
- with --before (exports made by the code before the rules), every pair merged or split since,
  those not judged listed by id for reading;
- what the rules did (the store's `stats`: verified pairs kept apart and pairs folded, by rule)
  and how many rows got a publication date;
- the devset (story pair precision, recall, F1, hard negatives merged; publication dates of its
  HTML pages and text captures) and, with --bench N, a benchmark corpus made by make_corpus.py
  (pair precision and recall against its truth, as benchmarks/run.py scores it);
- with --sample K, K multi-member Reuters stories drawn at random (seeded), for reading.

Usage: python benchmarks/judged_pairs.py [--shared ../shared] [--before ../data/base] [--bench 100000]
                                         [--stores DIR] [--sample 100] [--out benchmarks/results/judged_pairs.json]
Counts and ids only are written (no corpus text).
"""
from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NEWSFOLD = [sys.executable, "-m", "newsfold.cli"]
POOLS = {"reuters": "reuters21578.jsonl", "bbc": "bbc.jsonl"}


def norm(text: str) -> str:
    return " ".join(text.lower().split())


def ingest_export(source: Path, db: Path, out: Path) -> float:
    """Ingest `source` into `db` (unless it is there), export to `out`; the ingest's seconds."""
    seconds = 0.0
    if not db.exists():
        t0 = time.perf_counter()
        subprocess.run([*NEWSFOLD, "ingest", str(source), "--db", str(db), "--quiet"], check=True,
                       capture_output=True)
        seconds = time.perf_counter() - t0
    subprocess.run([*NEWSFOLD, "export", "--db", str(db), "--out", str(out)], check=True, capture_output=True)
    return seconds


def read_export(path: Path) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def store_stats(db: Path) -> dict:
    done = subprocess.run([*NEWSFOLD, "stats", "--db", str(db), "--format", "json"], check=True, capture_output=True,
                          text=True)
    return json.loads(done.stdout)


def pairs_of(groups) -> set[frozenset]:
    return {frozenset((m[x], m[y])) for m in groups for x in range(len(m)) for y in range(x + 1, len(m))}


def pool_report(name: str, shared: Path, work: Path, judged: list[dict], before: Path | None, sample: int) -> dict:
    db = work / f"{name}.db"
    seconds = ingest_export(shared / "corpus" / POOLS[name], db, work / f"{name}.jsonl")
    export = read_export(work / f"{name}.jsonl")
    story = {e["capture"]: e["story"] for e in export}
    mine = [j for j in judged if j["pool"] == name]

    def count(sel):
        return {"pairs": len(sel), "merged": sum(story[j["a"]] == story[j["b"]] for j in sel)}
    out: dict = {"articles": len(export), "ingest_s": round(seconds, 1),
                 "published": sum(bool(e["published"]) and not e["published"].startswith("--") for e in export),
                 "stories": len(set(story.values())),
                 "multi_member_stories": sum(n > 1 for n in collections.Counter(story.values()).values()),
                 "judged_wrong": count([j for j in mine if not j["same_story"] and not j.get("example")]),
                 "judged_wrong_examples": count([j for j in mine if not j["same_story"] and j.get("example")]),
                 "judged_misses": count([j for j in mine if j["same_story"] and not j["merged_before"]]),
                 "judged_controls": count([j for j in mine if j["same_story"] and j["merged_before"]])}
    out["still_wrong"] = [f'{j["a"]} {j["b"]} {j["kind"]}' for j in mine
                          if not j["same_story"] and story[j["a"]] == story[j["b"]]]
    out["misses_left"] = [f'{j["a"]} {j["b"]} {j["kind"]}' for j in mine
                          if j["same_story"] and not j["merged_before"] and story[j["a"]] != story[j["b"]]]
    out["controls_lost"] = [f'{j["a"]} {j["b"]} {j["kind"]}' for j in mine
                            if j["same_story"] and j["merged_before"] and story[j["a"]] != story[j["b"]]]
    same_words = collections.defaultdict(list)
    for e in export:
        same_words[norm(e["text"])].append(e["capture"])
    resends = [(v[0], w) for v in same_words.values() if len(v) > 1 for w in v[1:]]
    out["exact_resends"] = {"pairs": len(resends), "folded": sum(story[a] == story[b] for a, b in resends)}
    out["rules"] = store_stats(db).get("rules", {})
    if before is not None and (before / f"{name}.jsonl").exists():
        old = {e["capture"]: e["story"] for e in read_export(before / f"{name}.jsonl")}
        judged_keys = {frozenset((j["a"], j["b"])) for j in mine}
        by_new, by_old = collections.defaultdict(list), collections.defaultdict(list)
        for capture in story:
            by_new[story[capture]].append(capture)
            by_old[old[capture]].append(capture)
        now, then = pairs_of(by_new.values()), pairs_of(by_old.values())
        out["pairs_joined"], out["pairs_split"] = len(now - then), len(then - now)
        out["joined_unjudged"] = sorted(" ".join(sorted(p)) for p in now - then - judged_keys)
        out["split_unjudged"] = sorted(" ".join(sorted(p)) for p in then - now - judged_keys)
    if sample:
        multi = sorted(s for s, n in collections.Counter(story.values()).items() if n > 1)
        out["sample"] = random.Random(18).sample(multi, min(sample, len(multi)))
    return out


def devset_report(shared: Path, work: Path) -> dict:
    ingest_export(shared / "devset" / "captures", work / "devset.db", work / "devset.jsonl")
    spec = importlib.util.spec_from_file_location("score", shared / "eval" / "score.py")
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    got = score.score(str(shared / "devset" / "truth.jsonl"), str(work / "devset.jsonl"))
    out = {k: got[k] for k in ("story_pair_precision", "story_pair_recall", "story_pair_f1", "hard_negatives",
                               "hard_negatives_merged")}
    dates = collections.Counter()
    for e in read_export(work / "devset.jsonl"):
        kind = "html" if e["capture"].endswith((".html", ".htm")) else "text"
        p = e["published"]
        dates[f"{kind} " + ("none" if not p else "month-day only" if p.startswith("--") else "full date")] += 1
    out["published"] = dict(sorted(dates.items()))
    return out


def bench_report(n: int, shared: Path, work: Path) -> dict:
    data, truth = work / f"corpus-{n}.jsonl", work / f"truth-{n}.jsonl"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "make_corpus.py"), str(n), "--out", str(data),
                    "--truth", str(truth), "--pool", str(shared / "corpus")], check=True, capture_output=True)
    seconds = ingest_export(data, work / f"bench-{n}.db", work / f"bench-{n}.export.jsonl")
    spec = importlib.util.spec_from_file_location("run", REPO / "benchmarks" / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    pred = work / f"bench-{n}.pred.jsonl"
    with open(pred, "w", encoding="utf-8") as fh:
        for e in read_export(work / f"bench-{n}.export.jsonl"):
            fh.write(json.dumps({"id": e["capture"], "cluster": e["story"]}) + "\n")
    got = run.evaluate(truth, pred)
    return {"docs": n, "ingest_s": round(seconds, 1), **{k: got[k] for k in ("precision", "recall", "pred_pairs",
                                                                          "true_pairs", "tp_pairs")},
            "rules": store_stats(work / f"bench-{n}.db").get("rules", {})}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--judged", type=Path, default=REPO / "tests" / "data" / "judged_pairs.jsonl")
    ap.add_argument("--before", type=Path, default=None,
                    help="folder with reuters.jsonl and bbc.jsonl exported by the code before the rules")
    ap.add_argument("--stores", type=Path, default=None, help="keep (or reuse) the stores and exports here")
    ap.add_argument("--bench", type=int, default=0, help="also a benchmark corpus of this many documents")
    ap.add_argument("--sample", type=int, default=0, help="draw this many multi-member Reuters stories for reading")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    judged = [json.loads(line) for line in open(args.judged, encoding="utf-8")]
    with tempfile.TemporaryDirectory() as tmp:
        work = args.stores or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        report = {name: pool_report(name, args.shared, work, judged, args.before, args.sample if name == "reuters"
                                    else 0) for name in POOLS}
        report["devset"] = devset_report(args.shared, work)
        if args.bench:
            report["bench"] = bench_report(args.bench, args.shared, work)
    summary = {k: {x: y for x, y in v.items() if not isinstance(y, list)} for k, v in report.items()}
    print(json.dumps(summary, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
