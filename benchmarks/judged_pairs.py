#!/usr/bin/env python3
"""Judged pairs and the story rules (issue 18), measured offline.

For each pool (Reuters, BBC) this reads the pool, the export of a store made by the current code
(`newsfold export`), and the pairs judged by reading (tests/data/judged_pairs.jsonl), then:

1. counts, for the stories as stored, the judged wrong merges that are merged, the judged
   same-story pairs that are folded, and the exact re-sends (same normalised body) folded;
2. remakes the verified edges from the stored texts (newsfold's fingerprints, band keys and
   verification, every candidate checked exactly), applies the rules of story_rules.py: vetoes on
   edges (recurring report, successive notice, other issuer, digest), rescues of candidates under the
   thresholds (re-typed tables, rewrites) and two more candidate sources (a results table's figure
   key, a same-day title key), then clusters again (star clustering, digests never canonical);
3. reports the same counts after the rules, every split and every new merge (those not judged are
   listed for reading), and the effect on the devset (story pair F1, hard negatives) and on a
   benchmark corpus made by make_corpus.py (pair precision and recall against its truth).

Usage: python benchmarks/judged_pairs.py [--shared ../shared] [--exports DIR] [--bench 20000]
                                         [--out benchmarks/results/judged_pairs.json]
"""
from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from newsfold import story_rules as sr
from newsfold.cluster import star_clusters
from newsfold.fingerprint import fingerprint_packed
from newsfold.match import PackedSets, candidate_pairs, decode_pairs, same_story, score_pairs
from newsfold.published import published_of

REPO = Path(__file__).resolve().parents[1]
POOLS = {"reuters": "reuters21578.jsonl", "bbc": "bbc.jsonl"}
BUCKET = 50  # a figure or title key shared by more articles is a template, not a candidate
RESCUE = [True]


def norm(text: str) -> str:
    return " ".join(text.lower().split())


class Corpus:
    """Articles (one per row: an export's or a benchmark corpus'), their fingerprints, candidate
    pairs with their scores, and the facts the rules read."""

    def __init__(self, ids: list[str], titles: list[str], texts: list[str], dates: list[object]) -> None:
        self.ids, self.titles, self.texts = ids, titles, texts
        self.index = {x: i for i, x in enumerate(ids)}
        t0 = time.perf_counter()
        self.prints = []
        for lo in range(0, len(texts), 4096):
            self.prints.extend(fingerprint_packed(texts[lo:lo + 4096]))
        self.n_words = np.array([p.n_words for p in self.prints])
        keys = np.concatenate([p.keys for p in self.prints])
        owners = np.repeat(np.arange(len(self.prints)), [p.keys.size for p in self.prints])
        codes = candidate_pairs(keys, owners)
        self.sets = PackedSets.of_prints(self.prints)
        self.pairs = decode_pairs(codes)
        self.scores = np.stack(score_pairs(self.sets, self.pairs[:, 0], self.pairs[:, 1]), axis=1) \
            if len(self.pairs) else np.zeros((0, 4))
        self.edge = same_story(*self.scores.T) if len(self.pairs) else np.zeros(0, bool)
        self.fingerprint_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        self.facts = [sr.facts(t, x, published_of(d, None, x).value) for t, x, d in zip(titles, texts, dates)]
        self.facts_s = time.perf_counter() - t0

    def scores_of(self, pairs: list[tuple[int, int]]) -> np.ndarray:
        if not pairs:
            return np.zeros((0, 4))
        arr = np.array(pairs)
        return np.stack(score_pairs(self.sets, arr[:, 0], arr[:, 1]), axis=1)

    def stories(self, edges: list[tuple[int, int]], digest_last: bool = False) -> list[int]:
        """Story label (canonical index) of every article: star clustering of `edges`; with
        `digest_last`, a digest is ranked after every other article (never canonical)."""
        words = [int(n) - (10**9 if digest_last and sr.is_digest(f) else 0) for n, f in zip(self.n_words, self.facts)]
        nodes = [(i, words[i], self.prints[i].body_hash) for i in range(len(self.ids))]
        label = list(range(len(self.ids)))
        for canon, members in star_clusters(nodes, edges).items():
            for m in members:
                label[m] = canon
        return label


# candidate sources beside the band keys (--sources); "name-day" (a headline name or ticker with the
# publication day) folds more rewrites but also same-day follow-ups (measured: 4 more misses folded,
# 3 more wrong stories), so it is not on by default
KEY_SOURCES = ["figure", "title"]


def apply_rules(c: Corpus, synonyms: dict[str, str] | None = None) -> dict:
    """Edges after the rules: vetoed verified edges, rescued candidates, extra candidate sources."""
    vetoed, kept = [], []
    for (a, b), s, e in zip(c.pairs.tolist(), c.scores, c.edge):
        if not e:
            continue
        verdict = sr.judge_edge(c.facts[a], c.facts[b])
        (vetoed if verdict else kept).append((a, b, verdict))
    known = {(a, b) for a, b in c.pairs.tolist()}
    extra: set[tuple[int, int]] = set()
    sources = {"figure": (sr.figure_key, 48.0), "title": (sr.title_key, 36.0), "name-day": (sr.name_day_keys, 24.0)}
    for key_of, hours in (sources[k] for k in KEY_SOURCES):
        buckets = collections.defaultdict(list)
        for i, f in enumerate(c.facts):
            k = key_of(f)
            for key in (k if isinstance(k, list) else [k] if k is not None else []):
                buckets[key].append(i)
        for members in buckets.values():
            if 1 < len(members) <= BUCKET:
                for x in range(len(members)):
                    for y in range(x + 1, len(members)):
                        a, b = sorted((members[x], members[y]))
                        h = sr._hours(c.facts[a].published, c.facts[b].published)
                        if (a, b) not in known and (h is None or h <= hours):
                            extra.add((a, b))
    extra_list = sorted(extra)
    extra_scores = c.scores_of(extra_list)
    extra_edge = same_story(*extra_scores.T) if extra_list else np.zeros(0, bool)
    rescued = []
    cands = [(a, b, s) for (a, b), s, e in zip(c.pairs.tolist(), c.scores, c.edge) if not e]
    cands += [(a, b, s) for (a, b), s, e in zip(extra_list, extra_scores, extra_edge) if not e]
    for (a, b), s, e in zip(extra_list, extra_scores, extra_edge):
        if e:  # a verified edge the band keys had missed: judged like the others
            verdict = sr.judge_edge(c.facts[a], c.facts[b])
            (vetoed if verdict else kept).append((a, b, verdict))
    for a, b, s in cands if RESCUE[0] else []:
        fa, fb = c.facts[a], c.facts[b]
        verdict = sr.retyped(fa, fb, synonyms) or sr.rewrite(fa, fb, float(s[1]), float(s[3]))
        if verdict and sr.judge_edge(fa, fb) is None:
            rescued.append((a, b, verdict))
    # a rescued pair holds for every exact copy of either side (same body): the copies' other
    # candidates (title, date) may not have met
    copies = collections.defaultdict(list)
    for i, p in enumerate(c.prints):
        copies[p.body_hash].append(i)
    extended = {(min(x, y), max(x, y)) for a, b, _ in rescued for x in copies[c.prints[a].body_hash]
                for y in copies[c.prints[b].body_hash] if x != y}
    edges = [(a, b) for a, b, _ in kept] + sorted(extended)
    return {"vetoed": vetoed, "rescued": rescued, "edges": edges, "extra_candidates": len(extra_list)}


def learn_synonyms(c: Corpus) -> dict[str, str]:
    """Label synonyms from tables that share a figure key and an issuer (module story_rules)."""
    buckets = collections.defaultdict(list)
    for i, f in enumerate(c.facts):
        k = sr.figure_key(f)
        if k is not None:
            buckets[k].append(i)
    pairs = [(c.facts[m[x]], c.facts[m[y]]) for m in buckets.values() if 1 < len(m) <= BUCKET
             for x in range(len(m)) for y in range(x + 1, len(m)) if sr.issuer(c.facts[m[x]], c.facts[m[y]]) is None]
    return sr.learn_label_synonyms(pairs)


def pool_report(name: str, shared: Path, exports: Path, judged: list[dict], synonyms: dict | None) -> dict:
    rows = {r["id"]: r for r in map(json.loads, open(shared / "corpus" / POOLS[name], encoding="utf-8"))}
    export = [json.loads(line) for line in open(exports / f"{name}.jsonl", encoding="utf-8")]
    ids = [e["capture"] for e in export]
    c = Corpus(ids, [e["title"] for e in export], [e["text"] for e in export], [rows[i]["date"] for i in ids])
    stored = {e["capture"]: e["story"] for e in export}
    remade_plain = c.stories([tuple(p) for p, e in zip(c.pairs.tolist(), c.edge) if e])
    if synonyms is None:
        synonyms = learn_synonyms(c)
    result = apply_rules(c, synonyms)
    after = c.stories(result["edges"], digest_last=True)

    def together(labels, a, b):
        return labels[c.index[a]] == labels[c.index[b]]
    mine = [j for j in judged if j["pool"] == name]
    out: dict = {"articles": len(ids), "verified_edges": int(c.edge.sum()), "vetoed": len(result["vetoed"]),
                 "rescued": len(result["rescued"]), "extra_candidates": result["extra_candidates"],
                 "fingerprint_s": round(c.fingerprint_s, 1), "facts_ms_per_article": round(1000 * c.facts_s / len(ids), 3)}
    groups = collections.defaultdict(list)
    for e in export:
        groups[norm(e["text"])].append(e["capture"])
    resend = [(v[0], w) for v in groups.values() if len(v) > 1 for w in v[1:]]
    out["exact_resends"] = len(resend)
    out["exact_resends_folded_before"] = sum(stored[a] == stored[b] for a, b in resend)
    out["exact_resends_folded_after"] = sum(together(after, a, b) for a, b in resend)
    out["remade_matches_store"] = sum(together(remade_plain, a, b) == (stored[a] == stored[b]) for j in mine
                                      for a, b in [(j["a"], j["b"])])
    rows_out = []
    for j in mine:
        a, b = j["a"], j["b"]
        before, now = stored[a] == stored[b], together(after, a, b)
        rows_out.append({**j, "merged_before": before, "merged_after": now})
    def count(sel):
        return {"pairs": len(sel), "merged_before": sum(r["merged_before"] for r in sel),
                "merged_after": sum(r["merged_after"] for r in sel)}
    out["judged_wrong"] = count([r for r in rows_out if not r["same_story"] and not r.get("example")])
    out["judged_wrong_examples"] = count([r for r in rows_out if not r["same_story"] and r.get("example")])
    out["judged_misses"] = count([r for r in rows_out if r["same_story"] and not r["merged_before"]])
    out["judged_controls"] = count([r for r in rows_out if r["same_story"] and r["merged_before"]])
    out["still_wrong"] = [f'{r["a"]} {r["b"]} {r["kind"]}' for r in rows_out if not r["same_story"] and r["merged_after"]]
    out["misses_left"] = [f'{r["a"]} {r["b"]} {r["kind"]}' for r in rows_out
                          if r["same_story"] and not r["merged_before"] and not r["merged_after"]]
    out["controls_lost"] = [f'{r["a"]} {r["b"]} {r["kind"]}' for r in rows_out
                            if r["same_story"] and r["merged_before"] and not r["merged_after"]]
    judged_keys = {frozenset((j["a"], j["b"])) for j in mine}
    # every pair whose togetherness changed, for reading: splits and new merges not judged
    stored_label = {i: stored[i] for i in ids}
    by_story = collections.defaultdict(list)
    for i in ids:
        by_story[stored_label[i]].append(i)
    split, joined = [], []
    for members in by_story.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                if not together(after, members[x], members[y]):
                    split.append((members[x], members[y]))
    by_after = collections.defaultdict(list)
    for i in ids:
        by_after[after[c.index[i]]].append(i)
    for members in by_after.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                if stored[members[x]] != stored[members[y]]:
                    joined.append((members[x], members[y]))
    out["pairs_split"] = len(split)
    out["pairs_joined"] = len(joined)
    out["split_unjudged"] = [f"{a} {b}" for a, b in split if frozenset((a, b)) not in judged_keys]
    out["joined_unjudged"] = [f"{a} {b}" for a, b in joined if frozenset((a, b)) not in judged_keys]
    stories_before = collections.Counter(stored.values())
    out["multi_member_stories_before"] = sum(n > 1 for n in stories_before.values())
    out["multi_member_stories_after"] = sum(n > 1 for n in collections.Counter(after).values())
    ev = {}
    for kind in ("vetoed", "rescued"):
        for a, b, v in result[kind]:
            ev[f"{ids[a]} {ids[b]}"] = f"{v.rule}: {v.evidence}"
    out["evidence"] = ev
    out["rules_fired"] = dict(collections.Counter(v.rule for _, _, v in result["vetoed"] + result["rescued"]))
    out["synonyms"] = synonyms
    return out


def devset_report(shared: Path, exports: Path) -> dict:
    export = [json.loads(line) for line in open(exports / "devset.jsonl", encoding="utf-8")]
    ids = [f'{e["capture"]}#{e["position"]}' for e in export]
    c = Corpus(ids, [e["title"] for e in export], [e["text"] for e in export], [None] * len(export))
    spec = importlib.util.spec_from_file_location("score", shared / "eval" / "score.py")
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    result = apply_rules(c)
    out = {"vetoed": [f"{ids[a]} {ids[b]} {v.rule}: {v.evidence}" for a, b, v in result["vetoed"]],
           "rescued": [f"{ids[a]} {ids[b]} {v.rule}: {v.evidence}" for a, b, v in result["rescued"]]}
    for label, edges, last in (("without_rules", [tuple(p) for p, e in zip(c.pairs.tolist(), c.edge) if e], False),
                               ("with_rules", result["edges"], True)):
        stories = c.stories(edges, digest_last=last)
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            for e, s in zip(export, stories):
                f.write(json.dumps({**e, "story": f"s{s}"}) + "\n")
        got = score.score(str(shared / "devset" / "truth.jsonl"), f.name)
        Path(f.name).unlink()
        out[label] = {k: got[k] for k in ("story_pair_precision", "story_pair_recall", "story_pair_f1",
                                          "hard_negatives", "hard_negatives_merged")}
    return out


def bench_report(n: int, shared: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data, truth = Path(tmp) / "data.jsonl", Path(tmp) / "truth.jsonl"
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "make_corpus.py"), str(n), "--out", str(data),
                        "--truth", str(truth), "--pool", str(shared / "corpus")], check=True, capture_output=True)
        rows = [json.loads(line) for line in open(data, encoding="utf-8")]
        cluster = {r["id"]: r["cluster"] for r in map(json.loads, open(truth, encoding="utf-8"))}
    c = Corpus([r["id"] for r in rows], [r.get("title", "") for r in rows], [r["text"] for r in rows],
               [r.get("date") for r in rows])
    cluster_of = cluster
    true_pairs = set()
    by = collections.defaultdict(list)
    for i, r in enumerate(rows):
        by[cluster[r["id"]]].append(i)
    for m in by.values():
        true_pairs |= {(m[x], m[y]) for x in range(len(m)) for y in range(x + 1, len(m))}
    out = {"docs": n, "true_pairs": len(true_pairs)}
    result = apply_rules(c)
    for label, edges, last in (("without_rules", [tuple(p) for p, e in zip(c.pairs.tolist(), c.edge) if e], False),
                               ("with_rules", result["edges"], True)):
        stories = c.stories(edges, digest_last=last)
        grp = collections.defaultdict(list)
        for i, s in enumerate(stories):
            grp[s].append(i)
        pred = {(min(m[x], m[y]), max(m[x], m[y])) for m in grp.values() for x in range(len(m)) for y in range(x + 1, len(m))}
        inter = len(pred & true_pairs)
        out[label] = {"pair_precision": round(inter / len(pred), 5) if pred else 1.0,
                      "pair_recall": round(inter / len(true_pairs), 5) if true_pairs else 1.0}
    out["vetoed"] = len(result["vetoed"])
    out["rescued"] = len(result["rescued"])
    out["vetoed_examples"] = [f"{c.ids[a]} {c.ids[b]} {v.rule}: {v.evidence}" for a, b, v in result["vetoed"][:10]]
    out["rescued_examples"] = [f"{c.ids[a]} {c.ids[b]} {cluster_of[c.ids[a]] == cluster_of[c.ids[b]]} {v.rule}: "
                               f"{v.evidence}" for a, b, v in result["rescued"][:20]]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--exports", type=Path, default=REPO.parent / "data" / "base",
                    help="folder with reuters.jsonl, bbc.jsonl, devset.jsonl exported by the current code")
    ap.add_argument("--judged", type=Path, default=REPO / "tests" / "data" / "judged_pairs.jsonl")
    ap.add_argument("--bench", type=int, default=0, help="also a benchmark corpus of this many documents")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--with-evidence", action="store_true",
                    help="keep each changed pair's evidence in --out (it quotes figures and names of the corpus)")
    ap.add_argument("--sources", default=",".join(KEY_SOURCES),
                    help="candidate sources beside the band keys: figure,title,name-day (or none)")
    ap.add_argument("--no-rescue", action="store_true", help="vetoes only: no rescued candidates")
    args = ap.parse_args()
    KEY_SOURCES[:] = [x for x in args.sources.split(",") if x and x != "none"]
    if args.no_rescue:
        RESCUE[0] = False
    judged = [json.loads(line) for line in open(args.judged, encoding="utf-8")]
    report = {}
    for name in POOLS:
        report[name] = pool_report(name, args.shared, args.exports, judged, None)
    report["devset"] = devset_report(args.shared, args.exports)
    if args.bench:
        report["bench"] = bench_report(args.bench, args.shared)
    summary = {k: {x: y for x, y in v.items() if not isinstance(y, (list, dict))} for k, v in report.items()}
    for name in POOLS:
        for key in ("judged_wrong", "judged_wrong_examples", "judged_misses", "judged_controls"):
            summary[name][key] = report[name][key]
    summary["devset"] = {k: report["devset"][k] for k in ("without_rules", "with_rules")}
    if args.bench:
        summary["bench"] = {k: report["bench"][k] for k in ("docs", "true_pairs", "without_rules", "with_rules",
                                                           "vetoed", "rescued")}
    print(json.dumps(summary, indent=1))
    if args.out:
        if not args.with_evidence:
            for name in POOLS:
                report[name].pop("evidence", None)
            for key in ("vetoed", "rescued"):
                report["devset"][key] = [x.split(" ", 2)[:2] + [x.split(" ", 2)[2].split(":")[0]] for x in report["devset"][key]]
            if "bench" in report:
                report["bench"].pop("vetoed_examples", None)
                report["bench"].pop("rescued_examples", None)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
