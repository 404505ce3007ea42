#!/usr/bin/env python3
"""Build a deterministic near-duplicate news corpus for the dedup benchmark.

Output (stdlib only, streaming):
  DATA.jsonl   one row per document: {"id", "title", "text"}
  TRUTH.jsonl  one row per document: {"id", "cluster", "kind"}
               cluster = id of the base document; kind = base|exact|drop|add|subst|brief

Base documents are made of paragraph runs taken from 3-5 real articles of the
pool (BBC + Reuters-21578), so there are far more distinct bases than pool
articles.  About 30% of rows are variants of an earlier base.  Only the base
"recipes" (article/paragraph index triples) are kept in memory, never text.

Usage: python benchmarks/make_corpus.py N --out DATA.jsonl --truth TRUTH.jsonl
"""
from __future__ import annotations

import argparse
import json
import random
import re
import time
from array import array
from pathlib import Path

POOL_FILES = ("bbc.jsonl", "reuters21578.jsonl")
DEFAULT_POOL_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus"  # ../shared beside the repo

DUP_RATE = 0.30
# Mix of variant kinds (weights).  "brief" = first half only.
VARIANT_KINDS = ("exact", "drop", "add", "subst", "brief")
VARIANT_WEIGHTS = (0.25, 0.20, 0.20, 0.20, 0.15)
TARGET_CHARS = (2000, 4000)  # base length drawn uniformly -> mean ~3,000 chars
ARTICLES_PER_BASE = (3, 5)
MAX_RUN_PARAS = 2  # paragraphs taken from one article per segment
# Long paragraphs (some pool articles are one big paragraph) are re-cut at
# sentence ends into pieces of at most this size, so that no single article
# run dominates a document: two bases that happen to reuse the same run then
# stay far below any near-duplicate threshold.
MAX_PARA_CHARS = 500
SUBST_RATE = (0.005, 0.05)  # share of words replaced in a "subst" variant

_WS = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def cut_paragraph(para: str, limit: int = MAX_PARA_CHARS) -> list[str]:
    """Split a long paragraph at sentence ends into pieces of at most ~limit chars."""
    if len(para) <= limit:
        return [para]
    pieces, current = [], ""
    for sentence in _SENTENCE_END.split(para):
        if current and len(current) + 1 + len(sentence) > limit:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        pieces.append(current)
    return pieces


def load_pool(pool_dir: Path) -> tuple[list[list[str]], list[str]]:
    """Return (paragraph lists, titles) of the pool, deduplicated by normalised body.

    The pool has natural exact duplicates; dropping them keeps every
    duplicate in the output corpus a known, labelled one.
    """
    seen: set[str] = set()
    paras: list[list[str]] = []
    titles: list[str] = []
    for name in POOL_FILES:
        with open(pool_dir / name, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                key = _WS.sub(" ", row["body"]).strip().lower()
                if key in seen:
                    continue
                seen.add(key)
                ps = [piece for p in row["body"].split("\n\n") if p.strip()
                      for piece in cut_paragraph(p.strip())]
                if ps:
                    paras.append(ps)
                    titles.append(row["title"])
    return paras, titles


class Recipes:
    """Compact store of base recipes: flat (article, start, end) triples + offsets."""

    def __init__(self) -> None:
        self.flat = array("I")
        self.offsets = array("Q", [0])

    def add(self, segments: list[tuple[int, int, int]]) -> int:
        for seg in segments:
            self.flat.extend(seg)
        self.offsets.append(len(self.flat))
        return len(self.offsets) - 2

    def get(self, i: int) -> list[tuple[int, int, int]]:
        a, b = self.offsets[i], self.offsets[i + 1]
        f = self.flat
        return [(f[j], f[j + 1], f[j + 2]) for j in range(a, b, 3)]

    def __len__(self) -> int:
        return len(self.offsets) - 1


def new_recipe(rng: random.Random, pool: list[list[str]]) -> list[tuple[int, int, int]]:
    """Pick paragraph runs from several distinct articles until the target length."""
    target = rng.randint(*TARGET_CHARS)
    n_articles = rng.randint(*ARTICLES_PER_BASE)
    segments: list[tuple[int, int, int]] = []
    used: set[int] = set()
    size = 0
    while size < target or len(segments) < n_articles:
        art = rng.randrange(len(pool))
        if art in used:
            continue
        used.add(art)
        ps = pool[art]
        start = rng.randrange(len(ps))
        end = min(len(ps), start + rng.randint(1, MAX_RUN_PARAS))
        segments.append((art, start, end))
        size += sum(len(p) + 2 for p in ps[start:end])
        if len(segments) >= 30:  # safety net for pools of tiny paragraphs
            break
    return segments


def render(segments: list[tuple[int, int, int]], pool: list[list[str]]) -> list[str]:
    return [p for art, s, e in segments for p in pool[art][s:e]]


def make_variant(kind: str, paras: list[str], rng: random.Random,
                 pool: list[list[str]]) -> list[str]:
    """Derive a near-duplicate paragraph list from a base's paragraphs."""
    paras = list(paras)
    if kind == "drop" and len(paras) > 1:
        del paras[rng.randrange(len(paras))]
    elif kind == "add":
        extra = rng.choice(rng.choice(pool))
        paras.insert(rng.randrange(len(paras) + 1), extra)
    elif kind == "subst":
        paras = substitute_words(paras, rng, pool)
    elif kind == "brief":
        # first half by characters, cut at a paragraph boundary (at least one paragraph)
        total = sum(len(p) for p in paras)
        acc, keep = 0, 0
        while keep < len(paras) and acc < total / 2:
            acc += len(paras[keep])
            keep += 1
        paras = paras[:max(1, keep)]
    return paras


def substitute_words(paras: list[str], rng: random.Random, pool: list[list[str]]) -> list[str]:
    """Replace a few words (0.5-5%) with words drawn from another article."""
    words_per_para = [p.split(" ") for p in paras]
    positions = [(i, j) for i, ws in enumerate(words_per_para) for j in range(len(ws))]
    k = max(1, round(rng.uniform(*SUBST_RATE) * len(positions)))
    donor = " ".join(rng.choice(pool)).split()
    for i, j in rng.sample(positions, min(k, len(positions))):
        words_per_para[i][j] = rng.choice(donor)
    return [" ".join(ws) for ws in words_per_para]


def build(n_docs: int, out: Path, truth: Path, seed: int = 1234,
          pool_dir: Path = DEFAULT_POOL_DIR) -> dict:
    """Write N rows to `out` and their labels to `truth`; return a small summary."""
    pool, titles = load_pool(pool_dir)
    rng = random.Random(seed)
    recipes = Recipes()
    base_ids: list[int] = []  # row number of each base (its id is f"d{row}")
    counts = {k: 0 for k in ("base",) + VARIANT_KINDS}
    out_tmp, truth_tmp = out.with_suffix(".tmp"), truth.with_suffix(".tmp")
    chars = 0
    with open(out_tmp, "w", encoding="utf-8") as fo, open(truth_tmp, "w", encoding="utf-8") as ft:
        for row in range(n_docs):
            doc_id = f"d{row:07d}"
            if base_ids and rng.random() < DUP_RATE:
                b = rng.randrange(len(base_ids))
                kind = rng.choices(VARIANT_KINDS, VARIANT_WEIGHTS)[0]
                segs = recipes.get(b)
                paras = make_variant(kind, render(segs, pool), rng, pool)
                cluster = f"d{base_ids[b]:07d}"
            else:
                kind = "base"
                segs = new_recipe(rng, pool)
                recipes.add(segs)
                base_ids.append(row)
                paras = render(segs, pool)
                cluster = doc_id
            text = "\n\n".join(paras)
            chars += len(text)
            title = titles[segs[0][0]]
            fo.write(json.dumps({"id": doc_id, "title": title, "text": text}, ensure_ascii=False))
            fo.write("\n")
            ft.write(f'{{"id": "{doc_id}", "cluster": "{cluster}", "kind": "{kind}"}}\n')
            counts[kind] += 1
    out_tmp.replace(out)  # atomic: a half-written corpus is never picked up
    truth_tmp.replace(truth)
    return {"docs": n_docs, "bases": len(base_ids), "pool_articles": len(pool),
            "mean_chars": round(chars / max(1, n_docs)), "kinds": counts, "seed": seed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int, help="number of documents")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--truth", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--pool-dir", type=Path, default=DEFAULT_POOL_DIR)
    args = ap.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    summary = build(args.n, args.out, args.truth, args.seed, args.pool_dir)
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
